"""Shared fixtures: a tiny model config and a tiny trained `digits` checkpoint."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_python(code: str, timeout: float = 300) -> str:
    """Run `code` in a new Python process at the repository root; its stdout.

    A process of its own starts with nothing imported (torch, pandas), as a fresh server
    does. Fails with the end of its stderr when it exits with an error.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def tiny_configs(epochs: int = 2, **train: Any) -> tuple[Any, Any]:
    """A small MLP on the 8x8 digits and a short CPU training schedule."""
    from vae import ModelConfig, TrainConfig

    model = ModelConfig(arch="mlp", image_shape=(1, 8, 8), latent_dim=2, hidden_dims=(32,))
    settings: dict[str, Any] = {
        "dataset": "digits",
        "epochs": epochs,
        "batch_size": 100,
        "device": "cpu",
        "snapshot_points": 50,
        "seed": 0,
        **train,
    }
    return model, TrainConfig(**settings)


@pytest.fixture(scope="session")
def digits() -> Any:
    """scikit-learn's 8x8 digits as a vae.Dataset (always offline)."""
    from vae import load_dataset

    return load_dataset("digits")


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, digits: Any) -> Path:
    """A 2-epoch digits run written by vae.training.loop.train. Read-only: copy it to change it."""
    from vae.training.loop import train

    out = tmp_path_factory.mktemp("runs") / "tiny"
    model_cfg, train_cfg = tiny_configs()
    train(digits, model_cfg, train_cfg, out, log=io.StringIO())
    return out


@pytest.fixture
def run_copy(tiny_run: Path, tmp_path: Path) -> Path:
    """A private copy of the tiny run that a test may damage."""
    dest = tmp_path / "run"
    shutil.copytree(tiny_run, dest)
    return dest
