"""scripts/reproduce_paper.py: the Figure 2 write-up says what its own numbers show."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "reproduce_paper.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reproduce_paper", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _final(*elbos: float) -> dict[int, dict[str, float]]:
    return {d: {"test_elbo": e} for d, e in zip((2, 5, 10, 20), elbos, strict=False)}


def test_figure2_reading_follows_the_measured_order() -> None:
    reading = _script()._figure2_reading
    text = reading(_final(150.0, 120.0, 105.0, 100.0))
    assert text.startswith("Here, as in the paper, every larger latent space gives a better")
    assert "2 to 5: +30.00, 5 to 10: +15.00, 10 to 20: +5.00" in text
    assert "the gain shrinks" in text
    worse = reading(_final(150.0, 120.0, 105.0, 106.0))
    assert worse.startswith("Here, unlike the paper")
    assert "10 to 20: -1.00" in worse and "the gain shrinks" not in worse
    uneven = reading(_final(150.0, 140.0, 120.0, 119.0))
    assert "as in the paper" in uneven and "the gain shrinks" not in uneven
