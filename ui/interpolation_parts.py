"""The Interpolation page's figure of the norm along each path, and the two paths' styles."""

from __future__ import annotations

import plotly.graph_objects as go

from ui.i18n import N_, _
from vae.analysis.interpolation import LatentPath, prior_norm_range, prior_shell_radius

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
