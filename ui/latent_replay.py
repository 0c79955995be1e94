"""The training replay figure: the snapshot scatter beside the loss curve, over epochs.

`formation_figure(frames, labels, classes, curve)`: one plotly animation frame per epoch,
a slider and play/pause buttons; scrubbing and playing run in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.i18n import _
from ui.plots import PALETTE, add_prior_contours
from vae.analysis.formation import Frames, LossCurve, frames_extent


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
        subplot_titles=(
            _("Posterior means μ of the snapshot images"),
            _("Loss (−ELBO, nats per image)"),
        )
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
            name=_("snapshot images"),
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

    this_epoch = _("this epoch")
    test_hover = _("epoch %{x}<br>test %{y:.2f} nats")

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
            name=this_epoch,
            marker={"size": 13, "color": "crimson", "symbol": "diamond"},
            hovertemplate=test_hover + "<extra></extra>",
            xaxis="x2",
            yaxis="y2",
        )
        return [line, point]

    if has_curve:
        lines = (
            (curve.train, _("train −ELBO"), _("epoch %{x}<br>train %{y:.2f} nats"), "dot"),
            (curve.test, _("test −ELBO"), test_hover, "solid"),
        )
        for values, name, hover, dash in lines:
            fig.add_trace(
                go.Scatter(
                    x=curve.epochs,
                    y=values,
                    mode="lines",
                    name=name,
                    line={"color": "rgb(90,90,90)", "dash": dash, "width": 2},
                    hovertemplate=hover + "<extra></extra>",
                ),
                row=1,
                col=2,
            )
        for trace in marker(int(frames.epochs[start])):
            fig.add_trace(trace, row=1, col=2)
            animated.append(len(fig.data) - 1)
        last = max(int(frames.epochs.max()), int(curve.epochs.max()))
        fig.update_xaxes(range=[-0.03 * last, last * 1.03], title_text=_("epoch"), row=1, col=2)
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
                    {"label": _("▶ Play"), "method": "animate", "args": [None, play]},
                    {"label": _("❚❚ Pause"), "method": "animate", "args": [[None], still]},
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
                    "prefix": _("epoch") + " ",
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
