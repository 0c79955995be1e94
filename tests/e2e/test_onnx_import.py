"""An imported ONNX model in Chromium: the Latent, Decoder and Reconstructions pages on it.

The model is the PyTorch example's VAE (fc1/fc21/fc22/fc3/fc4, sigmoid output), written in
testkit, exported with torch.onnx.export into a checkpoint folder of its own, and served by
a server of its own; its decoder graph also runs in decoder.js against onnxruntime.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from testkit.browser import (
    assert_no_exception,
    open_app,
    screenshot,
    start_server,
    wait_for_app,
)
from testkit.onnx_nets import FcDecoder, FcEncoder, export_vae
from ui.plots import CODES
from vae.analysis.explore import decode
from vae.onnx.browser import browser_spec
from vae.runfolder.checkpoint import load_checkpoint

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DECODER_JS = ROOT / "components" / "live_decoder" / "decoder.js"
MAIN = '[data-testid="stMain"]'
NAME = "my-vae"
IMAGES = 120


@pytest.fixture(scope="module")
def imported_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint folder holding one imported model, exported from the network in testkit."""
    import torch

    from vae import load_dataset

    digits = load_dataset("digits")
    root = tmp_path_factory.mktemp("imported")
    torch.manual_seed(0)
    enc, dec = FcEncoder(64, 32, 2).eval(), FcDecoder((1, 8, 8), 32, 2).eval()
    x, y = digits.test_x.numpy()[:IMAGES], digits.test_y.numpy()[:IMAGES]
    export_vae(
        root / NAME, enc, dec, (1, 8, 8), 2, x, y, decoder_output="mean",
        classes=[str(i) for i in range(10)], dataset="digits",
    )  # fmt: skip
    return root


@pytest.fixture(scope="module")
def url(imported_dir: Path) -> Iterator[str]:
    server = start_server(imported_dir)
    yield server.url
    server.stop()


def goto(page: Any, url: str, path: str, heading: str) -> None:
    open_app(page, f"{url}/{path}?run={NAME}")
    h1 = page.locator(f"{MAIN} h1").filter(has_text=re.compile(heading, re.IGNORECASE))
    h1.first.wait_for()
    wait_for_app(page)
    page.wait_for_timeout(1000)  # charts and components draw after the script ends
    wait_for_app(page)
    assert_no_exception(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "imported ONNX model" in sidebar, sidebar


def test_latent_page_draws_every_image_of_the_folder(page: Any, url: str) -> None:
    goto(page, url, "latent", "latent space")
    plot = page.locator(f"{MAIN} .js-plotly-plot").first
    plot.wait_for()
    page.wait_for_function(
        "(el) => (el.data || []).some(t => t.x && (t.x.length || t.x.bdata))",
        arg=plot.element_handle(),
    )
    names = plot.evaluate("(el, m) => el.data.filter(t => t.meta === m).map(t => t.name)", CODES)
    assert names == [str(i) for i in range(10)]
    screenshot(page, "onnx-latent")


def test_decoder_page_decodes_the_imported_graph_in_the_browser(page: Any, url: str) -> None:
    goto(page, url, "decoder", "decoder")
    root = page.locator(".ld-root").first
    root.wait_for()
    assert "cannot run in the browser" not in page.locator(MAIN).inner_text()
    picture = page.locator(".ld-image").first.evaluate("(c) => c.toDataURL('image/png')")
    blank = page.evaluate(
        """(c) => { const b = document.createElement('canvas');
                    b.width = c.width; b.height = c.height; return b.toDataURL('image/png'); }""",
        page.locator(".ld-image").first.element_handle(),
    )
    assert picture != blank, "the decoded image was not drawn"
    screenshot(page, "onnx-decoder")


def test_reconstructions_page_shows_the_pairs(page: Any, url: str) -> None:
    goto(page, url, "reconstructions", "reconstructions")
    img = page.locator(f'{MAIN} [data-testid="stImage"] img').first
    img.wait_for()
    assert img.evaluate("(i) => i.complete && i.naturalWidth > 0")
    assert "−ELBO" in page.locator(MAIN).inner_text()
    screenshot(page, "onnx-reconstructions")


def test_decoder_js_runs_the_imported_graph_as_onnxruntime_does(
    browser: Any, imported_dir: Path
) -> None:
    model = load_checkpoint(imported_dir / NAME).model
    spec = browser_spec(model)
    z = np.random.default_rng(0).standard_normal((32, 2)).astype(np.float32) * 2
    context = browser.new_context()
    try:
        pg = context.new_page()
        pg.set_content("<!doctype html><title>decoder</title>")
        pg.add_script_tag(content=DECODER_JS.read_text(encoding="utf-8"))
        flat = pg.evaluate(
            """([spec, zs]) => { const dec = makeDecoder(spec); const out = [];
                                 for (const z of zs) out.push(...dec.decode(z)); return out; }""",
            [spec, z.tolist()],
        )
    finally:
        context.close()
    got = np.asarray(flat, np.float32).reshape(len(z), 1, 8, 8)
    expected = decode(model, z)
    assert float(expected.std()) > 1e-3
    assert float(np.abs(got - expected).max()) <= 1e-4
