"""The Latent page's 2-D projections: stored with the checkpoint, or computed and kept.

A projection stored in the checkpoint's folder (projections.npz, see
vae.analysis.stored_projection) is used when it was computed from this model's weights,
these images, these rows and the page's parameters: instant. Otherwise it is computed under
a progress bar with a Stop button. Either way it is kept in the session for its lifetime,
per checkpoint (its cache key: path and file times), image set and method; a key never
matches another checkpoint, or the same folder once its files change.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import streamlit as st

from ui import state
from ui.errors import describe
from ui.i18n import N_, _
from ui.selection import cache_key
from ui.testset import Images
from vae import Checkpoint
from vae.analysis.projection import METHODS, Method, ProjectionStopped, project, subsample
from vae.analysis.stored_projection import source, stored
from vae.errors import VAEError

KEPT = 12  # projections a session keeps at most (each a few hundred KB at 10,000 points)

ProjectionKey = tuple[tuple[str, tuple[int, ...]], str, str]
Projected = tuple[np.ndarray, np.ndarray]  # rows (M,), xy (M, 2)
# The steps vae.analysis.projection reports (English there), shown in this session's language.
STEPS = (
    (
        re.compile(r"(?P<method>\S+): finding each of (?P<n>[\d,]+) points' neighbours"),
        N_("{method}: finding each of {n} points' neighbours"),
    ),
    (
        re.compile(r"(?P<method>\S+): iteration (?P<i>\d+) of (?P<total>\d+)"),
        N_("{method}: iteration {i} of {total}"),
    ),
    (
        re.compile(r"(?P<method>\S+): epoch (?P<i>\d+) of (?P<total>\d+)"),
        N_("{method}: epoch {i} of {total}"),
    ),
)
DONE = N_("done")

log = logging.getLogger(__name__)


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


def step_text(what: str) -> str:
    """A progress step of vae.analysis.projection in this session's language."""
    if what == DONE:
        return _(DONE)
    for pattern, message in STEPS:
        got = pattern.fullmatch(what)
        if got is not None:
            return _(message).format(**got.groupdict())
    return what


def _stored(
    ckpt: Checkpoint, images: Images, rows: np.ndarray, method: Method
) -> np.ndarray | None:
    """The projection stored with ckpt for these images and rows, if it was made from them.

    A stale one (another model or other images) is passed over quietly; a malformed one is
    refused with a note and a warning in the log, and the projection is computed instead.
    """
    if ckpt.imported:
        return None
    try:
        src = source(ckpt.path, ckpt.config.model.to_dict(), images.x)
        return None if src is None else stored(ckpt.path, method, src, rows)
    except (VAEError, OSError) as exc:
        log.warning("stored projections of %s refused: %s", ckpt.path, exc)
        st.caption(
            _(
                ":material/warning: The {method} stored with this checkpoint could not be "
                "used ({reason}); it is computed instead."
            ).format(method=method, reason=describe(exc))
        )
        return None


def projection(ckpt: Checkpoint, images: Images, mu: np.ndarray, name: str) -> Projected | None:
    """(rows, xy) of the projection `name` over the codes mu (N, D); None when it was stopped.

    A projection not yet kept is taken from the checkpoint's folder when it was stored for
    this model and these images, else computed here under a progress bar with a Stop button.
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
    xy = _stored(ckpt, images, rows, method)
    if xy is not None:
        return _keep(key, (rows, xy))
    if st.session_state.get(state.LATENT_STOPPED) == key:
        st.info(
            _("{method} was stopped before it finished.").format(method=method),
            icon=":material/stop_circle:",
        )
        st.button(
            _("Run {method} again").format(method=method),
            icon=":material/play_arrow:",
            on_click=_again,
        )
        return None
    slot = st.empty()
    with slot.container():
        bar = st.progress(
            0.0, text=_("{method} of {n:,} points…").format(method=method, n=len(rows))
        )
        st.button(
            _("Stop"),
            icon=":material/stop:",
            key="latent_projection_stop",
            on_click=_stop,
            args=(key,),
            help=_("Stop {method} now; it can be run again.").format(method=method),
        )

    def shown(fraction: float, what: str) -> None:
        bar.progress(min(1.0, max(0.0, fraction)), text=f"{step_text(what)}…")

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
