"""The Lessons page, a step's banner above its live page, and hostile ?lesson=/?step= values."""

from __future__ import annotations

import shutil
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import app, texts
from ui.lessons import step_params
from vae.lessons import load_lessons

LESSONS = {x.name: x for x in load_lessons()}


def named_like_shipped(ckpt_dir: Path, *names: str) -> None:
    """Copies of the tiny test runs under shipped checkpoints' names (2-D for *-2d*)."""
    for name in names:
        src = "digits-2d" if "-2d" in name else "digits-3d"
        shutil.copytree(ckpt_dir / src, ckpt_dir / name)


def open_step(at: AppTest, lesson: str, index: int, present: bool = False) -> AppTest:
    """Follow a step's link as the banner's page_link does: its page with its parameters."""
    found = LESSONS[lesson]
    at.query_params.clear()
    at.query_params.update(step_params(found, index, present))
    return at.switch_page(f"pages/{found.steps[index].page}.py").run()


def markdown(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def picker_value(at: AppTest) -> str:
    return str(at.session_state["checkpoint"])


def test_the_lessons_page_lists_every_lesson_and_a_link_per_step(ckpt_dir):
    at = app().run()
    at.switch_page("pages/lessons.py").run()
    assert not at.exception
    assert at.title[0].value.endswith("Lessons")
    shown = [h.value for h in at.main.subheader]
    assert len(shown) == len(LESSONS)
    assert all(any(x.title in h for h in shown) for x in LESSONS.values())
    links = [(e.proto.label, e.proto.page, e.proto.query_string) for e in at.get("page_link")]
    for lesson in LESSONS.values():
        for i, step in enumerate(lesson.steps):
            label = f"{i + 1}. {step.title}"
            (got,) = [x for x in links if x[0] == label and f"lesson={lesson.name}&" in x[2]]
            assert got[1] == step.page
            assert f"step={i + 1}" in got[2] and f"run={step.run}" in got[2]
            assert "present" not in got[2]
            presenting = [x for x in links if x[0] == "Present" and x[2] == got[2] + "&present=1"]
            assert len(presenting) == 1
    # the tiny runs here are not the lessons' checkpoints: the page says so
    assert "which this server does not have" in texts(at.caption)


def test_a_step_opens_its_page_in_its_state_with_the_banner(ckpt_dir):
    named_like_shipped(ckpt_dir, "mnist-2d")
    at = app(decoder_server=True)
    open_step(at, "decoder", 2)  # the decoder out at 3 sigma
    assert not at.exception
    step = LESSONS["decoder"].steps[2]
    assert "The decoder" in at.title[0].value
    assert step.title in markdown(at) and step.text in markdown(at)
    assert f"{LESSONS['decoder'].title}, step 3 of 4" in markdown(at)
    assert picker_value(at) == "mnist-2d"
    assert [s.value for s in at.slider][:2] == [3.0, 3.0]
    links = {e.proto.label: e.proto for e in at.get("page_link")}
    assert "step=2" in links["Previous"].query_string
    assert links["Next"].page == "latent" and "step=4" in links["Next"].query_string
    assert "present=1" in links["Present"].query_string
    assert "lesson" not in links["Close the lesson"].query_string
    # the page's own writes to the URL (?z=, ?run=) keep the lesson's parameters
    assert at.query_params["lesson"] == "decoder" and at.query_params["step"] == "3"


def test_stepping_back_reopens_each_steps_checkpoint(ckpt_dir):
    named_like_shipped(ckpt_dir, "mnist-16d-beta1", "mnist-16d-beta8")
    at = app(decoder_server=True)
    seen = []
    for index in (0, 1, 0, 1):  # forward, back, forward: a run seen before is taken again
        open_step(at, "collapse", index)
        assert not at.exception
        seen.append(picker_value(at))
        assert LESSONS["collapse"].steps[index].title in markdown(at)
    assert seen == ["mnist-16d-beta1", "mnist-16d-beta8"] * 2


def test_stepping_within_one_page_opens_each_steps_tab(ckpt_dir):
    named_like_shipped(ckpt_dir, "mnist-2d", "frey-2d")
    at = app()
    steps = LESSONS["map"].steps
    for index in (1, 3, 1, 0):  # Hover, Over training, Hover again, Map: one page throughout
        open_step(at, "map", index)
        assert not at.exception
        assert at.session_state["view"] == steps[index].params["view"], index


def test_presenter_mode_hides_the_chrome_and_counts_the_steps(ckpt_dir):
    named_like_shipped(ckpt_dir, "mnist-2d")
    at = app(decoder_server=True)
    open_step(at, "decoder", 1, present=True)
    assert not at.exception
    html = "\n".join(str(e.proto.body) for e in at.get("html"))
    assert '[data-testid="stSidebar"]' in html and "display: none" in html
    assert '<span class="vae-step-counter">2 / 4</span>' in markdown(at)
    links = {e.proto.label: e.proto for e in at.get("page_link")}
    assert "present=1" in links["Next"].query_string
    leave = links["Leave (Esc)"].query_string
    assert "present" not in leave and "step=2" in leave


def _figure_heights(at: AppTest) -> list[object]:
    import json

    return [json.loads(e.proto.spec)["layout"].get("height") for e in at.get("plotly_chart")]


def test_presenter_mode_draws_figures_smaller_instead_of_cutting_them(ckpt_dir):
    from ui.lessons import PRESENT_FIGURE_HEIGHT

    named_like_shipped(ckpt_dir, "mnist-2d", "mnist-2d-beta4")
    at = app()
    open_step(at, "rate-distortion", 0)  # the Training page's curves
    normal = _figure_heights(at)
    assert normal and all(h is None or h > PRESENT_FIGURE_HEIGHT for h in normal)
    open_step(at, "rate-distortion", 0, present=True)
    assert not at.exception
    assert _figure_heights(at) == [PRESENT_FIGURE_HEIGHT] * len(normal)
    html = "\n".join(str(e.proto.body) for e in at.get("html"))
    assert "stPlotlyChart" not in html  # no height cap in the style sheet clips them


def test_presenter_mode_keeps_a_latent_map_square_and_large(ckpt_dir):
    """A short, wide map with equal axes would stretch its x range into a strip: in presenter
    mode the map is PRESENT_MAP_HEIGHT high and narrows its plot instead."""
    import json

    from ui.lessons import PRESENT_FIGURE_HEIGHT, PRESENT_MAP_HEIGHT

    named_like_shipped(ckpt_dir, "mnist-2d")
    at = app()
    open_step(at, "decoder", 3)  # the Latent page's map
    (normal,) = [json.loads(e.proto.spec)["layout"] for e in at.get("plotly_chart")]
    assert normal["yaxis"]["scaleanchor"] == "x" and "constrain" not in normal["xaxis"]
    open_step(at, "decoder", 3, present=True)
    assert not at.exception
    (shown,) = [json.loads(e.proto.spec)["layout"] for e in at.get("plotly_chart")]
    assert PRESENT_FIGURE_HEIGHT < shown["height"] == PRESENT_MAP_HEIGHT < normal["height"]
    assert shown["xaxis"]["constrain"] == "domain" and shown["yaxis"]["scaleanchor"] == "x"


def test_presenter_mode_leaves_out_the_decoder_heading_of_a_hidden_caption(ckpt_dir):
    named_like_shipped(ckpt_dir, "mnist-2d")
    at = app()
    open_step(at, "decoder", 0)
    assert "**What you see**" in markdown(at)
    open_step(at, "decoder", 0, present=True)
    assert not at.exception
    assert "**What you see**" not in markdown(at)


def test_hostile_lesson_and_step_values_get_a_clear_message(ckpt_dir):
    cases = [
        ({"lesson": "<script>alert(1)</script>", "step": "1"}, "no lesson named"),
        ({"lesson": "map", "step": "99"}, "it has steps 1 to 4"),
        ({"lesson": "map", "step": "-1"}, "it has steps 1 to 4"),
        ({"lesson": "map", "step": "1; drop"}, "it has steps 1 to 4"),
        ({"lesson": "x" * 5000}, "no lesson named"),
        ({"step": "2"}, "no lesson named"),
    ]
    for query, message in cases:
        at = app()
        at.query_params.update(query)
        at.switch_page("pages/overview.py").run()
        assert not at.exception, query
        warning = texts(at.warning)
        assert "lesson step cannot be opened" in warning and message in warning, query
        assert "<script>" not in warning and len(warning) < 600
        assert at.title  # the page itself is still shown
