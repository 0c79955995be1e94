"""The Overview's two featured lesson steps: the beta trade-off and posterior collapse.

The text and the view come from the lesson files (lessons/*.toml), the one source of lesson
links: a card shows the lesson's title and summary and opens the named step, in the lesson
with its banner. A card whose step's checkpoints are missing from this server is left out.
"""

from __future__ import annotations

import streamlit as st

from ui import state
from ui.i18n import _
from ui.lessons import lessons, step_link
from vae.lessons import Lesson, LessonError
from vae.runfolder.runs import list_runs

# (lesson name, step counted from 1): the steps the Overview opens.
FEATURED = (("rate-distortion", 3), ("collapse", 2))


def _featured() -> list[tuple[Lesson, int]]:
    """The featured steps whose lesson loads and whose checkpoints are all here."""
    try:
        by_name = {lesson.name: lesson for lesson in lessons()}
    except LessonError:
        return []  # the Lessons page says what is wrong with the file
    usable = {r.name for r in list_runs() if r.ok}
    shown = []
    for name, number in FEATURED:
        lesson = by_name.get(name)
        if lesson is None or number > len(lesson.steps):
            continue
        params = lesson.steps[number - 1].params
        needs = {params[key] for key in (state.RUN_PARAM, state.VS_PARAM) if key in params}
        if needs <= usable:
            shown.append((lesson, number - 1))
    return shown


def lesson_links() -> None:
    """The featured steps side by side, each a card with its link."""
    shown = _featured()
    if not shown:
        return
    for (lesson, index), col in zip(shown, st.columns(len(shown), gap="large"), strict=True):
        with col.container(border=True):
            st.markdown(f"**{_(lesson.title)}.** {_(lesson.summary)}")
            title = _(lesson.steps[index].title)
            step_link(lesson, index, title, False, ":material/arrow_forward:")
