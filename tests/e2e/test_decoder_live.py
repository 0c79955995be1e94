"""The Decoder page's in-browser view in Chromium: drawing with no rerun, the position in the URL.

On the shipped mnist-2d: dragging the pad and moving a slider redraw the canvas while the
script stays idle (no Streamlit rerun, no running indicator); releasing sends the position
back once, and the address then holds it. Saves decoder_live.png among the screenshots, and the
README's docs/decoder.png under `make docs`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from components.live_decoder.measure import NEXT_FRAME
from testkit.browser import (
    assert_no_exception,
    open_app,
    readme_picture,
    screenshot,
    wait_for_app,
)

pytestmark = pytest.mark.e2e

CANVAS_JS = "(c) => c.toDataURL('image/png')"
# Count every start of a script run from now on (stApp's script state turning 'running').
WATCH_RUNS_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__runs = 0;
    window.__runWatch?.disconnect();
    window.__runWatch = new MutationObserver(() => {
        if (app.getAttribute('data-test-script-state') === 'running') window.__runs += 1;
    });
    window.__runWatch.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
RUNNING_ICON_JS = """() => !!document.querySelector(
    '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stStatusWidgetRunningManIcon"]')"""


def _url_z(page: Any) -> list[float]:
    (text,) = parse_qs(urlsplit(page.url).query)["z"]
    return [float(v) for v in text.split(",")]


def _shown_z(page: Any) -> list[float]:
    return list(json.loads(page.locator(".ld-root").first.get_attribute("data-z")))


def _canvas(page: Any) -> str:
    return str(page.locator(".ld-image").first.evaluate(CANVAS_JS))


def _frames(page: Any) -> int:
    return int(page.locator(".ld-root").first.get_attribute("data-frames") or 0)


def _assert_idle_while(page: Any, moves: list[tuple[float, float]]) -> list[str]:
    """Move the pressed pointer through `moves`; the canvas changes, the script never runs."""
    pictures = []
    for x, y in moves:
        page.mouse.move(x, y)
        page.evaluate(NEXT_FRAME)
        pictures.append(_canvas(page))
        assert not page.evaluate(RUNNING_ICON_JS), "Streamlit shows its running indicator"
    assert page.evaluate("window.__runs") == 0, "a move started a Streamlit rerun"
    return pictures


def _wait_for_url_z(page: Any, expected: list[float]) -> None:
    page.wait_for_function(
        """(want) => {
            const z = new URL(location.href).searchParams.get('z');
            if (!z) return false;
            const got = z.split(',').map(Number);
            return got.length === want.length
                && got.every((v, i) => Math.abs(v - want[i]) <= 0.0051);
        }""",
        arg=expected,
    )


def test_pad_and_sliders_draw_in_the_browser_and_the_release_reaches_the_url(
    page: Any, app_url: str
) -> None:
    open_app(page, f"{app_url}/decoder?run=mnist-2d")
    page.locator(".ld-overlay").first.wait_for()
    wait_for_app(page)
    assert_no_exception(page)
    assert _url_z(page) == [0.0, 0.0]
    page.evaluate(NEXT_FRAME)

    # Drag the pad: many frames, no rerun; the release sends the position once.
    pad = page.locator(".ld-overlay").first
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box and box["width"] >= 200, box
    before, frames = _canvas(page), _frames(page)
    page.evaluate(WATCH_RUNS_JS)
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])
    page.mouse.down()
    path = [
        (box["x"] + (0.5 + 0.03 * i) * box["width"], box["y"] + (0.5 + 0.025 * i) * box["height"])
        for i in range(1, 13)
    ]
    pictures = _assert_idle_while(page, path)
    assert pictures[-1] != before and len(set(pictures)) >= 4, "the canvas did not follow"
    assert _frames(page) >= frames + 8
    page.mouse.up()
    z = _shown_z(page)
    assert z[0] > 0.5 and z[1] < -0.5  # right of and below the centre
    _wait_for_url_z(page, z)
    wait_for_app(page)
    assert page.evaluate("window.__runs") >= 1  # the release, and only it, reruns the script
    assert _url_z(page) == pytest.approx(z, abs=0.0051)
    assert_no_exception(page)
    page.locator('[data-testid="stCode"]').filter(has_text="z=").first.wait_for()
    code = page.locator('[data-testid="stCode"]').first.inner_text()
    assert f"run=mnist-2d&z={z[0]:.2f},{z[1]:.2f}" in code, code
    screenshot(page, "decoder_live")

    # Sliders: the same in-browser view, one range input per dimension.
    page.locator('[data-testid="stMain"]').get_by_text("Sliders", exact=True).click()
    wait_for_app(page, rerun=True)
    sliders = page.locator(".ld-row input[type=range]")
    sliders.first.wait_for()
    assert sliders.count() == 2
    assert _shown_z(page) == pytest.approx(z, abs=1e-3)  # the new view starts at the point
    wait_for_app(page)
    first = sliders.first
    first.scroll_into_view_if_needed()
    rail = first.bounding_box()
    assert rail
    start_x = rail["x"] + rail["width"] * (z[0] + 3) / 6  # the thumb sits at z1
    y = rail["y"] + rail["height"] / 2
    before = _canvas(page)
    page.evaluate(WATCH_RUNS_JS)
    page.mouse.move(start_x, y)
    page.mouse.down()
    left = [(start_x - rail["width"] * 0.05 * i, y) for i in range(1, 9)]
    pictures = _assert_idle_while(page, left)
    assert pictures[-1] != before
    page.mouse.up()
    z2 = _shown_z(page)
    assert z2[0] < z[0] - 1.0 and z2[1] == pytest.approx(z[1], abs=1e-3)
    _wait_for_url_z(page, z2)
    wait_for_app(page)
    assert_no_exception(page)


@pytest.mark.docs
def test_readme_picture_of_the_decoder(page: Any, app_url: str) -> None:
    """docs/decoder.png: mnist-2d after a click on the pad and one on a KL bar."""
    page.set_viewport_size({"width": 1400, "height": 1660})
    open_app(page, f"{app_url}/decoder?run=mnist-2d")
    pad = page.locator(".ld-overlay").first
    pad.wait_for()
    wait_for_app(page)
    box = pad.bounding_box()
    assert box
    page.mouse.click(box["x"] + 0.66 * box["width"], box["y"] + 0.6 * box["height"])
    page.wait_for_function("() => new URL(location.href).searchParams.get('z') !== '0.00,0.00'")
    wait_for_app(page)
    bars = page.locator(".stPlotlyChart .bars .point path")
    bars.first.wait_for()
    column = bars.nth(1).bounding_box()  # the full-height background column of z2
    assert column
    page.mouse.click(column["x"] + column["width"] / 2, column["y"] + column["height"] * 0.2)
    wait_for_app(page, rerun=True)
    page.locator('[data-testid="stMain"]').get_by_text("from −3 to +3, the other").wait_for()
    wait_for_app(page)
    page.mouse.move(5, 5)  # no tooltip in the picture
    page.evaluate(NEXT_FRAME)
    page.wait_for_timeout(300)
    assert_no_exception(page)
    picture = readme_picture(screenshot(page, "decoder_readme"), "decoder")
    assert picture.stat().st_size > 50_000
