"""The Latent page's teaching aids in Chromium, on the shipped mnist-2d checkpoint.

The epoch scrubber moves the snapshot scatter and the loss marker, the q(z) shading draws a
heatmap, hovering the live map redraws the decoded image, and the q(z|x) view tiles its
draws. Screenshots go to the artifacts folder as latent_*.png.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from components.live_decoder.measure import NEXT_FRAME
from testkit.browser import ARTIFACTS, assert_no_exception, open_app, wait_for_app
from vae.runfolder.checkpoint import load_checkpoint

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT = "mnist-2d"
CHART = '[data-testid="stPlotlyChart"]'

# The visible plotly chart's graph div: its traces (points as x, y) and slider state.
GRAPH_STATE = """(sel) => {
    const charts = [...document.querySelectorAll(sel)].filter((c) => c.offsetParent !== null);
    const gd = charts.length ? charts[0].querySelector(".js-plotly-plot") : null;
    if (!gd || !gd.data) return null;
    const slider = (gd.layout.sliders || [])[0];
    return {
        traces: gd._fullData.map((t) => ({
            type: t.type, meta: t.meta || null, name: t.name || null,
            x: t.x ? Array.from(t.x).slice(0, 400) : [],
            y: t.y ? Array.from(t.y).slice(0, 400) : [],
        })),
        active: slider ? slider.active : null,
        steps: slider ? slider.steps.length : 0,
    };
}"""

# A cheap fingerprint of the live decoder's canvas: the sum of its grey levels.
CANVAS_SUM = """(c) => {
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let s = 0;
    for (let i = 0; i < d.length; i += 4) s += d[i];
    return s;
}"""


def _shot(locator: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    locator.screenshot(path=str(path))
    return path


def _tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    wait_for_app(page, rerun=True)
    assert_no_exception(page)


def _graph(page: Any) -> dict[str, Any]:
    page.wait_for_function(f"() => ({GRAPH_STATE})({CHART!r}) !== null")
    return page.evaluate(GRAPH_STATE, CHART)


def _points(state: dict[str, Any]) -> list[float]:
    (trace,) = [t for t in state["traces"] if t["meta"] == "points"]
    return trace["x"]


def _marker(state: dict[str, Any]) -> float:
    (trace,) = [t for t in state["traces"] if t["name"] == "this epoch"]
    return trace["x"][0]


@pytest.fixture
def latent(page: Any, app_url: str) -> Any:
    page.set_viewport_size({"width": 1400, "height": 1300})
    open_app(page, app_url)  # the root first: a fresh server runs every page through app.py
    open_app(page, f"{app_url}/latent?run={CHECKPOINT}")
    page.get_by_role("tab", name="Over training").wait_for()
    assert_no_exception(page)
    assert CHECKPOINT in page.locator('[data-testid="stSidebar"]').inner_text()
    return page


def test_epoch_scrubber_moves_the_scatter_and_the_loss_marker(latent: Any) -> None:
    page = latent
    _tab(page, "Over training")
    epochs = load_checkpoint(ROOT / "checkpoints" / CHECKPOINT).epoch
    before = _graph(page)
    assert before["steps"] == epochs + 1 and before["active"] == 0  # epochs 0..N, one step each
    assert _marker(before) == 0
    rail = page.locator(f"{CHART} .slider-rail-touch-rect").first
    box = rail.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 0.6 * box["width"], box["y"] + box["height"] / 2)
    page.wait_for_function(
        f"() => {{ const s = ({GRAPH_STATE})({CHART!r}); return s && s.active > 0; }}"
    )
    time.sleep(0.5)  # let the frame settle
    after = _graph(page)
    epoch = after["active"]
    assert 0.45 * epochs <= epoch <= 0.75 * epochs  # clicked at 60% of the rail
    assert _points(after) != _points(before)  # the scatter moved
    assert _marker(after) == epoch  # and the loss marker with it
    current = page.locator(f"{CHART} .slider-container text.slider-label").first
    assert current.text_content() == f"epoch {epoch}"
    _shot(page.locator(CHART).first, "latent_scrubber")
    # Play steps through the remaining epochs in the browser.
    page.get_by_text("▶ Play").first.click()
    page.wait_for_function(
        f"() => {{ const s = ({GRAPH_STATE})({CHART!r}); return s && s.active > {epoch}; }}",
        timeout=20_000,
    )
    assert_no_exception(page)


def test_density_toggle_shades_the_map(latent: Any) -> None:
    page = latent
    assert not [t for t in _graph(page)["traces"] if t["type"] == "heatmap"]
    page.get_by_text("Shade where q(z) is thin").click()
    wait_for_app(page, rerun=True)
    assert_no_exception(page)
    page.wait_for_function(
        f"() => {{ const s = ({GRAPH_STATE})({CHART!r});"
        " return s && s.traces.some((t) => t.type === 'heatmap'); }"
    )
    assert "of samples from the prior N(0, I) land where q(z)" in page.inner_text("body")
    _shot(page.locator(CHART).first, "latent_density")
    _shot(page.locator('[data-testid="stMain"]'), "latent_map_page")


def test_hovering_the_live_map_redraws_the_decoded_image(latent: Any) -> None:
    page = latent
    _tab(page, "Hover to decode")
    overlay = page.locator(".ld-overlay")
    overlay.wait_for()
    box = overlay.bounding_box()
    assert box is not None
    root, canvas = page.locator(".ld-root"), page.locator(".ld-image")  # in a shadow root
    root.and_(page.locator("[data-frames]")).wait_for()  # drawn at least once
    page.mouse.move(box["x"] + 0.25 * box["width"], box["y"] + 0.3 * box["height"])
    page.evaluate(NEXT_FRAME)
    first, z1 = canvas.evaluate(CANVAS_SUM), root.get_attribute("data-z")
    page.mouse.move(box["x"] + 0.7 * box["width"], box["y"] + 0.8 * box["height"])
    page.evaluate(NEXT_FRAME)
    second, z2 = canvas.evaluate(CANVAS_SUM), root.get_attribute("data-z")
    assert z1 != z2 and first != second  # the image follows the pointer
    _shot(page.locator('[data-testid="stMain"]'), "latent_hover")
    page.mouse.click(box["x"] + 0.7 * box["width"], box["y"] + 0.8 * box["height"])
    wait_for_app(page, rerun=True)
    page.get_by_text("the Decoder page starts here").wait_for()
    assert_no_exception(page)


def test_samples_from_q_z_given_x_are_tiled(latent: Any) -> None:
    page = latent
    _tab(page, "Samples from q(z|x)")
    images = page.locator('[data-testid="stMain"] [data-testid="stImage"] img')
    page.wait_for_function(
        """(sel) => [...document.querySelectorAll(sel)]
            .filter((i) => i.complete && i.naturalWidth > 0).length >= 3""",
        arg='[data-testid="stMain"] [data-testid="stImage"] img',
    )
    assert images.count() == 3
    assert "16 draws" in page.inner_text('[data-testid="stMain"]')
    _shot(page.locator('[data-testid="stMain"]'), "latent_samples")


def test_the_open_view_lives_in_the_url(page: Any, app_url: str) -> None:
    open_app(page, app_url)
    open_app(page, f"{app_url}/latent?run={CHECKPOINT}&view=Over+training")
    selected = page.get_by_role("tab", selected=True)
    selected.first.wait_for()
    assert selected.first.inner_text().strip() == "Over training"
    _tab(page, "Hover to decode")
    page.wait_for_url(
        lambda url: "view=Hover+to+decode" in url or "view=Hover%20to%20decode" in url
    )
    assert f"run={CHECKPOINT}" in page.url
