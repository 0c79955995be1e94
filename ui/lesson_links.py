"""The Overview's two one-minute lessons: the beta trade-off and posterior collapse.

Each is a sentence and a link that opens the right page, checkpoint and view; a lesson
whose shipped checkpoints are missing from this server is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui.state import RUN_PARAM, VS_PARAM
from vae.runfolder.runs import list_runs


@dataclass(frozen=True)
class Lesson:
    """A sentence, and where its link goes: a page with query parameters."""

    title: str
    text: str
    page: str
    label: str
    params: dict[str, str]
    needs: tuple[str, ...]  # the checkpoints it uses


LESSONS = (
    Lesson(
        title="The β trade-off",
        text="Five models that differ only in β: as β grows the code carries fewer nats "
        "(rate) and the reconstructions blur (distortion), one curve on the rate-distortion "
        "plane.",
        page="pages/compare.py",
        label="Compare β = 1 with β = 8",
        params={RUN_PARAM: "mnist-16d-beta1", VS_PARAM: "mnist-16d-beta8"},
        needs=("mnist-16d-beta1", "mnist-16d-beta8"),
    ),
    Lesson(
        title="Posterior collapse",
        text="At β = 8, several of the 16 latent dimensions carry nothing: their KL bar is "
        "near zero and their traversal row does not change the picture.",
        page="pages/decoder.py",
        label="See the collapsed dimensions",
        params={RUN_PARAM: "mnist-16d-beta8"},
        needs=("mnist-16d-beta8",),
    ),
)


def lesson_links() -> None:
    """Both lessons side by side, each with its link, when their checkpoints are here."""
    usable = {r.name for r in list_runs() if r.ok}
    shown = [lesson for lesson in LESSONS if set(lesson.needs) <= usable]
    if not shown:
        return
    for lesson, col in zip(shown, st.columns(len(shown), gap="large"), strict=True):
        with col.container(border=True):
            st.markdown(f"**{lesson.title}.** {lesson.text}")
            st.page_link(
                lesson.page,
                label=lesson.label,
                icon=":material/arrow_forward:",
                query_params=lesson.params,
            )
