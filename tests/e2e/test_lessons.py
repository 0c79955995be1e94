"""Every step of every lesson in Chromium at 1280x720 in presenter mode, and the keys that step.

Each step opens from its own address as it promises (the page, the checkpoint, the view),
without an exception, with its step counter; its main figure and first control lie inside a
projector's 1280x720 viewport together. The arrow keys and Page Up/Down step forward and
back and Escape leaves presenter mode.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from testkit.browser import APP_LIMIT_MS, assert_no_exception, open_app, screenshot, wait_for_app
from ui.lessons import step_href
from vae.lessons import Lesson, load_lessons

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT = 1280, 720
MAIN = '[data-testid="stMain"]'
TITLES = {
    "latent": "The latent space",
    "decoder": "The decoder",
    "training": "Training",
    "compare": "Compare two models",
    "inference": "Inference",
    "interpolate": "Interpolation",
}
PLOT = f'{MAIN} [data-testid="stPlotlyChart"]'
CANVAS = f"{MAIN} canvas"  # the in-browser decoder's picture (Playwright pierces its shadow root)
IMAGE = f'{MAIN} [data-testid="stImage"]'
# The first control a page offers, after the lesson's banner.
CONTROLS = ", ".join(
    f"{MAIN} {sel}"
    for sel in (
        '[role="tab"]',
        '[data-testid="stCheckbox"]',
        '[data-testid="stSelectbox"]',
        '[data-testid="stButtonGroup"]',
        '[data-testid="stNumberInput"]',
        '[data-testid="stSlider"]',
    )
)
LESSONS = load_lessons()
STEPS = [(lesson, i) for lesson in LESSONS for i in range(len(lesson.steps))]


def figure_of(lesson: Lesson, index: int) -> str:
    step = lesson.steps[index]
    if step.page == "decoder" or step.params.get("view") == "Hover to decode":
        return CANVAS
    if step.page == "interpolate":
        return IMAGE
    return PLOT


@pytest.fixture(scope="module")
def projector(browser: Any) -> Iterator[Any]:
    """One 1280x720 page for the whole module."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    pg = context.new_page()
    pg.set_default_timeout(APP_LIMIT_MS)
    yield pg
    context.close()


def inside(page: Any, selector: str, what: str) -> None:
    element = page.locator(f"{selector} >> visible=true").first
    element.wait_for(state="visible", timeout=30_000)

    def fits(b: dict[str, float] | None) -> bool:
        return (
            b is not None
            and b["x"] >= 0
            and b["y"] >= 0
            and (b["x"] + b["width"] <= WIDTH + 0.5 and b["y"] + b["height"] <= HEIGHT + 0.5)
        )

    box = element.bounding_box()  # the page may still be laying out: look again for a while
    deadline = time.monotonic() + 10
    while not fits(box) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
        box = element.bounding_box()
    assert box is not None, what
    assert box["x"] >= 0 and box["y"] >= 0, (what, box)
    assert box["x"] + box["width"] <= WIDTH + 0.5, (what, box)
    assert box["y"] + box["height"] <= HEIGHT + 0.5, (what, box)


def query(page: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def check_state(page: Any, lesson: Lesson, index: int) -> None:
    """The page, checkpoint, view and counter the step promises; no exception."""
    step = lesson.steps[index]
    title = page.locator(f"{MAIN} h1").first
    title.wait_for(state="attached")
    assert TITLES[step.page] in (title.text_content() or "")
    # presenter mode hides the sidebar (on a fresh server's first visit, after the rerun
    # that puts the page inside app.py: wait for it, and fail if it stays)
    page.locator('[data-testid="stSidebar"]').wait_for(state="hidden", timeout=20_000)
    counter = page.locator(".vae-step-counter")
    assert counter.text_content() == f"{index + 1} / {len(lesson.steps)}"
    banner = page.locator(".st-key-lesson_banner").inner_text()
    assert step.title in banner
    got = query(page)
    assert (got["lesson"], got["step"], got["present"]) == (lesson.name, str(index + 1), "1")
    assert got["run"] == step.run
    # the checkpoint the app selected (the hidden sidebar's caption names it)
    sidebar = page.locator('[data-testid="stSidebar"]').text_content() or ""
    assert f"{step.run}:" in sidebar
    if "view" in step.params:
        tab = page.locator(f'{MAIN} [role="tab"][aria-selected="true"]').first
        assert tab.inner_text().strip() == step.params["view"]
    if "part" in step.params:
        tab = page.locator(f'{MAIN} [role="tab"][aria-selected="true"]').first
        assert tab.inner_text().strip() == step.params["part"]
    if "image" in step.params:
        box = page.locator(f'{MAIN} [data-testid="stNumberInput"] input').first
        assert box.input_value() == step.params["image"]
    if "z" in step.params:  # the page took the point: it writes it back in its own format
        want = [float(v) for v in step.params["z"].split(",")]
        assert [float(v) for v in got["z"].split(",")] == want
    if "vs" in step.params:
        assert step.params["vs"] in page.locator(MAIN).inner_text()
    assert_no_exception(page)


@pytest.mark.parametrize(
    ("lesson", "index"), STEPS, ids=[f"{lesson.name}-{i + 1}" for lesson, i in STEPS]
)
def test_each_step_opens_in_its_state_and_fits_a_projector(
    projector: Any, app_url: str, lesson: Lesson, index: int
) -> None:
    step = lesson.steps[index]
    open_app(projector, f"{app_url}/{step_href(lesson, index, True)}")
    try:
        check_state(projector, lesson, index)
        inside(projector, figure_of(lesson, index), "the main figure")
        if step.page != "training":  # the curves are the view; its controls train a new run
            inside(projector, CONTROLS, "the first control")
    except AssertionError:
        screenshot(projector, f"lesson-{lesson.name}-{index + 1}")
        raise


def test_the_keys_step_forward_and_back_and_escape_leaves(projector: Any, app_url: str) -> None:
    lesson = next(x for x in LESSONS if x.name == "decoder")
    open_app(projector, f"{app_url}/{step_href(lesson, 0, True)}")

    def press(key: str, step: int) -> None:
        projector.keyboard.press(key)
        projector.wait_for_url(re.compile(rf"[?&]step={step}(&|$)"))
        wait_for_app(projector)
        counter = projector.locator(".vae-step-counter")
        counter.wait_for(state="attached")
        assert counter.text_content() == f"{step} / {len(lesson.steps)}", key
        assert query(projector)["present"] == "1"
        assert_no_exception(projector)

    press("ArrowRight", 2)
    press("PageDown", 3)
    press("ArrowLeft", 2)
    press("PageUp", 1)
    projector.keyboard.press("Escape")
    projector.wait_for_url(lambda url: "present=" not in url)
    wait_for_app(projector)
    assert query(projector)["step"] == "1"
    assert projector.locator('[data-testid="stSidebar"]').is_visible()  # the normal app again
    assert not projector.locator(".vae-step-counter").count()
    assert lesson.steps[0].title in projector.locator(".st-key-lesson_banner").inner_text()


@pytest.mark.parametrize("name", ["map", "paths", "encoder", "decoder"])
def test_next_puts_the_step_shown_in_the_address(projector: Any, app_url: str, name: str) -> None:
    """A Next link to the page already shown must leave the address on the new step, so a
    reload or a copied link opens the step the room is looking at."""
    lesson = next(x for x in LESSONS if x.name == name)
    open_app(projector, f"{app_url}/{step_href(lesson, 0, False)}")
    for step in range(2, len(lesson.steps) + 1):
        projector.locator(".st-key-lesson_banner").get_by_role("link", name="Next").click()
        projector.wait_for_url(re.compile(rf"[?&]step={step}(&|$)"), timeout=APP_LIMIT_MS)
        wait_for_app(projector)
        got = query(projector)
        assert got["lesson"] == name and got["step"] == str(step)
        for key, value in lesson.steps[step - 1].params.items():
            if key in ("run", "vs", "image"):  # z and the tabs are written in their own forms
                default = key == "image" and value == "0"  # a bound widget's default is left out
                assert got.get(key) == (None if default else value), (step, key, got)
        where = projector.locator(".vae-lesson-where").inner_text()
        assert f"step {step} of {len(lesson.steps)}" in where
