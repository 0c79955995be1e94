"""Plotly figures for the Latent page's teaching aids (no model code here).

- `density_extent(xy)`: a square around the points that also holds the prior's 3-sigma disc.
- `add_density(fig, xs, ys, q)`: the aggregate posterior q(z) as a log-scale heatmap under
  the points, shaded where it is thin. `log_density(q)` is the value each cell shows.
- `samples_map(...)`: draws from q(z|x) around mu with 1- and 2-sigma ellipses.
- `formation_figure(frames, labels, classes, curve)`: the snapshot scatter beside the loss
  curve, one animation frame per epoch, a slider and play/pause buttons (all client-side).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pages.plots import PALETTE, add_prior_contours
from vae.formation import Frames, LossCurve, frames_extent

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
            name="aggregate posterior q(z)",
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
            name="other images' μ",
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
                name=f"{k}σ of q(z|x)",
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
            name=f"{n} draws z = μ + σ·ε",
            marker={"size": 7, "color": "rgb(40,40,160)", "line": {"width": 1, "color": "white"}},
            hovertemplate="draw %{text}<br>(%{x:.2f}, %{y:.2f})<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[mu[0]],
            y=[mu[1]],
            mode="markers",
            name="μ (the point on the map)",
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


def formation_figure(
    frames: Frames,
    labels: np.ndarray,
    classes: Sequence[str],
    curve: LossCurve,
    start: int = 0,
    prior: bool = True,
    height: int = 520,
) -> go.Figure:
    """The snapshot scatter (left) and the loss curve (right), animated over epochs.

    labels: (N,) class of each snapshot point. One plotly frame per epoch (named by the
    epoch) updates the points and the loss-curve marker; the slider below and the
    play button step through the frames in the browser. `start`: the frame shown first.
    """
    has_curve = len(curve.epochs) > 0
    fig = make_subplots(
        rows=1,
        cols=2 if has_curve else 1,
        column_widths=[0.56, 0.44] if has_curve else None,
        horizontal_spacing=0.09,
        subplot_titles=("Posterior means μ of the snapshot images", "Loss (−ELBO, nats per image)")
        if has_curve
        else None,
    )
    start = int(np.clip(start, 0, len(frames.epochs) - 1))
    if prior:
        add_prior_contours(fig)  # static traces
    names = [classes[k] if 0 <= k < len(classes) else str(k) for k in range(labels.max() + 1)]
    for label in np.unique(labels):  # legend entries only: one colour per class
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=names[label],
                marker={"size": 8, "color": PALETTE[int(label) % len(PALETTE)]},
            ),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=frames.xy[start, :, 0],
            y=frames.xy[start, :, 1],
            mode="markers",
            name="snapshot images",
            meta="points",
            showlegend=False,
            text=[names[k] for k in labels],
            marker={
                "size": 4 if len(labels) > 1500 else 6,
                "opacity": 0.75,
                "color": [PALETTE[int(k) % len(PALETTE)] for k in labels],
            },
            hovertemplate="<b>%{text}</b> (%{x:.2f}, %{y:.2f})<extra></extra>",
        ),
        row=1,
        col=1,
    )
    animated = [len(fig.data) - 1]
    x0, x1, y0, y1 = frames_extent(frames.xy)
    fig.update_xaxes(range=[x0, x1], title_text=frames.axis_titles[0], row=1, col=1)
    fig.update_yaxes(
        range=[y0, y1], title_text=frames.axis_titles[1], scaleanchor="x", row=1, col=1
    )

    finite = np.concatenate([curve.train, curve.test])
    finite = finite[np.isfinite(finite)]
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    pad = 0.06 * max(hi - lo, 1e-6)

    def marker(epoch: int) -> list[go.Scatter]:
        """A vertical line at the epoch and a diamond on the test loss (none at epoch 0)."""
        loss = curve.test_at(epoch)
        line = go.Scatter(
            x=[epoch, epoch],
            y=[lo - pad, hi + pad],
            mode="lines",
            line={"color": "crimson", "width": 1, "dash": "dot"},
            showlegend=False,
            hoverinfo="skip",
            xaxis="x2",
            yaxis="y2",
        )
        point = go.Scatter(
            x=[epoch],
            y=[loss],
            mode="markers",
            name="this epoch",
            marker={"size": 13, "color": "crimson", "symbol": "diamond"},
            hovertemplate="epoch %{x}<br>test %{y:.2f} nats<extra></extra>",
            xaxis="x2",
            yaxis="y2",
        )
        return [line, point]

    if has_curve:
        for values, name, dash in ((curve.train, "train", "dot"), (curve.test, "test", "solid")):
            fig.add_trace(
                go.Scatter(
                    x=curve.epochs,
                    y=values,
                    mode="lines",
                    name=f"{name} −ELBO",
                    line={"color": "rgb(90,90,90)", "dash": dash, "width": 2},
                    hovertemplate=f"epoch %{{x}}<br>{name} %{{y:.2f}} nats<extra></extra>",
                ),
                row=1,
                col=2,
            )
        for trace in marker(int(frames.epochs[start])):
            fig.add_trace(trace, row=1, col=2)
            animated.append(len(fig.data) - 1)
        last = max(int(frames.epochs.max()), int(curve.epochs.max()))
        fig.update_xaxes(range=[-0.03 * last, last * 1.03], title_text="epoch", row=1, col=2)
        fig.update_yaxes(range=[lo - pad, hi + pad], row=1, col=2)

    def frame_data(k: int) -> list[go.Scatter]:
        data = [go.Scatter(x=frames.xy[k, :, 0], y=frames.xy[k, :, 1])]
        return data + (marker(int(frames.epochs[k])) if has_curve else [])

    fig.frames = [
        go.Frame(data=frame_data(k), traces=animated, name=str(int(e)))
        for k, e in enumerate(frames.epochs)
    ]
    step_ms = int(np.clip(8000 / max(1, len(frames.epochs)), 40, 500))
    play = {"frame": {"duration": step_ms, "redraw": False}, "fromcurrent": True}
    play["transition"] = {"duration": int(step_ms * 0.8), "easing": "linear"}
    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    still["transition"] = {"duration": 0}
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 80},
        legend={"orientation": "h", "y": 1.1, "x": 0, "yanchor": "bottom"},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": -0.2,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"r": 8, "t": 0},
                "showactive": False,
                "buttons": [
                    {"label": "▶ Play", "method": "animate", "args": [None, play]},
                    {"label": "❚❚ Pause", "method": "animate", "args": [[None], still]},
                ],
            }
        ],
        sliders=[
            {
                "active": start,
                "x": 0.17,
                "len": 0.83,
                "y": -0.16,
                "yanchor": "top",
                "pad": {"t": 0, "b": 0},
                "currentvalue": {
                    "prefix": "epoch ",
                    "xanchor": "left",
                    "font": {"size": 14, "color": "rgb(49,51,63)"},
                },
                "font": {"color": "rgba(0,0,0,0)"},  # one tick per epoch: too many to label
                "ticklen": 0,
                "minorticklen": 0,
                "tickcolor": "rgba(0,0,0,0)",
                "steps": [
                    {"label": str(int(e)), "method": "animate", "args": [[str(int(e))], still]}
                    for e in frames.epochs
                ],
            }
        ],
    )
    return fig
