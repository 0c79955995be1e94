"""The browser decoder (components/live_decoder/decoder.js) matches PyTorch in real Chromium.

Runs decoder.js in a blank page (no Streamlit server) for every checkpoint under
checkpoints/ and for tiny MLP, conv and Gaussian checkpoints trained here, and compares
with vae.explore.decode: at most 1e-4 absolute difference per pixel.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vae.checkpoint import load_checkpoint
from vae.explore import decode
from vae.export import decoder_spec

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DECODER_JS = ROOT / "components" / "live_decoder" / "decoder.js"
SHIPPED = sorted(p for p in (ROOT / "checkpoints").glob("*") if (p / "config.json").is_file())
TINY = {
    "mlp": ["--arch", "mlp", "--hidden-dims", "32,16"],
    "conv": ["--arch", "conv", "--hidden-dims", "4,8"],
    "conv3": ["--arch", "conv", "--hidden-dims", "4,6,8", "--latent-dim", "5"],
    "gaussian": ["--arch", "mlp", "--hidden-dims", "24", "--likelihood", "gaussian"],
}
TOLERANCE = 1e-4


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"Chromium via Playwright is required in CI: {reason}")
    pytest.skip(f"Chromium via Playwright is not available: {reason}")


def _executable() -> str | None:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    return path or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")
def decoder_page() -> Iterator[Any]:
    """A blank Chromium page with decoder.js loaded."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        _unavailable(str(exc))
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(
                executable_path=_executable(),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
        except Error as exc:
            _unavailable(str(exc).splitlines()[0])
        page = browser.new_page()
        page.set_content("<!doctype html><title>decoder</title>")
        page.add_script_tag(content=DECODER_JS.read_text(encoding="utf-8"))
        yield page
        browser.close()


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train each tiny checkpoint for one epoch on the offline 8x8 digits (about a second)."""
    from vae.train import main

    root = tmp_path_factory.mktemp("tiny")
    for name, args in TINY.items():
        argv = ["--dataset", "digits", "--epochs", "1", "--snapshot-points", "0"]
        assert main([*argv, *args, "--out", str(root / name)]) == 0
    return root


def _points(latent_dim: int, seed: int = 0) -> np.ndarray:
    """64 random points (some far out), the corners of [-3, 3]^2 or +-3 diagonals, the origin."""
    rng = np.random.default_rng(seed)
    rand = rng.standard_normal((64, latent_dim)) * np.where(np.arange(64) < 48, 1.5, 5.0)[:, None]
    if latent_dim == 2:
        corners = np.array([[-3, -3], [-3, 3], [3, -3], [3, 3]], float)
    else:
        signs = np.where(np.arange(latent_dim) % 2 == 0, 1.0, -1.0)
        corners = np.stack([np.full(latent_dim, 3.0), np.full(latent_dim, -3.0), 3 * signs])
    return np.concatenate([rand, corners, np.zeros((1, latent_dim))]).astype(np.float32)


def _browser_decode(page: Any, spec: dict[str, Any], z: np.ndarray) -> np.ndarray:
    flat = page.evaluate(
        """([spec, zs]) => {
            const dec = makeDecoder(spec);
            const out = [];
            for (const z of zs) out.push(...dec.decode(z));
            return out;
        }""",
        [spec, z.tolist()],
    )
    return np.asarray(flat, np.float32).reshape(len(z), *spec["image_shape"])


def _check(page: Any, folder: Path) -> None:
    model = load_checkpoint(folder).model
    spec = decoder_spec(model)
    z = _points(model.config.latent_dim)
    expected = decode(model, z)
    got = _browser_decode(page, spec, z)
    assert got.shape == expected.shape
    diff = float(np.abs(got - expected).max())
    assert diff <= TOLERANCE, f"{folder.name}: max abs difference {diff:.2e} > {TOLERANCE}"
    assert float(expected.std()) > 1e-3, "the decoded images are flat: the test would be weak"


@pytest.mark.parametrize("folder", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_checkpoint_matches_pytorch(decoder_page: Any, folder: Path) -> None:
    _check(decoder_page, folder)


@pytest.mark.parametrize("name", sorted(TINY))
def test_tiny_checkpoint_matches_pytorch(decoder_page: Any, tiny_root: Path, name: str) -> None:
    _check(decoder_page, tiny_root / name)


def test_unknown_layer_is_refused(decoder_page: Any) -> None:
    spec = {"latent_dim": 2, "image_shape": [1, 1, 2], "layers": [{"type": "softplus"}]}
    message = decoder_page.evaluate(
        "(spec) => { try { makeDecoder(spec); return ''; } catch (e) { return e.message; } }",
        spec,
    )
    assert "softplus" in message
