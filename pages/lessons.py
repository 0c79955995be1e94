"""Lessons: short stories told through the live app, each step a prepared view with its link."""

from __future__ import annotations

import streamlit as st

from ui.errors import show_error
from ui.i18n import _
from ui.lessons import lessons, step_link
from ui.streamlit_compat import ensure_app_run
from vae.lessons import LessonError
from vae.runfolder.runs import list_runs

st.title(":material/school: " + _("Lessons"))
st.markdown(
    _(
        "Each lesson is a few steps; a step is two or three sentences and a live view of the app "
        "in a prepared state: the page, the checkpoint, the tab, the latent point, the models "
        "compared. Open a step to see its text above the page, with links to the steps before "
        "and after. **Present** opens it for a projector: no sidebar, larger text, and the arrow "
        "keys or Page Up/Down (a presentation clicker) step through the lesson; Escape leaves it. "
        "A lesson is one TOML file in `lessons/`, so a teacher can add one."
    )
)
ensure_app_run()  # through app.py, as every page (ui/streamlit_compat.py)

try:
    shown = lessons()
except LessonError as exc:
    show_error(exc, _("A lesson file cannot be used"))
    st.stop()

usable = {r.name for r in list_runs() if r.ok}
for lesson in shown:
    with st.container(border=True):
        title = _(lesson.title)  # lessons/*.toml: scripts/messages.py extracts their text
        st.subheader(f"{lesson.order}. {title}" if lesson.order < 100 else title)
        st.markdown(_(lesson.summary))
        missing = sorted({s.run for s in lesson.steps} - usable)
        if missing:
            st.caption(
                ":material/info: "
                + _(
                    "Needs the checkpoint(s) {names}, which this server does not have; those "
                    "steps open with the default model instead."
                ).format(names=", ".join(missing))
            )
        for i, step in enumerate(lesson.steps):
            a, b = st.columns([5, 1], vertical_alignment="center")
            with a:
                step_link(lesson, i, f"{i + 1}. {_(step.title)}", False, ":material/arrow_forward:")
            with b:
                step_link(lesson, i, _("Present"), True, ":material/slideshow:")
