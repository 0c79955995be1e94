"""The commands on imported folders (python -m vae.export, python -m vae.evaluate) and the
run folder's handling of them: loading, listing, cache stamps, the float16 model as sent."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from testkit.onnx_nets import FcDecoder, FcEncoder, export_vae
from tests.unit.onnx.nets import run_spec
from vae.onnx.browser import browser_spec
from vae.onnx.load import evaluate_folder
from vae.runfolder.checkpoint import load_checkpoint
from vae.runfolder.runs import list_runs, run_stamp, summarize_run
from vae.training.evaluate import evaluate_model, main
from vae.web.decoder_spec import model_as_sent

ROOT = Path(__file__).resolve().parents[3]
RUN = ROOT / "checkpoints" / "digits-2d"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """checkpoints/digits-2d written by the command itself, `python -m vae.export RUN OUT`."""
    out = tmp_path_factory.mktemp("cmd") / "digits-2d-onnx"
    done = subprocess.run(
        [sys.executable, "-m", "vae.export", str(RUN), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}: decoder.onnx, decoder.onnx.data")
    return out


def test_export_command_round_trip_keeps_the_elbo_and_the_decoder(exported: Path) -> None:
    run, back = load_checkpoint(RUN), load_checkpoint(exported)  # the loader sees vae.json
    assert back.imported and not run.imported
    x = torch.from_numpy(run.preview_x)
    a, b = evaluate_model(run.model, x), evaluate_model(back.model, x)
    assert abs(a["test_elbo"] - b["test_elbo"]) < 0.01
    z = torch.randn(200, 2) * 3
    with torch.no_grad():
        np.testing.assert_allclose(back.model.decode_mean(z), run.model.decode_mean(z), atol=1e-5)


def test_export_command_refuses_a_full_folder_and_says_how(exported: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vae.export", str(RUN), str(exported)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2
    assert "exists and is not empty" in done.stderr and "--force" in done.stderr
    assert (
        "usage: python -m vae.export"
        in subprocess.run(
            [sys.executable, "-m", "vae.export", "--help"], cwd=ROOT, capture_output=True, text=True
        ).stdout
    )


def test_evaluate_command_on_a_folder(exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(exported), "--json", "--iwae-samples", "5", "--limit", "50"]) == 0
    got = json.loads(capsys.readouterr().out)
    want = evaluate_folder(exported, iwae_samples=5, limit=50)
    assert got == {k: want[k] for k in got}
    assert set(got) == {"test_elbo", "test_recon", "test_kl", "active_units", "iwae_nll"}
    run = load_checkpoint(RUN)
    torch_figures = evaluate_model(run.model, torch.from_numpy(run.preview_x[:50]), False, 5)
    assert abs(got["test_elbo"] - torch_figures["test_elbo"]) < 0.01
    assert main([str(exported)]) == 0
    text = capsys.readouterr().out
    assert "imported model" in text and "images          297" in text
    assert f"{evaluate_folder(exported)['test_elbo']:.2f} nats/image" in text


@pytest.mark.parametrize("flag", [["--write"], ["--dataset", "digits"]])
def test_evaluate_refuses_write_and_dataset_on_a_folder(
    exported: Path, flag: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in exported.iterdir())
    assert main([str(exported), *flag]) == 2
    err = capsys.readouterr().err
    assert "imported model" in err and flag[0] in err
    assert sorted(p.name for p in exported.iterdir()) == before  # no metrics.json written


def test_evaluate_says_what_is_wrong_with_a_broken_folder(
    exported: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "vae.json").write_text('{"format": "onnx-vae/1", "latent_dim": 2}')
    assert main([str(bad), "--json"]) == 2
    assert "'image_shape' is missing" in capsys.readouterr().err


def test_listing_reads_vae_json_only_and_marks_imported(exported: Path, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    root.mkdir()
    shutil.copytree(exported, root / "mine")
    shutil.copytree(exported, root / "no-decoder")
    (root / "no-decoder" / "decoder.onnx").unlink()
    shutil.copytree(exported, root / "bad-json")
    (root / "bad-json" / "vae.json").write_text("{not json")
    runs = {r.name: r for r in list_runs(root)}
    mine = runs["mine"]
    assert mine.ok and mine.imported and mine.arch == "onnx" and mine.latent_dim == 2
    assert mine.label == "mine · digits · z=2 · imported"
    assert not runs["no-decoder"].ok and "decoder.onnx is missing" in str(runs["no-decoder"].error)
    assert runs["no-decoder"].label == "no-decoder · broken"
    assert "not valid JSON" in str(runs["bad-json"].error)
    assert str(root) not in str(runs["bad-json"].error)  # names relative to the folder
    assert summarize_run(root / "mine") == mine


def test_run_stamp_follows_every_file_of_an_imported_folder(exported: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(exported, tmp_path / "copy")
    before = run_stamp(folder)
    assert len(before) == 3 * 6  # vae.json, two graphs, their data, images.npz
    for name in ("decoder.onnx.data", "images.npz", "vae.json"):
        data = (folder / name).read_bytes()
        (folder / name).unlink()
        (folder / name).write_bytes(data)
        after = run_stamp(folder)
        assert after != before, name
        before = after


def test_float16_spec_of_an_imported_decoder_matches_the_model_as_sent(tmp_path: Path) -> None:
    torch.manual_seed(0)
    enc, dec = FcEncoder().eval(), FcDecoder().eval()
    folder = export_vae(tmp_path / "fc", enc, dec, (1, 28, 28), 20, 8, decoder_output="mean")
    model = load_checkpoint(folder).model
    spec = browser_spec(model)
    assert spec["weight_dtype"] == "float16"
    sent = model_as_sent(model, spec)  # type: ignore[arg-type]
    assert sent is not model
    z = np.random.default_rng(0).standard_normal((3, 20)).astype(np.float32)
    with torch.no_grad():
        got = sent.decode_mean(torch.from_numpy(z)).numpy()
        exact = model.decode_mean(torch.from_numpy(z)).numpy()
    for i in range(3):
        np.testing.assert_allclose(got[i], run_spec(spec, z[i]), atol=1e-5)
    assert np.abs(got - exact).max() > 1e-6  # the rounding is real
