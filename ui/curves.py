"""A run's learning curves, per epoch from its history.jsonl (plotly)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.i18n import _


def history_figure(
    rows: list[dict[str, Any]], height: int = 320, stacked: bool = False
) -> go.Figure:
    """Train and test -ELBO, reconstruction and KL per epoch: side by side, or stacked."""
    epochs = [r.get("epoch") for r in rows]
    titles = (_("−ELBO (nats/image)"), _("Reconstruction (nats)"), "KL (nats)")
    grid = {"rows": 3, "cols": 1, "shared_xaxes": True, "vertical_spacing": 0.1}
    fig = make_subplots(
        **(grid if stacked else {"rows": 1, "cols": 3, "horizontal_spacing": 0.07}),
        subplot_titles=titles,
    )
    mode = "lines+markers" if len(rows) < 40 else "lines"
    series = [
        (_("train −ELBO"), "train_loss", 1, "#9e9e9e"),
        (_("test −ELBO"), "test_loss", 1, "#c2185b"),
        (_("test reconstruction"), "recon", 2, "#1f77b4"),
        (_("test KL"), "kl", 3, "#2ca02c"),
    ]
    epoch = _("epoch")
    for name, key, at, color in series:
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=[r.get(key) for r in rows],
                name=name,
                mode=mode,
                line={"color": color},
                hovertemplate=f"{epoch} %{{x}}<br>{name} %{{y:.2f}}<extra></extra>",
            ),
            row=at if stacked else 1,
            col=1 if stacked else at,
        )
    fig.update_xaxes(tickformat="d", dtick=1 if len(rows) < 8 else None)
    fig.update_xaxes(title_text=epoch, row=3 if stacked else 1)
    # a KL is never negative: its axis starts at 0, not at −0.5 where one epoch (or a KL of
    # 0, as in a collapsed run) leaves plotly nothing to span
    fig.update_yaxes(rangemode="nonnegative", row=3 if stacked else 1, col=1 if stacked else 3)
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "y": -0.12 if stacked else -0.25},
    )
    return fig
