"""Fixtures for AppTest: tiny trained runs in a private checkpoint folder, fresh caches."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from ui.streamlit_compat import legacy_discovery_off, record_media

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
PAGES = ROOT / "pages"
TIMEOUT = 120  # the first run imports torch, which is slow on a busy machine
RUNS = {"digits-2d": 2, "digits-3d": 3}

if str(ROOT) not in sys.path:  # page files import `ui` and `vae` from the project root
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def app_runs(tmp_path_factory: pytest.TempPathFactory, digits: Any) -> Path:
    """Two tiny digits runs (latent sizes 2 and 3), trained once per test session."""
    from vae import ModelConfig, TrainConfig
    from vae.training.loop import train

    base = tmp_path_factory.mktemp("app_checkpoints")
    for name, latent in RUNS.items():
        model = ModelConfig(arch="mlp", image_shape=(1, 8, 8), latent_dim=latent, hidden_dims=(32,))
        cfg = TrainConfig(
            dataset="digits", epochs=2, batch_size=100, device="cpu", snapshot_points=50
        )
        train(digits, model, cfg, base / name, log=io.StringIO())
        (base / name / ".lock").unlink(missing_ok=True)
    return base


@pytest.fixture
def ckpt_dir(app_runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the runs as VAE_CHECKPOINT_DIR; a test may add or damage folders."""
    dest = tmp_path / "checkpoints"
    shutil.copytree(app_runs, dest)
    monkeypatch.setenv("VAE_CHECKPOINT_DIR", str(dest))
    return dest


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    """Every test starts with empty st.cache_resource / st.cache_data."""
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(autouse=True)
def navigation_mode() -> Iterator[Callable[[], None]]:
    """Run every AppTest as a served app runs after its first st.navigation call.

    AppTest forgets before each run that st.navigation was called, so with a folder named
    pages/ it would start every run in Streamlit's legacy multipage mode, and the page would
    rerun through app.py, which drops button clicks (see ui/streamlit_compat.py). Yields a
    function that restores Streamlit's own behaviour, for testing that rerun.
    """
    restore = legacy_discovery_off()
    yield restore
    restore()


@pytest.fixture
def media() -> Iterator[dict[str, bytes]]:
    """Bytes of every media file the app produced, by file id (the name in an image's URL)."""
    files, restore = record_media()
    yield files
    restore()


def app(script: Path = APP, **state: Any) -> AppTest:
    """An AppTest of the app (or one page file) with session state set before the first run."""
    at = AppTest.from_file(str(script), default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    return at


def image_bytes(at: AppTest, media: dict[str, bytes]) -> list[bytes]:
    """The PNG bytes of every st.image on the current page, in order."""
    out = []
    for element in at.get("image"):
        for url in element.value:
            out.append(media[url.rsplit("/", 1)[-1].split(".")[0]])
    return out


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG from its header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def texts(elements: Any) -> str:
    """All values of a list of text elements (errors, captions, ...) joined into one string."""
    return "\n".join(str(e.value) for e in elements)
