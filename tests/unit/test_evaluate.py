"""vae.training.evaluate: seeded figures, the same whichever thread asks and whenever."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from vae import load_checkpoint
from vae.training.evaluate import evaluate_model


def test_evaluations_in_threads_at_once_give_the_seeded_figures(
    tiny_run: Path, digits: Any
) -> None:
    """Sessions of one server evaluate in threads; each evaluation draws its own noise."""
    model = load_checkpoint(tiny_run).model
    images = digits.test_x[:200]
    want = evaluate_model(model, images, batch_size=20)
    got: list[dict[str, Any]] = []

    def evaluate() -> None:
        got.append(evaluate_model(model, images, batch_size=20))

    for _ in range(3):
        threads = [threading.Thread(target=evaluate) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert len(got) == 12
    for figures in got:
        assert figures["test_elbo"] == want["test_elbo"] and figures["test_kl"] == want["test_kl"]


def test_draws_from_torchs_global_generator_meanwhile_change_nothing(
    tiny_run: Path, digits: Any
) -> None:
    """Another session loading a model (its layers' initial weights) draws from torch's global
    generator while a figure is computed: the figure stays the seeded one."""
    import torch

    model = load_checkpoint(tiny_run).model
    images = digits.test_x[:200]
    want = evaluate_model(model, images, batch_size=20, iwae_samples=5)
    stop = threading.Event()

    def draw() -> None:
        while not stop.is_set():
            torch.randn(64)

    other = threading.Thread(target=draw)
    other.start()
    try:
        got = [evaluate_model(model, images, batch_size=20, iwae_samples=5) for _ in range(3)]
    finally:
        stop.set()
        other.join(10)
    for figures in got:
        assert figures["test_elbo"] == want["test_elbo"]
        assert figures["iwae_nll"] == want["iwae_nll"]
