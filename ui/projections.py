"""The Latent page's 2-D projections: computed with a progress bar and a Stop button, kept.

A projection is computed once per session for a checkpoint (its cache key: path and file
times), an image set and a method, and kept in the session for its lifetime; a key never
matches another checkpoint, or the same folder once its files change.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import state
from ui.selection import cache_key
from ui.testset import Images
from vae import Checkpoint
from vae.analysis.projection import METHODS, ProjectionStopped, project, subsample

KEPT = 12  # projections a session keeps at most (each a few hundred KB at 10,000 points)

ProjectionKey = tuple[tuple[str, tuple[int, ...]], str, str]
Projected = tuple[np.ndarray, np.ndarray]  # rows (M,), xy (M, 2)


def _kept() -> dict[ProjectionKey, Projected]:
    store = st.session_state.setdefault(state.LATENT_PROJECTIONS, {})
    assert isinstance(store, dict)
    return store


def _keep(key: ProjectionKey, value: Projected) -> Projected:
    store = _kept()
    store[key] = value
    while len(store) > KEPT:
        store.pop(next(iter(store)))
    return value


def _stop(key: ProjectionKey) -> None:
    st.session_state[state.LATENT_STOPPED] = key


def _again() -> None:
    st.session_state.pop(state.LATENT_STOPPED, None)


def projection(ckpt: Checkpoint, images: Images, mu: np.ndarray, name: str) -> Projected | None:
    """(rows, xy) of the projection `name` over the codes mu (N, D); None when it was stopped.

    A projection not yet kept is computed here under a progress bar with a Stop button.
    """
    if name not in METHODS:
        raise ValueError(f"unknown projection {name!r}")
    method = name
    key: ProjectionKey = (cache_key(ckpt), images.source, method)
    kept = _kept().get(key)
    if kept is not None:
        return kept
    rows = subsample(len(mu))
    if method == "PCA":
        return _keep(key, (rows, project(mu[rows], "PCA")))
    if st.session_state.get(state.LATENT_STOPPED) == key:
        st.info(f"{method} was stopped before it finished.", icon=":material/stop_circle:")
        st.button(f"Run {method} again", icon=":material/play_arrow:", on_click=_again)
        return None
    slot = st.empty()
    with slot.container():
        bar = st.progress(0.0, text=f"{method} of {len(rows):,} points…")
        st.button(
            "Stop",
            icon=":material/stop:",
            key="latent_projection_stop",
            on_click=_stop,
            args=(key,),
            help=f"Stop {method} now; it can be run again.",
        )

    def shown(fraction: float, what: str) -> None:
        bar.progress(min(1.0, max(0.0, fraction)), text=f"{what}…")

    try:
        xy = project(
            mu[rows],
            method,
            progress=shown,
            stop=lambda: st.session_state.get(state.LATENT_STOPPED) == key,
        )
    except ProjectionStopped:
        slot.empty()
        return None
    slot.empty()
    return _keep(key, (rows, xy))
