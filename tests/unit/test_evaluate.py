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
    """Sessions of one server evaluate in threads; the process-wide generator is theirs in turn."""
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
