"""Lessons in the app: the step banner on every page, presenter mode, the step links.

A step's link is its page with the step's query parameters plus ?lesson=NAME&step=N (and
?present=1 in presenter mode). app.py calls `lesson_frame()` once per run, before the
sidebar picker reads ?run=, so the page below is the real page in the step's prepared
state, with the step's text in a banner above it and links to the previous and next step.
Presenter mode hides the sidebar and Streamlit's chrome, enlarges the text, caps the
figures' heights so a step fits a 1280x720 projector, and lets the arrow keys, Page Up/Down
and Escape drive the lesson (components/lesson_keys).
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from components.lesson_keys import lesson_keys
from ui import state
from ui.errors import describe
from ui.i18n import _, with_language
from vae.lessons import LESSON_DIR, Lesson, LessonError, Step, find_step, load_lessons

LESSONS_PAGE = "pages/lessons.py"
# The URL parameters each page remembers once read; a newly opened step forgets them so the
# step's values are taken again (ui/selection.py, pages/compare.py, ui/decoder_parts.py).
_LINK_MARKS = (state.DECODER_LINK_SEEN, state.COMPARE_LINK_SEEN)
# Widgets bound to the URL: forgotten with them so they start from the step's values.
_BOUND_WIDGETS = (state.VIEW_PARAM, state.INFERENCE_PART, state.INFERENCE_IMAGE)

BANNER_CSS = """
<style>
.vae-lesson-title { font-weight: 600; font-size: 1.15rem; }
.vae-lesson-where { opacity: 0.6; font-size: 0.9rem; }
</style>
"""
PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stStatusWidget"], footer { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.75rem 2rem 1rem 2rem !important;
  max-width: 100% !important; }
[data-testid="stMain"] { font-size: 1.2rem; }
[data-testid="stMain"] p, [data-testid="stMain"] li { font-size: 1.2rem; }
/* the banner's step title stands in for the page's title and its caption */
[data-testid="stMain"] [data-testid="stElementContainer"]:has(h1),
[data-testid="stMain"] [data-testid="stElementContainer"]:has(h1)
  + [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"]) {
  display: none !important; }
/* the teacher says what the captions say */
[data-testid="stMain"] [data-testid="stElementContainer"]:has([data-testid="stCaptionContainer"])
  :not(.st-key-lesson_banner *) {
  display: none !important; }
/* a figure table: label, value and difference on one line */
[data-testid="stMain"] h3, [data-testid="stMain"] h4 { font-size: 1.15rem !important;
  padding: 0.1rem 0 0 0 !important; }
[data-testid="stMain"] [data-testid="stMetric"],
[data-testid="stMain"] [data-testid="stMetric"] > div {
  display: flex !important; flex-flow: row wrap; align-items: baseline; gap: 0 0.5rem; }
[data-testid="stMain"] [data-testid="stMetricValue"] { font-size: 1.3rem !important; }
[data-testid="stMain"] [data-testid="stMetricDelta"] { margin: 0 !important; }
/* the style sheets and the keys take no room */
[data-testid="stMain"] [data-testid="stElementContainer"]:has(style),
[data-testid="stMain"] .st-key-lesson_keys { display: none !important; }
.st-key-lesson_banner { padding: 0.4rem 1rem 0 1rem !important; gap: 0.2rem !important; }
.vae-lesson-title { font-size: 1.45rem !important; }
.vae-step-counter { position: fixed; right: 1rem; bottom: 0.6rem; z-index: 1000;
  font-size: 1rem; padding: 0.1rem 0.6rem; border-radius: 0.6rem; opacity: 0.75;
  background: rgba(128, 128, 128, 0.18); }
/* a projector is 720 px high: figures give way to their controls (plotly: fit_figure) */
[data-testid="stMain"] [data-testid="stImage"] img {
  max-height: 44vh !important; width: auto !important; object-fit: contain; }
</style>
"""


PRESENT_FIGURE_HEIGHT = 260  # px: a plotly figure beside its controls on a 720-px projector
PRESENT_MAP_HEIGHT = 400  # px: a map with equal axes, the step's subject, below its controls


def fit_figure(fig: Any) -> Any:
    """A plotly figure as it is, or in presenter mode no higher than PRESENT_FIGURE_HEIGHT.

    Every page passes its figures through this on their way to st.plotly_chart: the figure is
    drawn smaller, axes and legend included, where a height cap would cut its bottom off. A
    map with equal axes (a latent map) may be PRESENT_MAP_HEIGHT high and keeps its axes
    square by narrowing its plot, where a short wide one would stretch its x range into a
    strip of empty space. A figure cached for everyone is copied, never changed.
    """
    if not presenting():
        return fig
    square = fig.layout.yaxis.scaleanchor == "x"
    cap = PRESENT_MAP_HEIGHT if square else PRESENT_FIGURE_HEIGHT
    height = fig.layout.height or 450  # plotly's default
    if height <= cap:
        return fig
    import plotly.graph_objects as go  # the figure's own library: loaded already

    out = go.Figure(fig)
    out.update_layout(height=cap)
    if square:
        out.update_xaxes(constrain="domain")
    return out


@st.cache_resource(show_spinner=False, ttl=5)
def _load() -> tuple[Lesson, ...] | LessonError:
    try:
        return load_lessons(LESSON_DIR)
    except LessonError as exc:
        return exc


def lessons() -> tuple[Lesson, ...]:
    """Every shipped lesson (read again every few seconds, so an edited file shows).

    Raises LessonError when a lesson file is broken.
    """
    got = _load()
    if isinstance(got, LessonError):
        raise got
    return got


def presenting() -> bool:
    """Whether the URL asks for presenter mode (?present=1)."""
    return st.query_params.get(state.PRESENT_PARAM) == "1"


def step_params(lesson: Lesson, index: int, present: bool) -> dict[str, str]:
    """The query parameters of a step's link: the view's, then lesson, step and present."""
    params = with_language(
        {
            **lesson.steps[index].params,
            state.LESSON_PARAM: lesson.name,
            state.STEP_PARAM: str(index + 1),
        }
    )
    if present:
        params[state.PRESENT_PARAM] = "1"
    return params


def step_page(step: Step) -> str:
    """The page script a step opens (a step's page is its url_path, the script's stem)."""
    return f"pages/{step.page}.py"


def step_href(lesson: Lesson, index: int, present: bool) -> str:
    """A step's address relative to the app's root, e.g. 'decoder?run=...&lesson=...'."""
    return f"{lesson.steps[index].page}?{urlencode(step_params(lesson, index, present))}"


def step_link(lesson: Lesson, index: int, label: str, present: bool, icon: str) -> None:
    """An st.page_link that opens a step."""
    st.page_link(
        step_page(lesson.steps[index]),
        label=label,
        icon=icon,
        query_params=step_params(lesson, index, present),
    )


def _current() -> tuple[Lesson, int] | None:
    """The lesson step the URL names; a warning (and None) for a value that is not one."""
    name = st.query_params.get(state.LESSON_PARAM)
    step = st.query_params.get(state.STEP_PARAM)
    if name is None and step is None:
        return None
    try:
        return find_step(lessons(), name or "", step or "1")
    except LessonError as exc:
        st.warning(
            _(
                "This link's lesson step cannot be opened: {reason}. The page is shown "
                "as it is; the Lessons page lists every lesson and its steps."
            ).format(reason=_plain(describe(exc))),
            icon=":material/link_off:",
        )
        st.page_link(
            LESSONS_PAGE,
            label=_("All lessons"),
            icon=":material/school:",
            query_params=with_language({}),
        )
        return None


def _plain(text: str) -> str:
    """Text from a URL shown without Markdown, HTML or LaTeX taking effect."""
    for ch in "\\`*_[]<>$#|~":
        text = text.replace(ch, "\\" + ch)
    return text


def _apply_once(lesson: Lesson, index: int) -> None:
    """On a newly opened step, forget the URL values pages remember, so its view is taken."""
    opened = (lesson.name, index)
    if st.session_state.get(state.LESSON_SEEN) == opened:
        return
    st.session_state[state.LESSON_SEEN] = opened
    # A step link to the page already shown reruns it without updating the address bar
    # (unless the page writes a query parameter itself, as the Decoder does): writing the
    # step's own parameters sends the whole query string, so the address names the step shown.
    st.query_params.update({state.LESSON_PARAM: lesson.name, state.STEP_PARAM: str(index + 1)})
    seen = st.session_state.get(state.LINK_RUNS_SEEN)
    if isinstance(seen, set):
        seen.discard(lesson.steps[index].run)
    for key in (*_LINK_MARKS, *_BOUND_WIDGETS):
        if key in lesson.steps[index].params or key in _LINK_MARKS:
            st.session_state.pop(key, None)


def _banner(lesson: Lesson, index: int, present: bool) -> None:
    """The step's title, text and links, above the page (one row of links, compact)."""
    step = lesson.steps[index]
    n = len(lesson.steps)
    st.html(BANNER_CSS)
    with st.container(border=True, key="lesson_banner"):
        head, prev, nxt, other = st.columns([5, 1.6, 1.3, 1.9], vertical_alignment="center")
        head.markdown(
            f'<span class="vae-lesson-title">{escape(_(step.title))}</span>'
            '<span class="vae-lesson-where"> · '
            + escape(
                _("{lesson}, step {number} of {count}").format(
                    lesson=_(lesson.title), number=index + 1, count=n
                )
            )
            + "</span>"
            + (f'<span class="vae-step-counter">{index + 1} / {n}</span>' if present else ""),
            unsafe_allow_html=True,
        )
        with prev:
            if index > 0:
                step_link(lesson, index - 1, _("Previous"), present, ":material/arrow_back:")
        with nxt:
            if index + 1 < n:
                step_link(lesson, index + 1, _("Next"), present, ":material/arrow_forward:")
            else:
                st.page_link(
                    LESSONS_PAGE,
                    label=_("Lessons"),
                    icon=":material/school:",
                    query_params=with_language({}),
                )
        with other:
            label = _("Leave (Esc)") if present else _("Present")
            icon = ":material/close_fullscreen:" if present else ":material/slideshow:"
            step_link(lesson, index, label, not present, icon)
        st.markdown(_(step.text))
        if not present:
            st.page_link(
                step_page(step), label=_("Close the lesson"), icon=":material/close:",
                query_params=with_language(step.params),
            )  # fmt: skip


def lesson_frame() -> None:
    """The lesson step's banner and presenter mode, as the URL asks; app.py calls it once.

    Call it after st.navigation and before the sidebar picker reads ?run=.
    """
    present = presenting()
    if present:
        st.html(PRESENT_CSS)
    current = _current()
    if current is None:
        if present:
            here = {k: v for k, v in st.query_params.to_dict().items() if k != "present"}
            here = with_language(here)
            lesson_keys(None, None, f"?{urlencode(here)}", key="lesson_keys")
        return
    lesson, index = current
    _apply_once(lesson, index)
    _banner(lesson, index, present)
    if present:
        n = len(lesson.steps)
        lesson_keys(
            step_href(lesson, index + 1, True) if index + 1 < n else None,
            step_href(lesson, index - 1, True) if index > 0 else None,
            step_href(lesson, index, False),
            key="lesson_keys",
        )
