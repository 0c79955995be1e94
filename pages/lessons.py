"""Lessons: short stories told through the live app, each step a prepared view with its link."""

from __future__ import annotations

import streamlit as st

from ui.errors import show_error
from ui.lessons import lessons, step_link
from ui.streamlit_compat import ensure_app_run
from vae.lessons import LessonError
from vae.runfolder.runs import list_runs

st.title(":material/school: Lessons")
st.markdown(
    "Each lesson is a few steps; a step is two or three sentences and a live view of the app "
    "in a prepared state: the page, the checkpoint, the tab, the latent point, the models "
    "compared. Open a step to see its text above the page, with links to the steps before "
    "and after. **Present** opens it for a projector: no sidebar, larger text, and the arrow "
    "keys or Page Up/Down (a presentation clicker) step through the lesson; Escape leaves it. "
    "A lesson is one TOML file in `lessons/`, so a teacher can add one."
)
ensure_app_run()  # through app.py, as every page (ui/streamlit_compat.py)

try:
    shown = lessons()
except LessonError as exc:
    show_error(exc, "A lesson file cannot be used")
    st.stop()

usable = {r.name for r in list_runs() if r.ok}
for lesson in shown:
    with st.container(border=True):
        st.subheader(f"{lesson.order}. {lesson.title}" if lesson.order < 100 else lesson.title)
        st.markdown(lesson.summary)
        missing = sorted({s.run for s in lesson.steps} - usable)
        if missing:
            st.caption(
                f":material/info: Needs the checkpoint(s) {', '.join(missing)}, which this "
                "server does not have; those steps open with the default model instead."
            )
        for i, step in enumerate(lesson.steps):
            a, b = st.columns([5, 1], vertical_alignment="center")
            with a:
                step_link(lesson, i, f"{i + 1}. {step.title}", False, ":material/arrow_forward:")
            with b:
                step_link(lesson, i, "Present", True, ":material/slideshow:")
