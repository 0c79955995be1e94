"""Helpers for the Training and Reconstructions AppTests (imported by those test files)."""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from vae.training import jobs


@pytest.fixture
def no_jobs_left(ckpt_dir: Path) -> Iterator[Path]:
    """Whatever a test started under ckpt_dir is stopped afterwards."""
    jobs._children.clear()
    yield ckpt_dir
    active = jobs.active_job(ckpt_dir)
    if active is not None and active.active:
        jobs.cancel_job(ckpt_dir, active.name)
        jobs.wait(ckpt_dir, active.name, timeout=60)


def button(at: AppTest, label: str) -> Any:
    """The one button whose label is `label`."""
    found = [b for b in at.button if b.label == label]
    assert len(found) == 1, [b.label for b in at.button]
    return found[0]


def history(run: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]


def plotly_spec(at: AppTest, index: int = 0) -> dict[str, Any]:
    """The JSON figure of the index-th plotly chart on the page."""
    return json.loads(at.get("plotly_chart")[index].proto.spec)  # type: ignore[no-any-return]


def values(data: Any) -> np.ndarray:
    """A plotly JSON array: a plain list, or a typed array {"dtype", "bdata"} (base64)."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
    return np.asarray(data, dtype=float)


def rerun_until(at: AppTest, done: Any, timeout: float = 180.0) -> AppTest:
    """Rerun the page (as the live fragment would) until done(at) or timeout."""
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "the page never reached the expected state"
        time.sleep(0.5)
        at.run()
    return at


def png(image: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


def drawn_one() -> bytes:
    """A dark '1' on white paper, 120 x 120."""
    a = np.full((120, 120), 255, np.uint8)
    a[20:100, 52:68] = 0
    return png(Image.fromarray(a, "L"))
