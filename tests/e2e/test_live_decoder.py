"""The browser decoder (components/live_decoder/decoder.js) matches PyTorch in real Chromium.

Runs decoder.js in a blank page (no Streamlit server) for every checkpoint under
checkpoints/ and for tiny MLP, conv and Gaussian checkpoints trained here, and compares
with vae.analysis.explore.decode: at most 1e-4 absolute difference per pixel from the weights as
sent (float16 for large decoders), and under one grey level from the full-precision model within
five prior standard deviations of the origin.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from components.live_decoder import JS
from components.live_decoder.measure import NEXT_FRAME
from vae.analysis.explore import decode
from vae.runfolder.checkpoint import load_checkpoint
from vae.web.decoder_spec import FLOAT16_ABOVE_BYTES, decoder_spec, model_as_sent

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
NEAR = 5.0  # within 5 prior standard deviations: float16 weights move a pixel under a grey level


@pytest.fixture(scope="module")
def decoder_page(browser: Any) -> Iterator[Any]:
    """A blank page in the session's Chromium with decoder.js loaded."""
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!doctype html><title>decoder</title>")
    page.add_script_tag(content=DECODER_JS.read_text(encoding="utf-8"))
    yield page
    context.close()


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Train each tiny checkpoint for one epoch on the offline 8x8 digits (about a second)."""
    import torch

    from vae.training.cli import main

    root = tmp_path_factory.mktemp("tiny")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: threads only add contention
    try:
        for name, args in TINY.items():
            argv = ["--dataset", "digits", "--epochs", "1", "--snapshot-points", "0"]
            assert main([*argv, "--batch-size", "256", *args, "--out", str(root / name)]) == 0
    finally:
        torch.set_num_threads(threads)
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


def _check(page: Any, folder: Path) -> str:
    model = load_checkpoint(folder).model
    spec = decoder_spec(model)
    z = _points(model.config.latent_dim)
    expected = decode(model_as_sent(model, spec), z)
    got = _browser_decode(page, spec, z)
    assert got.shape == expected.shape
    diff = float(np.abs(got - expected).max())
    assert diff <= TOLERANCE, f"{folder.name}: max abs difference {diff:.2e} > {TOLERANCE}"
    assert float(expected.std()) > 1e-3, "the decoded images are flat: the test would be weak"
    near = np.abs(z).max(axis=1) <= NEAR  # where the data and the pad are; far points differ more
    full = float(np.abs(got[near] - decode(model, z[near])).max())
    assert full < 1 / 255, f"{folder.name}: {full * 255:.2f} grey levels from the full model"
    return spec["weight_dtype"]


@pytest.mark.parametrize("folder", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_checkpoint_matches_pytorch(decoder_page: Any, folder: Path) -> None:
    size = 4 * sum(p.numel() for p in load_checkpoint(folder).model.decoder.parameters())
    sent_as = _check(decoder_page, folder)
    assert sent_as == ("float16" if size > FLOAT16_ABOVE_BYTES else "float32"), size


@pytest.mark.parametrize("name", sorted(TINY))
def test_tiny_checkpoint_matches_pytorch(decoder_page: Any, tiny_root: Path, name: str) -> None:
    assert _check(decoder_page, tiny_root / name) == "float32"


def test_unknown_layer_is_refused(decoder_page: Any) -> None:
    spec = {"latent_dim": 2, "image_shape": [1, 1, 2], "layers": [{"type": "softplus"}]}
    message = decoder_page.evaluate(
        "(spec) => { try { makeDecoder(spec); return ''; } catch (e) { return e.message; } }",
        spec,
    )
    assert "softplus" in message


# --- the component itself, mounted the way Streamlit mounts it, without a server ---------

MOUNT = """async ([code, data]) => {
    const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
    const mod = await import(url);
    window.sent = [];
    if (window.host) window.host.remove();
    window.host = document.body.appendChild(document.createElement("div"));
    window.mount = (d) => mod.default({
        data: d, parentElement: window.host, setStateValue: (k, v) => window.sent.push([k, v]),
    });
    window.mount(data);
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
}"""

# Grey level at the centre of each image pixel on the visible (upscaled) canvas.
READ_PIXELS = """([h, w]) => {
    const c = document.querySelector(".ld-image");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    const out = [];
    for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
            const px = Math.floor(((x + 0.5) * c.width) / w);
            const py = Math.floor(((y + 0.5) * c.height) / h);
            out.push(d[4 * (py * c.width + px)]);
        }
    return out;
}"""


def _mount(page: Any, data: dict[str, Any]) -> None:
    page.evaluate(MOUNT, [JS, data])


def _shown(page: Any, model: Any) -> tuple[np.ndarray, np.ndarray]:
    """The z the view shows and the grey levels on its canvas."""
    z = np.asarray(json.loads(page.locator(".ld-root").get_attribute("data-z")), float)
    _, h, w = model.config.image_shape
    pixels = np.asarray(page.evaluate(READ_PIXELS, [h, w]), np.float32).reshape(h, w)
    return z, pixels


def _data(spec: dict[str, Any], mode: str, **extra: Any) -> dict[str, Any]:
    z0 = [0.0] * spec["latent_dim"]
    base = {"spec": spec, "mode": mode, "z0": z0, "size_px": 240, "image_px": 240, "span": 3.0}
    return {**base, "pad_dims": [0, 1], "dim_names": None, **extra}


def test_pad_drag_draws_the_decoded_image_and_sends_the_position(
    decoder_page: Any, tiny_root: Path
) -> None:
    model = load_checkpoint(tiny_root / "conv").model
    spec = decoder_spec(model)
    _mount(decoder_page, _data(spec, "pad"))
    box = decoder_page.locator(".ld-overlay").bounding_box()
    decoder_page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.3 * box["height"])
    decoder_page.mouse.down()
    for i in range(1, 11):
        x, y = box["x"] + (0.3 + 0.04 * i) * box["width"], box["y"] + 0.3 * box["height"]
        decoder_page.mouse.move(x, y)
    assert decoder_page.evaluate("window.sent.length") == 0  # nothing sent while dragging
    decoder_page.mouse.up()
    decoder_page.evaluate(NEXT_FRAME)
    z, pixels = _shown(decoder_page, model)
    assert z[0] > 0 > -z[1]  # right of and above the centre
    expected = np.round(255 * decode(model, z[None])[0, 0])
    assert np.abs(pixels - expected).max() <= 1
    sent = decoder_page.evaluate("window.sent")
    assert sent == [["z", {"z": z.tolist(), "spec": spec["id"]}]]
    # Streamlit mounts again on every rerun: the position stays unless z0 changes.
    decoder_page.evaluate("(d) => window.mount(d)", _data(spec, "pad"))
    decoder_page.evaluate(NEXT_FRAME)
    assert np.allclose(_shown(decoder_page, model)[0], z)
    decoder_page.evaluate("(d) => window.mount(d)", _data(spec, "pad", z0=[1.0, -1.0]))
    decoder_page.evaluate(NEXT_FRAME)
    assert _shown(decoder_page, model)[0].tolist() == [1.0, -1.0]


def test_map_hover_previews_and_leaving_returns_to_the_pin(
    decoder_page: Any, tiny_root: Path
) -> None:
    model = load_checkpoint(tiny_root / "gaussian").model
    spec = decoder_spec(model)
    points = np.random.default_rng(0).standard_normal((50, 2)).astype(np.float32)
    b64 = {
        k: base64.b64encode(v.tobytes()).decode()
        for k, v in {
            "x": points[:, 0],
            "y": points[:, 1],
            "label": np.arange(50, dtype="<i4") % 3,
        }.items()
    }
    extent = [-3.0, 3.0, -3.0, 3.0]
    colors = ["#ff0000", "#00aa00", "#0000ff"]  # given, as the Latent page gives its plotly palette
    classes = {"classes": ["a", "b", "c"], "colors": colors}
    data = _data(spec, "map", map={"id": "m", "extent": extent, **classes, **b64})
    _mount(decoder_page, data)
    swatches = decoder_page.locator(".ld-swatch").evaluate_all(
        "(els) => els.map((e) => getComputedStyle(e).backgroundColor)"
    )
    assert swatches == ["rgb(255, 0, 0)", "rgb(0, 170, 0)", "rgb(0, 0, 255)"]
    box = decoder_page.locator(".ld-overlay").bounding_box()
    decoder_page.mouse.move(box["x"] + 0.8 * box["width"], box["y"] + 0.5 * box["height"])
    decoder_page.evaluate(NEXT_FRAME)
    z, pixels = _shown(decoder_page, model)
    assert z[0] > 1.0
    assert np.abs(pixels - np.round(255 * decode(model, z[None])[0, 0])).max() <= 1
    assert decoder_page.evaluate("window.sent.length") == 0  # hovering sends nothing
    decoder_page.mouse.move(box["x"] + box["width"] + 50, box["y"] + 0.5 * box["height"])
    decoder_page.evaluate(NEXT_FRAME)
    assert _shown(decoder_page, model)[0].tolist() == [0.0, 0.0]
