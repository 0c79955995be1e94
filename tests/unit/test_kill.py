"""SIGKILL `python -m vae.train` at random moments: the run folder always stays usable."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import REPO
from vae import load_checkpoint

KILLS = 20
NEVER_REACHED = 100_000  # epochs asked for while killing; the last resume sets the real plan
TRAIN = [
    "--dataset", "digits", "--hidden-dims", "16", "--latent-dim", "2",
    "--batch-size", "1500", "--snapshot-points", "20", "--device", "cpu", "--seed", "3",
]  # fmt: skip


def _start(out: Path, *extra: str) -> subprocess.Popen[bytes]:
    resume = ["--resume"] if (out / "resume.safetensors").exists() else []
    return subprocess.Popen(
        [sys.executable, "-m", "vae.train", *TRAIN, "--out", str(out), *resume, *extra],
        cwd=REPO,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _training(out: Path, proc: subprocess.Popen[bytes]) -> bool:
    """True once this process has reported an epoch in status.json."""
    try:
        return json.loads((out / "status.json").read_text())["pid"] == proc.pid
    except (OSError, ValueError, KeyError):
        return False


def _wait_until(proc: subprocess.Popen[bytes], check: Callable[[], bool], limit: float) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end and proc.poll() is None and not check():
        time.sleep(0.02)


def _check_folder(out: Path) -> int:
    """The folder loads and every history line parses; returns the number of epochs logged."""
    lines = (
        (out / "history.jsonl").read_text().splitlines() if (out / "history.jsonl").exists() else []
    )
    rows = [json.loads(line) for line in lines]
    assert [r["epoch"] for r in rows] == list(range(1, len(rows) + 1))
    ckpt = load_checkpoint(out)
    # Weights are written after the history line of their epoch, so they lag by at most two.
    assert 0 <= len(rows) - ckpt.epoch <= 2, (len(rows), ckpt.epoch)
    assert [h["epoch"] for h in ckpt.history] == [r["epoch"] for r in rows]
    return len(rows)


def test_sigkill_at_random_moments_never_loses_the_run(tmp_path: Path):
    rng = random.Random(0)
    out = tmp_path / "run"
    startup = 3.0  # seconds from launch to the first epoch; measured on the first launch
    for kill in range(KILLS):
        launched = time.monotonic()
        proc = _start(out, "--epochs", str(NEVER_REACHED))
        if kill == 0 or kill % 2 == 1:
            # Wait until it trains (the first launch must write a checkpoint), then a bit more.
            _wait_until(proc, lambda p=proc: _training(out, p), limit=120)
            if kill == 0:
                _wait_until(proc, lambda: (out / "model.safetensors").exists(), limit=60)
                startup = min(10.0, time.monotonic() - launched)
            time.sleep(rng.uniform(0.0, 1.0))
        else:
            # Any moment from launch on: importing, loading data, resuming or training.
            time.sleep(rng.uniform(0.0, startup + 0.5))
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, f"kill {kill}: exited early: {err.decode()}"
        _check_folder(out)

    done = _check_folder(out)
    plan = done + 3
    proc = _start(out, "--epochs", str(plan))
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    ckpt = load_checkpoint(out)
    assert ckpt.epoch == plan
    assert [h["epoch"] for h in ckpt.history] == list(range(1, plan + 1))
    assert ckpt.history[-1]["samples_seen"] == plan * 1500
    assert ckpt.metrics["epoch"] == plan
    assert json.loads((out / "status.json").read_text())["state"] == "finished"
