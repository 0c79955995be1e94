"""Plotly figures of the latent space, shared by the pages (no model code here).

- `latent_scatter(xy, rows, labels, classes, ...)`: a scatter, one trace per class, with
  each point's row index in `customdata` (per-class traces renumber points) and `meta`
  CODES; drawn in WebGL above SVG_MAX_POINTS points, in SVG up to it.
- `add_prior_contours(fig)`: circles at 1, 2 and 3 standard deviations of N(0, I).
- `add_sigma_ellipses(fig, mu, sigma)`: 1-sigma ellipses of q(z|x) for a few points.
- `add_markers(fig, xy, name)`: highlighted points (e.g. an uploaded image's code).
- `over(fig)`: the trace type for lines and markers over a map (WebGL over WebGL).
- `MAP_CONFIG`: the st.plotly_chart config of a map that may be drawn in WebGL.
- `add_codes(fig, ...)`: a map's codes, one trace per class, on one panel of fig.
- `side_by_side(titles, axis_titles, height)`: a figure of two map panels.
- `context_rows(n)`: the rows of a map drawn as context behind what a page is about.
- `selected_rows(event, n)`: the row indices selected in `st.plotly_chart(on_select=...)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from ui.i18n import _

PALETTE = qualitative.D3 + qualitative.Alphabet
CODES = "codes"  # the `meta` of latent_scatter's traces
# Up to this many points a map is drawn in SVG: a WebGL chart costs a fixed ~0.3 s to set up
# where the browser draws WebGL in software, more than SVG takes for 1,000 points there.
# plotly.express switches at the same count.
SVG_MAX_POINTS = 1000
# A map that is the background of a page's subject (paths on Interpolation) shows at most this
# many codes: enough to see where the classes lie, few enough not to bury the subject, and in
# SVG, which a browser sets up in a fraction of a WebGL chart's time.
CONTEXT_POINTS = SVG_MAX_POINTS
# plotly.js draws a WebGL chart at plotGlPixelRatio canvas pixels per CSS pixel, 2 unless told,
# whatever the screen: four times a plain screen's pixels, each filled in software where the
# browser has no GPU (a 10,000-point map set up in about half the time at 1: BENCHMARKS.md,
# section 3d). At 1 a map's dots are drawn at the screen's resolution on a plain screen and
# scaled up on a high-density one; its axes, labels and legend are SVG, sharp on both.
MAP_CONFIG = {"plotGlPixelRatio": 1}


def context_rows(n: int, at_most: int | None = None) -> np.ndarray:
    """Sorted rows of a fixed sample of at most `at_most` (CONTEXT_POINTS) of n codes; all of
    them when there are no more. The same n gives the same sample on every run and page."""
    limit = CONTEXT_POINTS if at_most is None else at_most
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size=limit, replace=False))


def latent_scatter(
    xy: np.ndarray,
    rows: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[str],
    axis_titles: tuple[str, str] = ("z1", "z2"),
    equal_axes: bool = True,
    height: int = 620,
) -> go.Figure:
    """xy (N, 2) points, rows (N,) their indices in the image set, labels (N,) class numbers."""
    fig = go.Figure()
    add_codes(fig, xy, rows, labels, classes)
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        dragmode="select",
        legend={"title": {"text": _("class")}, "itemsizing": "constant"},
        xaxis_title=axis_titles[0],
        yaxis_title=axis_titles[1],
        uirevision="latent",
    )
    if equal_axes:
        fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def add_codes(
    fig: go.Figure,
    xy: np.ndarray,
    rows: np.ndarray,
    labels: np.ndarray,
    classes: Sequence[str],
    panel: int = 1,
) -> None:
    """One trace per class of the codes xy (N, 2) on the axes of `panel` (x, y; x2, y2; …).

    Each trace keeps its points' rows in `customdata` and is in the legend group of its class:
    a class already in fig's legend (from another panel) gets no second entry.
    """
    size = 4 if len(xy) > 3000 else 6
    scatter = go.Scatter if len(xy) <= SVG_MAX_POINTS else go.Scattergl
    label_word, index_word = _("label"), _("index")
    listed = _in_legend(fig)
    # sent as 4-byte numbers, half the size of the float64 and int64 it is computed in (a
    # 10,000-point map: 0.3 MB a visit, not 0.6): float32 keeps 7 digits, hover shows 2
    xy, rows = np.asarray(xy, dtype=np.float32), np.asarray(rows, dtype=np.int32)
    for label in np.unique(labels):
        mask = labels == label
        name = classes[label] if 0 <= label < len(classes) else str(label)
        fig.add_trace(
            scatter(
                x=xy[mask, 0],
                y=xy[mask, 1],
                mode="markers",
                name=name,
                legendgroup=name,
                showlegend=name not in listed,
                marker={"size": size, "opacity": 0.75, "color": PALETTE[int(label) % len(PALETTE)]},
                customdata=rows[mask],
                meta=CODES,
                hovertemplate=f"{label_word} <b>{name}</b><br>{index_word} %{{customdata}}"
                "<br>(%{x:.2f}, %{y:.2f})<extra></extra>",
                **_on_panel(panel),
            )
        )


def _suffix(panel: int) -> str:
    """The suffix of a panel's axes: x, y for the first; x2, y2 (xaxis2, yaxis2) for the next."""
    return "" if panel == 1 else str(panel)


def _on_panel(panel: int) -> dict[str, str]:
    """A trace's axis references for `panel`."""
    return {"xaxis": f"x{_suffix(panel)}", "yaxis": f"y{_suffix(panel)}"}


def _in_legend(fig: go.Figure) -> set[str]:
    """The names fig's legend lists already: a trace of one of them needs no second entry."""
    return {str(t.name) for t in fig.data if t.showlegend is not False}


def over(fig: go.Figure) -> type[go.Scatter] | type[go.Scattergl]:
    """The trace type for lines and markers drawn over fig's points: WebGL when they are.

    A browser draws every WebGL trace above every SVG one, so an SVG circle or star on a
    WebGL map would be hidden under its dots.
    """
    return go.Scattergl if any(t.type == "scattergl" for t in fig.data) else go.Scatter


def side_by_side(
    titles: tuple[str, str], axis_titles: tuple[tuple[str, str], tuple[str, str]], height: int
) -> go.Figure:
    """An empty figure of two map panels, each with its own square axes and its title above;
    `add_codes(fig, ..., panel=2)` and `add_markers(..., panel=2)` draw into the right one.

    One figure draws both panels in one WebGL context, which a browser drawing WebGL in
    software sets up once (about 0.3 s for two separate 10,000-point charts against 0.2 s).
    A legend entry shows once and toggles its name in both panels (a class, the stars).
    """
    fig = go.Figure()
    gap = 0.06
    for panel, (title, (x_title, y_title)) in enumerate(zip(titles, axis_titles, strict=True), 1):
        suffix = _suffix(panel)
        lo, hi = (0.0, 0.5 - gap / 2) if panel == 1 else (0.5 + gap / 2, 1.0)
        fig.update_layout(
            {
                f"xaxis{suffix}": {"anchor": f"y{suffix}", "domain": [lo, hi], "title": x_title},
                f"yaxis{suffix}": {
                    "anchor": f"x{suffix}",
                    "title": y_title,
                    "scaleanchor": f"x{suffix}",
                    "scaleratio": 1,
                },
            }
        )
        fig.add_annotation(
            text=title, x=(lo + hi) / 2, y=1.0, xref="paper", yref="paper", yanchor="bottom",
            xanchor="center", showarrow=False, font={"size": 14},
        )  # fmt: skip
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        dragmode="pan",
        legend={"title": {"text": _("class")}, "itemsizing": "constant"},
        uirevision="latent",
    )
    return fig


def add_prior_contours(fig: go.Figure) -> None:
    """Dashed circles where the density of N(0, I) in 2-D falls to 1, 2 and 3 sigma.

    One trace, the circles apart by a NaN: on a WebGL map each line trace costs the browser
    about 0.05 s to set up where it draws WebGL in software.
    """
    t = np.linspace(0, 2 * np.pi, 181)
    gap = np.array([np.nan])
    fig.add_trace(
        over(fig)(
            x=np.concatenate([np.concatenate([r * np.cos(t), gap]) for r in (1, 2, 3)]),
            y=np.concatenate([np.concatenate([r * np.sin(t), gap]) for r in (1, 2, 3)]),
            mode="lines",
            line={"color": "rgba(60,60,60,0.7)", "dash": "dash", "width": 1},
            name=_("prior N(0, I): 1, 2, 3σ"),
            legendgroup="prior",
            connectgaps=False,
            hoverinfo="skip",
        )
    )


def add_sigma_ellipses(fig: go.Figure, mu: np.ndarray, sigma: np.ndarray) -> None:
    """Axis-aligned 1-sigma ellipses of q(z|x) around mu; mu, sigma (K, 2)."""
    for (x, y), (sx, sy) in zip(mu, sigma, strict=True):
        fig.add_shape(
            type="circle",
            x0=x - sx,
            x1=x + sx,
            y0=y - sy,
            y1=y + sy,
            line={"color": "crimson", "width": 1.5},
            fillcolor="rgba(220,20,60,0.08)",
        )


def add_markers(
    fig: go.Figure, xy: np.ndarray, name: str, text: Sequence[str] = (), panel: int = 1
) -> None:
    """Large star markers at xy (K, 2), drawn above the scatter of `panel` (see add_codes)."""
    listed = name in _in_legend(fig)
    fig.add_trace(
        over(fig)(
            x=xy[:, 0],
            y=xy[:, 1],
            mode="markers",
            name=name,
            legendgroup=name,
            showlegend=not listed,
            text=list(text) or None,
            marker={"symbol": "star", "size": 16, "color": "crimson", "line": {"width": 1}},
            hovertemplate="%{text}<extra></extra>" if text else None,
            **_on_panel(panel),
        )
    )


def selected_rows(event: Any, n: int) -> list[int]:
    """Row indices (ascending, no repeats, each in [0, n)) from a plotly_chart selection event.

    The event lists points trace by trace, one trace per class, so its own order would put
    the first classes first; by row, the first few of a large selection are a fair sample
    of what it holds.
    """
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return []
    out: set[int] = set()
    for point in points or []:
        data = point.get("customdata") if isinstance(point, dict) else None
        if isinstance(data, list):
            data = data[0] if data else None
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            continue
        if 0 <= data < n and float(data).is_integer():
            out.add(int(data))
    return sorted(out)
