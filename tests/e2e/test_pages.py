"""Every page in a real browser on the shipped checkpoints: no exception box, the right content.

One app server for the module (the session's `app_url`). Each page is screenshotted to
the artifacts folder; the Latent page on mnist-2d is the README's docs/screenshot.png
(written there by `make docs`). Selectors are data-testids, st-key-<key> classes and visible text.
"""

from __future__ import annotations

import base64
import io
import re
import time
from typing import Any
from urllib.parse import urljoin

import numpy as np
import pytest
from PIL import Image

from testkit.browser import (
    ARTIFACTS,
    assert_no_exception,
    open_app,
    readme_picture,
    screenshot,
    wait_for_app,
    webgl_scales,
)

pytestmark = pytest.mark.e2e

MAIN = '[data-testid="stMain"]'
# (url path, words in the page's h1, the nav link's title)
PAGES = [
    ("overview", "variational autoencoder", "Overview"),
    ("training", "training", "Training"),
    ("latent", "latent space", "Latent space"),
    ("decoder", "decoder", "Decoder"),
    ("reconstructions", "reconstructions", "Reconstructions"),
    ("interpolate", "interpolation", "Interpolation"),
    ("inference", "inference", "Inference"),
    ("compare", "compare", "Compare models"),
    ("lessons", "lessons", "Lessons"),
]

# Per plotly trace: type, name, mode and number of x values. Plotly may hold the x values
# as a plain array, a typed array, or the JSON {dtype, bdata} form (base64).
TRACES_JS = """(el) => {
    const sizes = {int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4,
                   float64: 8, i1: 1, u1: 1, i2: 2, u2: 2, i4: 4, u4: 4, f4: 4, f8: 8};
    const full = el._fullData || [];
    return (el.data || []).map((t, i) => {
        const x = t.x;
        let n = 0;
        if (x && typeof x.length === 'number') n = x.length;
        else if (x && typeof x.bdata === 'string') n = atob(x.bdata).length / (sizes[x.dtype] || 8);
        else if (full[i] && full[i].x) n = full[i].x.length;
        return {type: t.type || '', name: String(t.name || ''), mode: t.mode || '', n: n};
    });
}"""


def goto(page: Any, url: str, heading: str) -> None:
    """Open a page of the app and wait until its h1 holds `heading` and the script is idle."""
    open_app(page, url)
    h1 = page.locator(f"{MAIN} h1").filter(has_text=re.compile(heading, re.IGNORECASE))
    h1.first.wait_for()
    wait_for_app(page)


def fetch_png(page: Any, img: Any) -> bytes:
    """The bytes behind an <img> (Streamlit serves st.image from /media/...)."""
    src = img.get_attribute("src")
    assert src, "the image has no src"
    if src.startswith("data:"):
        return base64.b64decode(src.split(",", 1)[1])
    response = page.request.get(urljoin(page.url, src))
    assert response.ok, f"{src}: HTTP {response.status}"
    return bytes(response.body())


def scatter_points(page: Any) -> tuple[int, list[dict[str, Any]]]:
    """Points drawn as markers on the first plotly chart of the page, and its traces."""
    plot = page.locator(f"{MAIN} .js-plotly-plot").first
    plot.wait_for()
    traces: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # plotly fills `data` once it has drawn
        traces = plot.evaluate(TRACES_JS)
        if any(t["n"] for t in traces):
            break
        time.sleep(0.5)
    return sum(t["n"] for t in traces if "markers" in t["mode"]), traces


# --- every page -----------------------------------------------------------------------------


def test_navigation_lists_every_page(page: Any, app_url: str) -> None:
    goto(page, app_url, "variational autoencoder")
    nav = page.locator('[data-testid="stSidebarNav"]')
    text = nav.inner_text()
    for _, _, title in PAGES:
        assert title in text, f"{title!r} is missing from the navigation:\n{text}"
    links = nav.locator("a").evaluate_all("els => els.map(e => new URL(e.href).pathname)")
    paths = {link.strip("/") or "overview" for link in links}
    assert {p for p, _, _ in PAGES} <= paths, links
    # Helper modules under pages/ are not pages (Streamlit's legacy folder mode would list them).
    assert not paths & {"common", "plots", "decoder_parts", "latent_aids"}, links


def test_every_page_loads_without_exception(page: Any, app_url: str) -> None:
    """Walk the navigation in one browser session: each page draws, without an exception."""
    goto(page, app_url, "variational autoencoder")
    problems = []
    for path, heading, title in PAGES:
        link = page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first
        link.click()
        h1 = page.locator(f"{MAIN} h1").filter(has_text=re.compile(heading, re.IGNORECASE))
        try:
            h1.first.wait_for()
            wait_for_app(page)
            page.wait_for_timeout(1500)  # charts and components draw after the script ends
            wait_for_app(page)
            assert_no_exception(page)
            assert path in page.url or (path == "overview" and "/?" in page.url), page.url
            sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
            assert "mnist-2d:" in sidebar, "the default checkpoint is not described"
        except Exception as exc:  # report every page, not only the first one that fails
            problems.append(f"{path}: {str(exc).splitlines()[0]}")
        finally:
            assert screenshot(page, f"page-{path}").stat().st_size > 10_000
    assert not problems, "\n".join(problems)


def test_picker_shows_the_selected_checkpoint_on_every_page(page: Any, app_url: str) -> None:
    goto(page, app_url, "variational autoencoder")
    picker = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input')
    for _, heading, title in PAGES:
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
        h1 = page.locator(f"{MAIN} h1").filter(has_text=re.compile(heading, re.IGNORECASE))
        h1.first.wait_for()
        wait_for_app(page)
        shown = picker.first.input_value()
        assert shown.startswith("mnist-2d "), f"{title}: the picker shows {shown!r}"


def test_an_unknown_page_with_hostile_parameters_opens_the_app(page: Any, app_url: str) -> None:
    """/no-such-page?run=../../etc&z=nan: Streamlit's own page falls back to the main page."""
    open_app(page, f"{app_url}/no-such-page?run=..%2F..%2Fetc&z=nan&vs=%00&image=-1")
    h1 = page.locator(f"{MAIN} h1").filter(has_text=re.compile("variational", re.IGNORECASE))
    h1.first.wait_for()
    wait_for_app(page)
    assert_no_exception(page)
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "mnist-2d:" in sidebar, sidebar  # the default model, not the link's path


def test_overview_url_path_opens_without_a_not_found_dialog(page: Any, app_url: str) -> None:
    goto(page, f"{app_url}/overview", "variational autoencoder")
    page.wait_for_timeout(1000)
    dialogs = page.get_by_role("dialog")
    assert dialogs.count() == 0, dialogs.first.inner_text()


# --- Latent space -----------------------------------------------------------------------------


@pytest.mark.docs
def test_latent_scatter_holds_every_test_image(page: Any, app_url: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 900})
    goto(page, f"{app_url}/latent?run=mnist-2d", "latent space")
    points, traces = scatter_points(page)
    assert points >= 1000, traces
    markers = [t for t in traces if "markers" in t["mode"]]
    assert len(markers) == 10, traces  # one trace per MNIST class
    caption = page.locator(MAIN).get_by_text(re.compile(r"[\d,]+ points from")).first
    shown = int(re.search(r"([\d,]+) points from", caption.inner_text()).group(1).replace(",", ""))
    assert shown == points, (shown, points)
    # WebGL drawn at one canvas pixel per CSS pixel (ui.plots.MAP_CONFIG), not plotly's 2
    scales = webgl_scales(page)
    assert scales and all(abs(s - 1) < 0.01 for s in scales), scales
    assert_no_exception(page)
    # The README's picture: the map of mnist-2d at 1400x900, once WebGL has drawn.
    page.wait_for_timeout(1500)
    shot = ARTIFACTS / "page-latent-readme.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
    path = readme_picture(shot, "screenshot")
    with Image.open(path) as img:
        assert img.size == (1400, 900)
        colours = np.asarray(img.convert("RGB"))[300:, 300:].reshape(-1, 3)
    distinct = len({tuple(c) for c in colours[::7].tolist()})
    assert distinct > 50, "the map looks empty: the scatter did not draw"


# --- Reconstructions --------------------------------------------------------------------------

H = W = 28  # MNIST
PAD, PER_ROW, WIDTH = 4, 8, 1000  # as drawn by the Reconstructions page


def _pair_grid(png: bytes, count: int) -> tuple[np.ndarray, int]:
    """Grey picture of the pairs and its nearest-neighbour factor, checked against `count`."""
    with Image.open(io.BytesIO(png)) as img:
        pic = np.asarray(img.convert("L"), np.float32) / 255.0
    cols = min(PER_ROW, count)
    rows = -(-count // cols)
    base_w = cols * (2 * W + 1 + PAD) + PAD
    factor = max(1, WIDTH // base_w)
    assert pic.shape == ((rows * (H + PAD) + PAD) * factor, base_w * factor), (pic.shape, count)
    return pic, factor


def _pair_correlations(pic: np.ndarray, factor: int, count: int) -> np.ndarray:
    """(count, count): correlation of input i with the reconstruction shown beside input j."""
    cols = min(PER_ROW, count)
    inputs, recons = [], []
    for k in range(count):
        r, c = divmod(k, cols)
        y0 = (PAD + r * (H + PAD)) * factor
        x0 = (PAD + c * (2 * W + 1 + PAD)) * factor
        x1 = x0 + (W + 1) * factor
        inputs.append(pic[y0 : y0 + H * factor : factor, x0 : x0 + W * factor : factor].ravel())
        recons.append(pic[y0 : y0 + H * factor : factor, x1 : x1 + W * factor : factor].ravel())
    both = np.corrcoef(np.stack(inputs), np.stack(recons))
    return np.asarray(both[:count, count:])


def test_reconstructions_show_input_output_pairs(page: Any, app_url: str) -> None:
    goto(page, f"{app_url}/reconstructions?run=mnist-2d", "reconstructions")
    gallery = page.locator(f"{MAIN} [data-testid='stImage'] img").first
    gallery.wait_for()
    pic, factor = _pair_grid(fetch_png(page, gallery), 16)  # the default count, worst first
    assert 0.05 < pic.mean() < 0.95, "the picture of pairs is blank"
    caption = page.locator(MAIN).get_by_text("Left of each pair").first
    assert "right: its reconstruction" in caption.inner_text()

    # The best 64: the picture grows to the count, and each pair matches closely.
    page.locator(".st-key-recon_order").get_by_text("Best first").click()
    wait_for_app(page, rerun=True)
    thumb = page.locator(".st-key-recon_count input[type='range']")
    thumb.focus()
    thumb.press("End")
    wait_for_app(page, rerun=True)
    page.wait_for_function(
        "() => document.querySelector('.st-key-recon_count input[type=\"range\"]').value === '64'"
    )
    wait_for_app(page)
    gallery = page.locator(f"{MAIN} [data-testid='stImage'] img").first
    pic, factor = _pair_grid(fetch_png(page, gallery), 64)
    corr = _pair_correlations(pic, factor, 64)
    assert np.median(np.diag(corr)) > 0.7, np.diag(corr)
    # Each input resembles the picture beside it more than the other pictures: pairs.
    assert np.diag(corr).mean() > corr[~np.eye(64, dtype=bool)].mean() + 0.1
    assert_no_exception(page)
    screenshot(page, "page-reconstructions-best-64")


# --- Decoder ----------------------------------------------------------------------------------


def test_server_slider_changes_the_decoded_image(page: Any, app_url: str) -> None:
    goto(page, f"{app_url}/decoder?run=mnist-2d", "decoder")
    toggle = page.locator(".st-key-decoder_server")
    # When the in-browser view is the default, switch to the server sliders.
    if toggle.count() and not toggle.locator("input").is_checked():
        toggle.locator("label").first.click()
        wait_for_app(page, rerun=True)
    caption = page.locator(MAIN).get_by_text("The decoder's output at z").first
    caption.wait_for()
    before_text = caption.inner_text()
    assert "+0.00, +0.00" in before_text, before_text  # starts at the origin
    image = caption.locator("xpath=ancestor::*[@data-testid='stColumn'][1]")
    before = fetch_png(page, image.locator("[data-testid='stImage'] img").first)

    thumb = page.locator(f"{MAIN} [data-testid='stSlider'] input[type='range']").first
    thumb.focus()
    thumb.press("End")  # z1 to +3
    wait_for_app(page, rerun=True)
    page.locator(MAIN).get_by_text(re.compile(r"output at z = \(\+3\.00")).first.wait_for()
    wait_for_app(page)
    after = fetch_png(page, image.locator("[data-testid='stImage'] img").first)
    assert after != before
    with Image.open(io.BytesIO(before)) as a, Image.open(io.BytesIO(after)) as b:
        assert a.size == b.size and min(a.size) >= 200  # shown at a size a person can see
        diff = np.abs(np.asarray(a.convert("L"), float) - np.asarray(b.convert("L"), float))
    assert diff.mean() > 5, "z1 = 0 and z1 = 3 decode to nearly the same picture"
    assert_no_exception(page)
    screenshot(page, "page-decoder-server")


CANVAS_JS = "(c) => c.toDataURL('image/png')"


def test_browser_decoder_drag_redraws_the_canvas(page: Any, app_url: str) -> None:
    goto(page, f"{app_url}/decoder?run=mnist-2d", "decoder")
    if page.locator(MAIN).get_by_text("cannot run in the browser").count():
        pytest.skip("this decoder runs on the server only")
    canvas = page.locator(".ld-image")
    canvas.first.wait_for()  # the component loads its script and the weights first
    page.wait_for_timeout(1000)
    before = canvas.first.evaluate(CANVAS_JS)
    pad = page.locator(".ld-overlay").first
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box and box["width"] > 50, box
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])
    page.mouse.down()
    for i in range(1, 11):
        frac = 0.5 + 0.04 * i
        page.mouse.move(box["x"] + frac * box["width"], box["y"] + (1 - frac) * box["height"])
    page.mouse.up()
    page.wait_for_timeout(500)
    after = canvas.first.evaluate(CANVAS_JS)
    assert after != before, "the decoded image did not change after a drag"
    z = page.locator(".ld-root").first.get_attribute("data-z")
    assert z and z != "[0,0]", z
    wait_for_app(page)
    assert_no_exception(page)
    screenshot(page, "page-decoder-browser")
