"""The command lines `python -m vae.train` and `python -m vae.evaluate`, run as processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

TINY = ["--dataset", "digits", "--hidden-dims", "16", "--epochs", "1", "--device", "cpu"]

# (what is wrong, arguments replacing the tiny defaults, a word the message must hold)
BAD_TRAIN_ARGS = {
    "latent 0": (["--latent-dim", "0"], "--latent-dim"),
    "latent 10^6": (["--latent-dim", "1000000"], "--latent-dim"),
    "epochs -1": (["--epochs", "-1"], "--epochs"),
    "lr nan": (["--lr", "nan"], "--lr"),
    "lr 0": (["--lr", "0"], "--lr"),
    "batch larger than the data": (["--batch-size", "5000"], "batch_size 5000"),
    "unknown dataset": (["--dataset", "cifar"], "unknown dataset 'cifar'"),
}
# More cases through the same entry point, in this process (each new process costs seconds).
MORE_BAD_ARGS = {
    "lr inf": (["--lr", "inf"], "--lr"),
    "negative beta": (["--beta", "-1"], "--beta"),
    "unknown arch": (["--arch", "rnn"], "--arch"),
    "unknown likelihood": (["--likelihood", "poisson"], "--likelihood"),
    "hidden dims not numbers": (["--hidden-dims", "64,abc"], "--hidden-dims must be whole"),
    "huge hidden dims": (["--hidden-dims", "1000000"], "--hidden-dims"),
    "conv on odd sizes": (["--arch", "conv", "--hidden-dims", "4,8,16,32"], "divisible by 16"),
    "negative iwae samples": (["--iwae-samples", "-2"], "--iwae-samples"),
    "unknown device": (["--device", "tpu"], "--device"),
    "anneal longer than the run": (["--lr-anneal-epochs", "5"], "--lr-anneal-epochs"),
}


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}


def _start(module: str, args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Path]]:
    """Every bad command line, started together to share the start-up time."""
    root = tmp_path_factory.mktemp("bad")
    procs = {}
    for i, (case, (args, _)) in enumerate(BAD_TRAIN_ARGS.items()):
        out = root / f"run{i}"
        procs[case] = (_start("vae.train", [*TINY, *args, "--out", str(out)]), out)
    results = {}
    for case, (proc, out) in procs.items():
        _, err = proc.communicate(timeout=300)
        results[case] = (proc.returncode, err, out)
    return results


@pytest.mark.parametrize("case", list(BAD_TRAIN_ARGS))
def test_bad_train_arguments_are_refused_by_name(case: str, bad_runs):
    code, err, out = bad_runs[case]
    assert code != 0
    assert BAD_TRAIN_ARGS[case][1] in err, err
    assert "Traceback" not in err
    assert not (out / "model.safetensors").exists()
    assert not (out / "config.json").exists()


@pytest.mark.parametrize("case", list(MORE_BAD_ARGS))
def test_more_bad_train_arguments_are_refused_by_name(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    from vae.training.cli import main

    args, word = MORE_BAD_ARGS[case]
    out = tmp_path / "run"
    assert main([*TINY, *args, "--out", str(out)]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and word in err, err
    assert "----" not in err
    assert not out.exists()


def test_train_cli_writes_a_checkpoint_that_evaluate_reads(tmp_path: Path):
    out = tmp_path / "run"
    train = _start("vae.train", [*TINY, "--latent-dim", "3", "--out", str(out)])
    _, err = train.communicate(timeout=300)
    assert train.returncode == 0, err
    assert "epoch 1/1" in err and f"saved {out}" in err
    names = {p.name for p in out.iterdir()}
    assert {"model.safetensors", "config.json", "metrics.json", "history.jsonl"} <= names
    assert "preview.npz" in names

    ev = _start("vae.evaluate", [str(out), "--json", "--iwae-samples", "4"])
    stdout, err = ev.communicate(timeout=300)
    assert ev.returncode == 0, err
    figures = json.loads(stdout)
    assert list(figures) == ["test_elbo", "test_recon", "test_kl", "active_units", "iwae_nll"]
    for key in ("test_elbo", "test_recon", "test_kl", "iwae_nll"):
        assert isinstance(figures[key], float) and figures[key] > 0, key
    assert figures["test_elbo"] == pytest.approx(figures["test_recon"] + figures["test_kl"])
    assert figures["iwae_nll"] <= figures["test_elbo"] + 1.0
    assert 0 <= figures["active_units"] <= 3


def test_evaluate_prints_a_readable_summary(tiny_run: Path, capsys: pytest.CaptureFixture[str]):
    from vae.training.evaluate import main

    assert main([str(tiny_run), "--iwae-samples", "2"]) == 0
    stdout = capsys.readouterr().out
    for label in ("test -ELBO", "reconstruction", "KL", "active units", "IWAE -log p(x)"):
        assert label in stdout
    assert "of 2" in stdout and "(epoch 2)" in stdout and "297 images" in stdout


def test_evaluate_refuses_a_bad_folder_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from vae.training.evaluate import main

    (tmp_path / "config.json").write_text("{not json")
    assert main([str(tmp_path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "config.json is not valid JSON" in captured.err
