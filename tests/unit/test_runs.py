"""vae.runfolder.runs: discovery of run folders, summaries without weights, safe name resolution."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from vae.model.config import ModelConfig
from vae.model.networks import VAE
from vae.runfolder.checkpoint import save_model
from vae.runfolder.config import RunConfig
from vae.runfolder.files import write_json
from vae.runfolder.runs import (
    RunNameError,
    checkpoint_dir,
    default_run,
    list_runs,
    resolve_run,
    run_stamp,
    summarize_run,
)
from vae.training.config import TrainConfig

SMALL = ModelConfig(arch="mlp", image_shape=(1, 8, 8), latent_dim=3, hidden_dims=(8,))


def make_run(folder: Path, elbo: float | None = 31.5, dataset: str = "digits") -> Path:
    """A small but complete run folder written through the real checkpoint functions."""
    folder.mkdir(parents=True)
    config = RunConfig(SMALL, TrainConfig(dataset=dataset, epochs=1), dataset, ("a", "b"))
    write_json(folder / "config.json", config.to_dict())
    save_model(folder, VAE(SMALL), epoch=1)
    if elbo is not None:
        write_json(folder / "metrics.json", {"test_elbo": elbo, "test_recon": 30.0, "test_kl": 1.5})
    return folder


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "checkpoints"
    base.mkdir()
    return base


def test_checkpoint_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_CHECKPOINT_DIR", str(tmp_path))
    assert checkpoint_dir() == tmp_path
    monkeypatch.delenv("VAE_CHECKPOINT_DIR")
    assert checkpoint_dir() == Path(__file__).resolve().parents[2] / "checkpoints"


def test_summary_reads_config_and_metrics(root):
    make_run(root / "small")
    (summary,) = list_runs(root)
    assert summary.ok and summary.error is None
    assert (summary.name, summary.dataset, summary.latent_dim, summary.arch) == (
        "small",
        "digits",
        3,
        "mlp",
    )
    assert summary.hidden_dims == (8,)
    assert (summary.test_elbo, summary.test_recon, summary.test_kl) == (31.5, 30.0, 1.5)
    assert summary.label == "small · digits · z=3 · −ELBO 31.5"


def test_missing_metrics_is_not_broken(root):
    make_run(root / "fresh", elbo=None)
    (summary,) = list_runs(root)
    assert summary.ok and summary.test_elbo is None
    assert "−ELBO n/a" in summary.label


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda f: (f / "config.json").write_text("{not json"), "not valid JSON"),
        (lambda f: (f / "config.json").unlink(), "missing"),
        (lambda f: (f / "model.safetensors").unlink(), "model.safetensors is missing"),
        (lambda f: (f / "model.safetensors").write_bytes(b""), "truncated"),
        (
            lambda f: (f / "model.safetensors").write_bytes(
                (f / "model.safetensors").read_bytes()[:-40]
            ),
            "truncated",
        ),
        (lambda f: (f / "model.safetensors").write_bytes(b"\x80\x04\x95pickle"), "pickle"),
        (lambda f: (f / "metrics.json").write_text("[1, 2]"), "JSON object"),
        (
            lambda f: (f / "config.json").write_text(
                json.dumps({"format_version": 1, "model": {"arch": "nope"}})
            ),
            "arch must be one of",
        ),
    ],
)
def test_broken_folders_are_reported_not_raised(root, damage, words):
    make_run(root / "good")
    damage(make_run(root / "bad"))
    runs = {r.name: r for r in list_runs(root)}
    assert runs["good"].ok
    assert not runs["bad"].ok
    assert words in runs["bad"].error
    assert str(root) not in runs["bad"].error  # messages name files, not full paths
    assert runs["bad"].label == "bad · broken"


def test_a_real_safetensors_file_whose_header_length_starts_with_0x80_is_not_a_pickle(root):
    folder = make_run(root / "odd")
    # pad the metadata so that the 8-byte header length begins with the byte 0x80
    for pad in range(400):
        save_file({"w": torch.zeros(1)}, str(root / "probe.safetensors"), metadata={"p": "x" * pad})
        if (root / "probe.safetensors").read_bytes()[:1] == b"\x80":
            break
    assert (root / "probe.safetensors").read_bytes()[:1] == b"\x80"
    shutil.copy(root / "probe.safetensors", folder / "model.safetensors")
    (root / "probe.safetensors").unlink()
    assert summarize_run(folder).ok  # only the structure is checked here, not the names


def test_hidden_entries_and_files_are_skipped(root):
    make_run(root / "good")
    make_run(root / ".hidden")
    (root / "notes.txt").write_text("not a run")
    assert [r.name for r in list_runs(root)] == ["good"]


def test_missing_directory_lists_nothing(tmp_path):
    assert list_runs(tmp_path / "nowhere") == []


def test_default_run_prefers_mnist_2d_then_the_first_usable(root):
    make_run(root / "b-run")
    (root / "a-broken").mkdir()
    assert default_run(list_runs(root)) == "b-run"
    make_run(root / "mnist-2d", dataset="mnist")
    assert default_run(list_runs(root)) == "mnist-2d"
    assert default_run([]) is None


def test_resolve_run_accepts_a_plain_name(root):
    make_run(root / "good")
    assert resolve_run("good", root) == root.resolve() / "good"


@pytest.mark.parametrize(
    "name",
    [
        "..",
        ".",
        "../good",
        "good/..",
        "/etc",
        "/etc/passwd",
        "a/b",
        "a\\b",
        ".hidden",
        "",
        "   ",
        "c:evil",
        "bad\x00name",
        "tab\tname",
        "x" * 300,
        None,
        42,
        ["good"],
    ],
)
def test_resolve_run_refuses_paths_and_odd_names(root, name):
    make_run(root / "good")
    make_run(root / ".hidden")
    with pytest.raises(RunNameError):
        resolve_run(name, root)


def test_resolve_run_refuses_unknown_names(root):
    with pytest.raises(RunNameError, match="no checkpoint named 'ghost'"):
        resolve_run("ghost", root)


def test_symlink_out_of_the_directory_is_refused_and_reported(root, tmp_path):
    outside = make_run(tmp_path / "elsewhere")
    os.symlink(outside, root / "escape")
    with pytest.raises(RunNameError, match="outside"):
        resolve_run("escape", root)
    (summary,) = list_runs(root)
    assert summary.name == "escape" and not summary.ok and "outside" in summary.error


def test_symlink_inside_the_directory_is_allowed(root):
    make_run(root / "real")
    os.symlink(root / "real", root / "alias")
    assert resolve_run("alias", root).resolve() == (root / "real").resolve()


def test_symlink_to_the_directory_itself_is_refused(root):
    os.symlink(root, root / "self")
    with pytest.raises(RunNameError):
        resolve_run("self", root)


def test_run_stamp_changes_when_weights_are_replaced(root):
    folder = make_run(root / "good")
    before = run_stamp(folder)
    st = (folder / "model.safetensors").stat()
    os.utime(folder / "model.safetensors", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert run_stamp(folder) != before
    assert run_stamp(root / "missing") == (-1,) * 6


def test_run_stamp_changes_when_a_copy_keeps_the_old_times(root):
    folder = make_run(root / "good")
    before = run_stamp(folder)
    other = make_run(root / "other")
    (folder / "model.safetensors").unlink()
    shutil.copy2(other / "model.safetensors", folder / "model.safetensors")
    info = (folder / "model.safetensors").stat()
    os.utime(folder / "model.safetensors", ns=(info.st_atime_ns, before[0]))
    assert run_stamp(folder)[0] == before[0]
    assert run_stamp(folder) != before
