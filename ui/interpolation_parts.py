"""The Interpolation page's figures (its map, the norm along each path) and the paths' styles."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.i18n import N_, _
from ui.plots import CODES, add_markers, add_prior_contours, latent_scatter, over
from ui.testset import Images
from vae.analysis.interpolation import (
    LatentPath,
    Projection,
    prior_norm_range,
    prior_shell_radius,
)

NAMES = {"linear": N_("Linear (lerp)"), "spherical": N_("Spherical (slerp)")}  # shown with _()
COLOURS = {"linear": "#212121", "spherical": "#c2185b"}
DASHES = {"linear": "dot", "spherical": "solid"}


def norm_chart(paths: dict[str, LatentPath], d: int) -> go.Figure:
    """||z|| along each path, against the shell of the prior N(0, I) in d dimensions."""
    lo, hi = prior_norm_range(d)
    fig = go.Figure()
    fig.add_hrect(y0=lo, y1=hi, fillcolor="rgba(120,120,120,0.15)", line_width=0)
    fig.add_hline(
        y=prior_shell_radius(d),
        line={"dash": "dash", "color": "#757575", "width": 1},
        annotation_text=f"√D = {prior_shell_radius(d):.2f}",
        annotation_position="bottom right",
    )
    for kind, path in paths.items():
        fig.add_trace(
            go.Scatter(
                x=path.t,
                y=path.norms,
                mode="lines+markers",
                name=_(NAMES[kind]),
                line={"color": COLOURS[kind], "dash": DASHES[kind]},
                hovertemplate="t = %{x:.2f}<br>‖z‖ = %{y:.2f}<extra></extra>",
            )
        )
    top = max(hi, *(float(p.norms.max()) for p in paths.values()))
    fig.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        title={"text": _("Norm ‖z‖ along each path"), "font": {"size": 14}},
        xaxis_title=_("t (from A to B)"),
        yaxis={"title": _("norm"), "range": [0, 1.08 * top]},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def latent_map(
    paths: dict[str, LatentPath],
    ends: np.ndarray,
    view: Projection,
    mu: np.ndarray,
    images: Images,
    rows: np.ndarray,
) -> go.Figure:
    """The test codes mu of `rows` (the page's ui.plots.context_rows: a background) with both
    paths and their decoded points, and the endpoints' codes ends (2, D), seen through `view`."""
    xy, labels = view(mu[rows]), images.y[rows]
    fig = latent_scatter(xy, rows, labels, images.shown_classes, view.titles, height=520)
    fig.update_traces(marker_opacity=0.3, selector={"meta": CODES})
    if mu.shape[1] == 2:
        add_prior_contours(fig)
    scatter = over(fig)
    for kind, path in paths.items():
        xy = view(path.z)
        fig.add_trace(
            scatter(
                x=xy[:, 0],
                y=xy[:, 1],
                mode="lines+markers",
                name=_(NAMES[kind]),
                line={"color": COLOURS[kind], "width": 2.5, "dash": DASHES[kind]},
                marker={"size": 7, "color": COLOURS[kind], "line": {"width": 1, "color": "white"}},
                customdata=np.column_stack([path.t, path.norms]),
                hovertemplate=f"{_(NAMES[kind])}<br>t = %{{customdata[0]:.2f}}"
                "<br>‖z‖ = %{customdata[1]:.2f}<extra></extra>",
            )
        )
    add_markers(fig, view(ends), _("endpoints A and B"), ["A", "B"])
    fig.update_layout(dragmode="pan", legend={"itemsizing": "constant"})
    return fig
