"""The Decoder page's pieces: its latent point in session state, the KL bar chart.

- `DecoderPoint`: the one latent point the page shows, per checkpoint. It moves by a
  settled position from the in-browser view, by the server sliders, or by a jump (a
  link, the Latent page, a button); it writes itself to the URL.
- `kl_figure(stats)`: mean KL per latent dimension, collapsed dimensions flagged;
  `collapse_note`: why they collapsed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui import state
from ui.errors import describe
from ui.i18n import _
from vae.analysis.dims import DimStats
from vae.web.share import ShareError, format_z, parse_z

SPAN = 3.0  # slider range in prior standard deviations
STEP = 0.05  # server slider step
ACTIVE, COLLAPSED = "#4c78a8", "#b9b9b9"


def snap(v: float) -> float:
    """A value on the server sliders' grid: a multiple of STEP within +-SPAN."""
    return float(np.clip(round(v / STEP) * STEP, -SPAN, SPAN))


class DecoderPoint:
    """The latent point the Decoder page shows for one checkpoint, kept in st.session_state.

    The in-browser view starts at a fixed z0 per view (`start`) that changes only on a
    jump, so reruns send it the same message and it keeps its position and weights.
    """

    def __init__(self, run: str, latent_dim: int) -> None:
        self.run, self.d = run, latent_dim
        self.slider_keys = [f"decoder_{run}_z{i}" for i in range(latent_dim)]
        self._point, self._starts, self._seen = (
            f"decoder_{run}_{name}" for name in ("point", "starts", "seen")
        )
        ss = st.session_state
        point = ss.get(self._point)
        if not isinstance(point, list) or len(point) != latent_dim:  # new, or a replaced run
            ss[self._point] = [0.0] * latent_dim
            ss[self._starts], ss[self._seen] = {}, {}
            for key in self.slider_keys:
                ss[key] = 0.0
        ss.setdefault(self._starts, {})
        ss.setdefault(self._seen, {})
        for key, v in zip(self.slider_keys, ss[self._point], strict=True):
            ss.setdefault(key, snap(v))

    @property
    def z(self) -> np.ndarray:
        """The point, (D,) float32."""
        return np.asarray(st.session_state[self._point], np.float32)

    def _set(self, values: Sequence[float] | np.ndarray, sliders: bool) -> None:
        z = np.clip(np.asarray(values, np.float64).reshape(self.d), -SPAN, SPAN)
        st.session_state[self._point] = [round(float(v), 4) for v in z]
        if sliders:
            for key, v in zip(self.slider_keys, z, strict=True):
                st.session_state[key] = snap(float(v))

    def jump(self, values: Sequence[float] | np.ndarray, note: str | None = None) -> None:
        """Move the point from Python: every view starts there on its next draw.

        note: where the point came from, shown at the top of the page until it moves.
        """
        self._set(values, sliders=True)
        st.session_state[self._starts] = {}
        if note:
            st.session_state[state.DECODER_FROM] = (self.run, note)
        else:
            st.session_state.pop(state.DECODER_FROM, None)

    def start(self, view_key: str) -> list[float]:
        """z0 for the in-browser view `view_key`: where the point was when it first showed."""
        starts: dict[str, list[float]] = st.session_state[self._starts]
        return starts.setdefault(view_key, list(st.session_state[self._point]))

    def from_live(self, view_key: str, settled: list[float] | None) -> None:
        """Take a position the in-browser view settled on, if it is new for that view."""
        seen: dict[str, list[float]] = st.session_state[self._seen]
        if settled is None or seen.get(view_key) == settled:
            return
        seen[view_key] = settled
        self._set(settled, sliders=True)
        st.session_state.pop(state.DECODER_FROM, None)

    def from_sliders(self) -> None:
        """Take the server sliders' values when they moved away from the point."""
        values = [float(st.session_state[k]) for k in self.slider_keys]
        if values != [snap(v) for v in st.session_state[self._point]]:
            self._set(values, sliders=False)
            st.session_state[self._starts] = {}
            st.session_state.pop(state.DECODER_FROM, None)

    def take_handoff(self, handoff: object) -> None:
        """Jump to a point sent from the Latent page ({"run", "z", "source"}) for this run."""
        if not isinstance(handoff, dict) or handoff.get("run") != self.run:
            return
        z = handoff.get("z")
        if not isinstance(z, list) or len(z) != self.d:
            return
        values = np.asarray(z, np.float64)
        if not np.isfinite(values).all():
            return
        source = handoff["source"] if "source" in handoff else _("the chosen image")
        if np.abs(values).max() > SPAN:
            note = _("Started at the code μ of {source} (clipped to the sliders' ±3).")
        else:
            note = _("Started at the code μ of {source}.")
        self.jump(values, note.format(source=source))

    def take_link(self, text: object) -> None:
        """Jump to the point in the URL's z, once per new value; warn when it is unusable."""
        if text is None or text == st.session_state.get(state.DECODER_LINK_SEEN):
            return
        st.session_state[state.DECODER_LINK_SEEN] = text
        try:
            z, clipped = parse_z(text, self.d, SPAN)
        except ShareError as exc:
            st.warning(
                _(
                    "The link's latent point was not used: {reason}. Showing the current point "
                    "instead; the address now holds it."
                ).format(reason=describe(exc)),
                icon=":material/link_off:",
            )
            return
        if clipped:
            self.jump(z, _("Opened at the point in the link (clipped to the sliders' ±3)."))
        else:
            self.jump(z, _("Opened at the point in the link."))

    def write_link(self) -> str:
        """Put the point in the URL (?z=...) and return that text."""
        text = format_z(self.z)
        if st.query_params.get(state.Z_PARAM) != text:
            st.query_params[state.Z_PARAM] = text
        st.session_state[state.DECODER_LINK_SEEN] = text
        return text

    def note(self) -> str | None:
        """Where the point came from, for an st.info, if it came from elsewhere."""
        came = st.session_state.get(state.DECODER_FROM)
        return came[1] if isinstance(came, tuple) and came[0] == self.run else None


def collapse_note(d: int, active: int, beta: float) -> str | None:
    """One sentence on why this model's dimensions collapsed, or None when none did."""
    dead = d - active
    if dead <= 0:
        return None
    if beta > 1:
        return _(
            "{dead} of {d} dimensions collapsed: with β = {beta:g} every nat of KL costs "
            "{beta:g} nats of loss, so the encoder keeps only the dimensions whose information "
            "about x pays for that price and lets the rest fall back to the prior (posterior "
            "collapse; compare the β family on the Compare page)."
        ).format(dead=dead, d=d, beta=beta)
    return _(
        "{dead} of {d} dimensions collapsed: the KL term charges for every nat a dimension "
        "carries, and this decoder describes the images well enough with the others, so those "
        "fell back to the prior (posterior collapse)."
    ).format(dead=dead, d=d)


def clicked_dim(event: object, d: int) -> int | None:
    """The dimension of the last bar clicked in kl_figure's chart (its selection), or None.

    Reads each point's customdata (a number, a list, or the {"0": ..} form a browser sends
    for typed arrays), else its x label "z<n>".
    """
    try:
        points = event["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    found = None
    for point in points or []:
        if not isinstance(point, dict):
            continue
        data = point.get("customdata")
        if isinstance(data, dict):
            data = data.get("0")
        elif isinstance(data, list):
            data = data[0] if data else None
        label = str(point.get("x", ""))
        if not isinstance(data, (int, float)) or isinstance(data, bool):
            data = int(label[1:]) - 1 if label[:1] == "z" and label[1:].isdigit() else None
        if data is not None and float(data).is_integer() and 0 <= data < d:
            found = int(data)
    return found


def kl_figure(stats: DimStats) -> go.Figure:
    """Bars of mean KL per dimension; collapsed ones grey and labelled. customdata[0]: dim.

    Each dimension also gets a faint full-height column behind its bar, so a collapsed
    dimension (a bar of height ~0) can still be clicked. The figure depends on `stats`
    only: st.plotly_chart keys its selection on the figure, so it must not change on a click.
    """
    d = len(stats.kl)
    names = [f"z{i + 1}" for i in range(d)]
    top = max(float(stats.kl.max()), 1e-3) * 1.12
    fig = go.Figure()
    fig.add_bar(
        x=names,
        y=[top] * d,
        customdata=list(range(d)),
        marker={"color": "rgba(128, 128, 128, 0.07)"},
        hoverinfo="none",
        showlegend=False,
        name="column",
    )
    for flag, label, color in ((True, _("active"), ACTIVE), (False, _("collapsed"), COLLAPSED)):
        idx = np.flatnonzero(stats.active == flag)
        if len(idx) == 0:
            continue
        fig.add_bar(
            x=[names[i] for i in idx],
            y=stats.kl[idx],
            customdata=[[int(i), float(stats.activity[i])] for i in idx],
            marker={"color": color},
            name=label if flag else _("collapsed: q(z_d|x) = prior"),
            text=None if flag else [label] * len(idx),
            textposition="outside",
            textangle=0 if d <= 12 else -90,
            hovertemplate=_("%{x}: mean KL %{y:.3f} nats")
            + f"<br>Var<sub>x</sub>(μ) = %{{customdata[1]:.3g}}<extra>{label}</extra>",
        )
    fig.update_layout(
        barmode="overlay",
        bargap=0.6 if d <= 3 else 0.35 if d <= 10 else 0.2,
        height=280,
        margin={"t": 30, "b": 10, "l": 10, "r": 10},
        legend={"orientation": "h", "y": 1.12, "x": 0},
        clickmode="event+select",
        dragmode=False,
    )
    fig.update_xaxes(categoryorder="array", categoryarray=names, fixedrange=True)
    fig.update_yaxes(title=_("mean KL (nats)"), range=[0, top], fixedrange=True)
    return fig
