"""The rate-distortion plane of every run: beta families as curves, lines of equal -ELBO.

- `rd_figure(points, names)`: one panel per data set, each run at (rate, distortion); runs
  that differ only in beta joined in beta order, beta = 1 drawn as a diamond, the compared
  two (`names`: side -> run name) in their side's colour, each with a dashed line of its
  own -ELBO, and grey dotted lines of round -ELBO levels (D + R = constant) behind them.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from ui.i18n import _, language
from vae.analysis.compare import RDPoint, by_dataset, elbo_levels, families

COLOURS = {"left": "#1565c0", "right": "#c2185b"}
FAMILY_COLOURS = ("#2e7d32", "#ef6c00", "#6a1b9a", "#00838f")
OTHER = "#9e9e9e"


def _ranges(group: list[RDPoint]) -> tuple[list[float], list[float]]:
    rates = np.array([p.rate for p in group])
    dist = np.array([p.distortion for p in group])
    pad_x, pad_y = 0.15 * max(1.0, np.ptp(rates)), 0.15 * max(1.0, np.ptp(dist))
    x_range = [max(0.0, float(rates.min() - pad_x)), float(rates.max() + pad_x)]
    return x_range, [float(dist.min() - pad_y), float(dist.max() + pad_y)]


def _iso_lines(fig: go.Figure, group: list[RDPoint], x_range: list[float], col: int) -> None:
    """Dotted lines D = level - R for round levels of -ELBO, labelled at their right end."""
    xs = np.array(x_range)
    for level in elbo_levels(group):
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=level - xs,
                mode="lines",
                showlegend=False,
                line={"dash": "dot", "width": 1, "color": "#bdbdbd"},
                hovertemplate=_("−ELBO = {level:g} nats on this line").format(level=level)
                + "<extra></extra>",
            ),
            row=1,
            col=col,
        )


def _family_curves(fig: go.Figure, group: list[RDPoint], col: int, labelled: set[str]) -> set[str]:
    """A line through each beta family in beta order; returns the names on a curve.

    Each run is marked with its beta, except the runs in `labelled` (the compared two, whose
    own label gives it); the label of the run furthest right goes on its left, inside the
    panel."""
    on_curve: set[str] = set()
    rate, distortion = _("rate (KL)"), _("distortion")
    for i, (key, curve) in enumerate(families(group).items()):
        colour = FAMILY_COLOURS[i % len(FAMILY_COLOURS)]
        right = max(range(len(curve)), key=lambda j: curve[j].rate)
        fig.add_trace(
            go.Scatter(
                x=[p.rate for p in curve],
                y=[p.distortion for p in curve],
                mode="lines+markers+text",
                name=_("β family: {key}").format(key=key),
                text=["" if p.name in labelled else f"β={p.beta:g}" for p in curve],
                textposition=["top left" if j == right else "top right" for j in range(len(curve))],
                textfont={"size": 11, "color": colour},
                marker={
                    "size": [13 if p.beta == 1 else 9 for p in curve],
                    "symbol": ["diamond" if p.beta == 1 else "circle" for p in curve],
                    "color": colour,
                    "line": {"width": 1, "color": "white"},
                },
                line={"width": 2, "color": colour},
                customdata=[[p.label, p.elbo] for p in curve],
                hovertemplate=f"<b>%{{customdata[0]}}</b><br>{rate} %{{x:.2f}} nats<br>"
                f"{distortion} %{{y:.2f}} nats<br>−ELBO %{{customdata[1]:.2f}}<extra></extra>",
            ),
            row=1,
            col=col,
        )
        on_curve.update(p.name for p in curve)
    return on_curve


def _point(
    fig: go.Figure, p: RDPoint, side: str | None, x_range: list[float], i: int, col: int
) -> None:
    """One labelled run: filled in its side's colour when compared, else a grey ring."""
    colour = COLOURS[side] if side else OTHER
    rate, distortion = _("rate (KL)"), _("distortion")
    fig.add_trace(
        go.Scatter(
            x=[p.rate],
            y=[p.distortion],
            mode="markers+text",
            name=p.name,
            text=[f"{p.name}<br>β={p.beta:g}, z={p.latent_dim}"],
            textposition=("bottom left", "bottom right")[i % 2],
            textfont={"size": 11, "color": colour if side else "#616161"},
            cliponaxis=False,
            showlegend=False,
            marker={
                "size": 15 if side else 10,
                "symbol": "diamond" if p.beta == 1 else "circle",
                "color": colour if side else "rgba(0,0,0,0)",
                "line": {"width": 2, "color": colour if side else OTHER},
            },
            hovertemplate=f"<b>{p.label}</b><br>{rate} %{{x:.2f}} nats<br>"
            f"{distortion} %{{y:.2f}} nats<br>−ELBO {p.elbo:.2f}<extra></extra>",
        ),
        row=1,
        col=col,
    )
    if side:  # this run's own line of equal -ELBO, to read the other run against
        xs = np.array(x_range)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=p.elbo - xs,
                mode="lines",
                showlegend=False,
                line={"dash": "dash", "width": 1, "color": colour},
                hovertemplate=_("−ELBO = {elbo:.2f} nats, as {name}").format(
                    elbo=p.elbo, name=p.name
                )
                + "<extra></extra>",
            ),
            row=1,
            col=col,
        )


def rd_figure(points: list[RDPoint], names: dict[str, str]) -> go.Figure:
    """Every run on its data set's rate-distortion panel; see the module docstring.

    Cached for everyone per points, names and language (building it takes most of a later
    visit's time on the Compare page): never change it (ui.lessons.fit_figure copies)."""
    return _rd_figure(tuple(points), tuple(sorted(names.items())), language())


@st.cache_resource(show_spinner=False, max_entries=32)
def _rd_figure(
    points: tuple[RDPoint, ...], named: tuple[tuple[str, str], ...], lang: str
) -> go.Figure:
    names = dict(named)  # `lang` is only a part of the key: _() reads the session's
    groups = by_dataset(points, [p.dataset for p in points if p.name in names.values()])
    side_of = {name: side for side, name in names.items()}
    chosen = {p.dataset for p in points if p.name in side_of}
    widths = [3.0 if d in chosen else 1.0 for d in groups]
    fig = make_subplots(
        1, len(groups), subplot_titles=list(groups), column_widths=widths, horizontal_spacing=0.1
    )
    for col, group in enumerate(groups.values(), start=1):
        x_range, y_range = _ranges(group)
        _iso_lines(fig, group, x_range, col)
        on_curve = _family_curves(fig, group, col, set(side_of))
        for i, p in enumerate(sorted(group, key=lambda p: p.rate)):
            side = side_of.get(p.name)
            if side or p.name not in on_curve:  # a family's other runs are on its curve
                _point(fig, p, side, x_range, i, col)
        fig.update_xaxes(title_text=_("rate: KL (nats)"), range=x_range, row=1, col=col)
        fig.update_yaxes(range=y_range, row=1, col=col)
    fig.update_yaxes(title_text=_("distortion: reconstruction (nats)"), row=1, col=1)
    fig.update_layout(
        height=460,
        margin={"l": 10, "r": 30, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
    )
    return fig
