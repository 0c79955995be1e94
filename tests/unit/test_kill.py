"""SIGKILL training at random moments: the run folder always loads and --resume finishes it.

Each killed job is its own process running the CLI entry point `vae.training.cli.main`. The
processes are forked from a server that has already imported torch and scikit-learn
(multiprocessing's forkserver), so twenty of them cost seconds rather than minutes on a
small machine; the final resume is a plain `python -m vae.train` process.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import vae.training.loop
from tests.conftest import REPO, tiny_configs
from vae import load_checkpoint
from vae.training import cli
from vae.training.cli import main
from vae.training.errors import Cancelled, TimeLimit
from vae.training.loop import train

KILLS = 20
NEVER_REACHED = 100_000  # epochs asked for while killing; the last resume sets the real plan
TRAIN = [
    "--dataset", "digits", "--hidden-dims", "16", "--latent-dim", "2",
    "--batch-size", "1500", "--snapshot-points", "20", "--device", "cpu", "--seed", "3",
]  # fmt: skip
PRELOAD = ["vae.training.loop", "vae.training.cli", "vae.data", "sklearn.datasets", "torch._dynamo"]


def _argv(out: Path, epochs: int) -> list[str]:
    resume = ["--resume"] if (out / "resume.safetensors").exists() else []
    return [*TRAIN, "--out", str(out), "--epochs", str(epochs), *resume]


def _status(out: Path) -> dict[str, Any]:
    try:
        status = json.loads((out / "status.json").read_text())
    except (OSError, ValueError):
        return {}
    return status if isinstance(status, dict) else {}


def _wait_until(proc: Any, check: Callable[[], bool], limit: float) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end and proc.is_alive() and not check():
        time.sleep(0.01)


def _check_folder(out: Path) -> int:
    """The folder loads and every history line parses; returns the number of epochs logged."""
    path = out / "history.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    assert [r["epoch"] for r in rows] == list(range(1, len(rows) + 1))
    ckpt = load_checkpoint(out)
    # The weights are written before the epoch's history line: history never runs ahead of
    # the weights, and the weights are at most one epoch ahead of the history.
    assert 0 <= ckpt.epoch - len(rows) <= 1, (len(rows), ckpt.epoch)
    assert [h["epoch"] for h in ckpt.history] == [r["epoch"] for r in rows]
    return len(rows)


def test_sigkill_at_random_moments_never_loses_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    rng = random.Random(0)
    out = tmp_path / "run"
    startup = 1.0  # seconds from launch to the first epoch; measured as it goes
    for kill in range(KILLS):
        launched = time.monotonic()
        proc = ctx.Process(target=main, args=(_argv(out, NEVER_REACHED),), daemon=True)
        proc.start()
        if kill % 2 == 0:
            # Wait until it trains (the first launch must write a checkpoint), then a bit more.
            _wait_until(proc, lambda p=proc: _status(out).get("pid") == p.pid, limit=120)
            if kill == 0:  # also starts the fork server: not a typical start-up time
                _wait_until(proc, lambda: (out / "model.safetensors").exists(), limit=60)
            else:
                startup = min(5.0, time.monotonic() - launched)
            time.sleep(rng.uniform(0.0, 1.0))
        else:
            # Any moment from launch on: starting, loading data, resuming or training.
            time.sleep(rng.uniform(0.0, startup + 0.5))
        assert proc.is_alive(), f"kill {kill}: the job ended by itself: {_status(out)}"
        proc.kill()
        proc.join(timeout=60)
        assert proc.exitcode == -signal.SIGKILL
        _check_folder(out)

    done = _check_folder(out)
    plan = done + 3
    finish = subprocess.run(
        [sys.executable, "-m", "vae.train", *_argv(out, plan)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert finish.returncode == 0, finish.stderr
    ckpt = load_checkpoint(out)
    assert ckpt.epoch == plan
    assert [h["epoch"] for h in ckpt.history] == list(range(1, plan + 1))
    assert ckpt.history[-1]["samples_seen"] == plan * 1500
    assert ckpt.metrics["epoch"] == plan
    assert _status(out)["state"] == "finished"


@pytest.mark.parametrize(
    ("signum", "handler", "stop"),
    [
        (signal.SIGTERM, cli._on_signal, Cancelled),
        (signal.SIGALRM, cli._on_time_limit, TimeLimit),
    ],
)
def test_a_cancel_or_the_time_limit_during_the_writes_waits_for_the_epochs_last_file(
    signum: int,
    handler: Callable[[int, Any], None],
    stop: type[Exception],
    digits: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The stop arrives between the weights and the history: both still hold the epoch."""
    real = vae.training.loop.save_model

    def save_then_stop(folder: Path, model: Any, epoch: int) -> None:
        real(folder, model, epoch)
        if epoch == 1:
            os.kill(os.getpid(), signum)  # to the process: any thread may take it

    previous = signal.signal(signum, handler)
    monkeypatch.setattr(vae.training.loop, "save_model", save_then_stop)
    out = tmp_path / "run"
    try:
        with pytest.raises(stop):
            train(digits, *tiny_configs(epochs=3), out, log=io.StringIO())
    finally:
        signal.signal(signum, previous)
    ckpt = load_checkpoint(out)
    assert ckpt.epoch == 1 and [h["epoch"] for h in ckpt.history] == [1]
    assert json.loads((out / "metrics.json").read_text())["epoch"] == 1
