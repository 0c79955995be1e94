"""Presenter mode's keys: a Streamlit component with no build step and nothing to draw.

keys.js listens on the app's document for the arrow keys and Page Up/Down (what a
presentation clicker sends) and opens the next or previous step's address; Escape opens
the address that leaves presenter mode. A key pressed in a text box or on a focused slider
is left to it. The addresses are relative to the app (e.g. "decoder?run=...").
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent
_mount = st.components.v2.component(
    "vae_lesson_keys", js=(HERE / "keys.js").read_text(encoding="utf-8")
)


def lesson_keys(next_url: str | None, prev_url: str | None, exit_url: str, key: str) -> None:
    """Listen for the presenter's keys; None where there is no next or previous step."""
    _mount(
        key=key,
        data={"next": next_url, "prev": prev_url, "exit": exit_url},
        width="content",
        height="content",
    )
