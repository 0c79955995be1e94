"""Plotly figures for the Latent page's teaching aids (no model code here).

- `density_extent(xy)`: a square around the points that also holds the prior's 3-sigma disc.
- `add_density(fig, xs, ys, q)`: the aggregate posterior q(z) as a log-scale heatmap under
  the points, shaded where it is thin. `log_density(q)` is the value each cell shows.
- `samples_map(...)`: draws from q(z|x) around mu with 1- and 2-sigma ellipses.

The animated training replay is in ui/latent_replay.py.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui.i18n import _

DENSITY_RANGE = 4.0  # decades of q(z) shaded below its peak; thinner is drawn as the floor
THIN = [[0.0, "rgb(70,74,104)"], [0.5, "rgb(196,198,216)"], [1.0, "rgb(255,255,255)"]]


def density_extent(xy: np.ndarray, prior_radius: float = 3.0) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1): a square holding every point of xy (N, 2) and the prior's disc."""
    lo = np.minimum(xy.min(axis=0), -prior_radius)
    hi = np.maximum(xy.max(axis=0), prior_radius)
    centre, half = (lo + hi) / 2, float((hi - lo).max()) / 2 * 1.04
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


def log_density(q: np.ndarray) -> np.ndarray:
    """log10 q, floored DENSITY_RANGE decades below the peak: the numbers the heatmap shows."""
    peak = float(q.max()) if q.size else 1.0
    return np.log10(np.maximum(q, peak * 10.0**-DENSITY_RANGE, dtype=np.float64))


def add_density(fig: go.Figure, xs: np.ndarray, ys: np.ndarray, q: np.ndarray) -> None:
    """A heatmap of log10 q(z) (q: (len(ys), len(xs))) under the points: dark where q is thin."""
    z = log_density(q)
    fig.add_trace(
        go.Heatmap(
            x=np.asarray(xs, np.float32),
            y=np.asarray(ys, np.float32),
            z=z.astype(np.float32),
            zmin=float(z.min()),
            zmax=float(z.max()),
            colorscale=THIN,
            zsmooth="best",
            opacity=0.85,
            name=_("aggregate posterior q(z)"),
            hovertemplate="(%{x:.2f}, %{y:.2f})<br>log10 q(z) = %{z:.2f}<extra></extra>",
            colorbar={
                "title": {"text": "log10 q(z)", "side": "right"},
                "thickness": 12,
                "len": 0.34,
                "x": 1.02,
                "xanchor": "left",
                "y": 0.0,
                "yanchor": "bottom",
            },
        )
    )
    fig.update_layout(legend={"y": 1.0, "yanchor": "top"})
    fig.update_xaxes(range=[float(xs[0]), float(xs[-1])], showgrid=False, zeroline=False)
    fig.update_yaxes(range=[float(ys[0]), float(ys[-1])], showgrid=False, zeroline=False)


def _ellipse(centre: np.ndarray, radii: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, 2 * np.pi, 121)
    return centre[0] + radii[0] * np.cos(t), centre[1] + radii[1] * np.sin(t)


def samples_map(
    mu: np.ndarray,
    sigma: np.ndarray,
    z: np.ndarray,
    context: np.ndarray,
    axis_titles: tuple[str, str],
    height: int = 360,
) -> go.Figure:
    """Draws z (n, 2) from q(z|x) around mu (2,), with 1 and 2 sigma (2,) ellipses.

    context: (M, 2) other codes mu, drawn faintly for scale. Samples are numbered in
    the order of the tiled pictures (row by row) in their hover text.
    """
    half = 3.2 * float(max(sigma.max(), 1e-3))
    fig = go.Figure()
    near = np.all(np.abs(context - mu) < half, axis=1)
    fig.add_trace(
        go.Scatter(
            x=context[near, 0],
            y=context[near, 1],
            mode="markers",
            name=_("other images' μ"),
            marker={"size": 5, "color": "rgba(120,120,120,0.35)"},
            hoverinfo="skip",
        )
    )
    for k, fill in ((2, "rgba(220,20,60,0.05)"), (1, "rgba(220,20,60,0.10)")):
        ex, ey = _ellipse(mu, k * sigma)
        fig.add_trace(
            go.Scatter(
                x=ex,
                y=ey,
                mode="lines",
                fill="toself",
                fillcolor=fill,
                line={"color": "crimson", "width": 1, "dash": "solid" if k == 1 else "dot"},
                name=_("{k}σ of q(z|x)").format(k=k),
                hoverinfo="skip",
            )
        )
    n = len(z)
    fig.add_trace(
        go.Scatter(
            x=z[:, 0],
            y=z[:, 1],
            mode="markers",
            text=[str(i + 1) for i in range(n)],
            name=_("{n} draws z = μ + σ·ε").format(n=n),
            marker={"size": 7, "color": "rgb(40,40,160)", "line": {"width": 1, "color": "white"}},
            hovertemplate=_("draw %{text}") + "<br>(%{x:.2f}, %{y:.2f})<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[mu[0]],
            y=[mu[1]],
            mode="markers",
            name=_("μ (the point on the map)"),
            marker={"symbol": "star", "size": 15, "color": "crimson", "line": {"width": 1}},
            hovertemplate="μ = (%{x:.2f}, %{y:.2f})<extra></extra>",
        )
    )
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        legend={"orientation": "h", "y": -0.18, "x": 0},
        xaxis_title=axis_titles[0],
        yaxis_title=axis_titles[1],
        dragmode="pan",
    )
    fig.update_xaxes(range=[mu[0] - half, mu[0] + half])
    fig.update_yaxes(range=[mu[1] - half, mu[1] + half], scaleanchor="x", scaleratio=1)
    return fig
