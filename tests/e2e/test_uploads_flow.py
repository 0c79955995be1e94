"""Uploads on the Reconstructions page in a real browser: a drawn digit is reconstructed and
placed on the map; hostile files get an st.error, never an exception, and the page goes on.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urljoin

import numpy as np
import pytest
from PIL import Image, ImageDraw

from testkit.browser import assert_no_exception, open_app, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

MAIN = '[data-testid="stMain"]'
UPLOAD_INPUT = ".st-key-recon_upload input[type='file']"


def digit_png(size: int = 200) -> bytes:
    """A zero drawn dark on a light background, as a person would draw it on paper."""
    img = Image.new("L", (size, size), 255)
    ImageDraw.Draw(img).ellipse(
        (size * 0.3, size * 0.15, size * 0.7, size * 0.85), outline=0, width=size // 12
    )
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def upload(page: Any, name: str, data: bytes, mime: str = "image/png") -> None:
    page.locator(UPLOAD_INPUT).set_input_files({"name": name, "mimeType": mime, "buffer": data})
    wait_for_app(page, rerun=True)


def image_by_caption(page: Any, caption: str) -> Any:
    """The <img> of the st.image whose caption is `caption`."""
    figure = page.locator(f"{MAIN} [data-testid='stImage']").filter(has_text=caption)
    return figure.first.locator("img")


def pixels(page: Any, img: Any) -> np.ndarray:
    response = page.request.get(urljoin(page.url, img.get_attribute("src")))
    assert response.ok
    with Image.open(io.BytesIO(response.body())) as pic:
        return np.asarray(pic.convert("L"), np.float32) / 255.0


def expect_reconstruction(page: Any) -> float:
    """Wait for the upload's input and reconstruction; return their pixel correlation."""
    seen = image_by_caption(page, "What the model sees")
    recon = image_by_caption(page, "Its reconstruction")
    seen.wait_for()
    recon.wait_for()
    wait_for_app(page)
    a, b = pixels(page, seen), pixels(page, recon)
    assert a.shape == b.shape and a.std() > 0.05 and b.std() > 0.02
    assert page.locator(MAIN).get_by_text("−ELBO (nats)").count() >= 1
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def expect_upload_error(page: Any, name: str) -> str:
    """An st.error naming the file, no exception box, and no reconstruction shown."""
    error = page.locator(f"{MAIN} [data-testid='stAlertContentError']").filter(has_text=name)
    error.first.wait_for()
    wait_for_app(page)
    assert_no_exception(page)
    assert image_by_caption(page, "Its reconstruction").count() == 0
    return str(error.first.inner_text())


def test_drawn_digit_is_reconstructed_and_placed_on_the_map(page: Any, app_url: str) -> None:
    open_app(page, f"{app_url}/reconstructions?run=mnist-2d")
    page.locator(UPLOAD_INPUT).wait_for(state="attached")
    upload(page, "zero.png", digit_png())
    corr = expect_reconstruction(page)
    assert corr > 0.3, f"the reconstruction does not resemble the upload (r = {corr:.2f})"
    # Dark on light was inverted to MNIST's light on dark: the border is black.
    seen = pixels(page, image_by_caption(page, "What the model sees"))
    assert seen[:3].mean() < 0.2 and seen[-3:].mean() < 0.2
    # Its code is drawn on the latent map among the test codes.
    plot = page.locator(f"{MAIN} .st-key-recon_upload_map .js-plotly-plot")
    plot.wait_for()
    names = plot.evaluate("(el) => (el.data || []).map((t) => String(t.name || ''))")
    assert "your image" in names, names
    assert_no_exception(page)
    screenshot(page, "upload-good")


def test_hostile_uploads_get_an_error_and_the_page_keeps_working(page: Any, app_url: str) -> None:
    open_app(page, f"{app_url}/reconstructions?run=mnist-2d")
    page.locator(UPLOAD_INPUT).wait_for(state="attached")

    upload(page, "not-an-image.png", b"this is plain text, not a picture\n" * 20)
    text = expect_upload_error(page, "not-an-image.png")
    assert re.search(r"cannot be used", text), text
    screenshot(page, "upload-not-an-image")

    good = digit_png()
    upload(page, "truncated.png", good[: len(good) // 2])
    expect_upload_error(page, "truncated.png")
    screenshot(page, "upload-truncated")

    # The page still works: the gallery is there and a good file is reconstructed.
    assert page.locator(f"{MAIN} [data-testid='stImage'] img").count() >= 1
    upload(page, "zero-again.png", good)
    expect_reconstruction(page)
    assert page.locator(f"{MAIN} [data-testid='stAlertContentError']").count() == 0
    assert_no_exception(page)
