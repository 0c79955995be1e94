"""Compare two models: the same inputs through both, their figures, maps and rate-distortion."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from ui.errors import show_error
from ui.images import show_tiles
from ui.plots import add_markers, latent_scatter
from ui.selection import current_checkpoint, load_run
from ui.testset import Images, dataset_images, encoded
from vae import Checkpoint
from vae.analysis.compare import (
    FIGURES,
    RDPoint,
    by_dataset,
    default_partner,
    figure,
    input_mismatch,
    rate_distortion_points,
    shared_rows,
)
from vae.analysis.explore import reconstruct
from vae.analysis.interpolation import fit_projection
from vae.runfolder.runs import RunSummary, list_runs, resolve_run

SIDES = ("left", "right")
COLOURS = {"left": "#1565c0", "right": "#c2185b"}
ALL = "All classes"
LOSSES = {"test_elbo", "test_recon", "test_kl"}

st.title(":material/compare_arrows: Compare two models")
st.caption(
    "Two checkpoints side by side: the same test images through each, their figures and "
    "latent maps, and every run on the rate-distortion plane. Try β = 1 against β = 4, or a "
    "2-D model against a 20-D one trained on the same data."
)

sidebar = current_checkpoint()
runs = list_runs()
usable: dict[str, RunSummary] = {r.name: r for r in runs if r.ok}


def pick_models() -> tuple[str, str] | None:
    """The two pickers; the left one follows the sidebar's model until changed here."""
    state = st.session_state
    if state.get("compare_sidebar") != sidebar.name or state.get("compare_left") not in usable:
        state["compare_sidebar"] = sidebar.name
        state["compare_left"] = sidebar.name
    if state.get("compare_right") not in usable or state["compare_right"] == state["compare_left"]:
        state["compare_right"] = default_partner(runs, state["compare_left"])
    if len(usable) < 2:
        st.info(
            f"**{sidebar.name}** is the only usable checkpoint, so there is nothing to compare it "
            "with. Train another on the Training page, e.g. the same model with β = 4.",
            icon=":material/info:",
        )
        return None
    left, right = st.columns(2, gap="large")
    for side, col in zip(SIDES, (left, right), strict=True):
        col.selectbox(
            f"{side.capitalize()} model",
            list(usable),
            format_func=lambda name: usable[name].label,
            key=f"compare_{side}",
            help="A trained run folder. The left one starts as the model chosen in the sidebar.",
        )
    return state["compare_left"], state["compare_right"]


def describe(ck: Checkpoint) -> str:
    m, t = ck.config.model, ck.config.train
    return (
        f"{ck.config.dataset} · {m.arch} · latent size {m.latent_dim} · β = {t.beta:g} · "
        f"{m.likelihood} decoder · {ck.epoch} epochs"
    )


def show_figures(models: dict[str, Checkpoint], same_data: bool) -> None:
    """Each model's figures from its metrics.json, with the right's difference from the left."""
    for side, col in zip(SIDES, st.columns(2, gap="large"), strict=True):
        ck = models[side]
        col.markdown(f"#### :{'blue' if side == 'left' else 'violet'}[■] {ck.name}")
        col.caption(describe(ck))
        cells = [cell for _ in range(2) for cell in col.columns(2)]  # 2 x 2: room for digits
        for (key, label, help_text), cell in zip(FIGURES, cells, strict=True):
            value = figure(ck.metrics, key)
            delta = None
            other = figure(models["left"].metrics, key)
            if side == "right" and same_data and value is not None and other is not None:
                if key in LOSSES:
                    delta = f"{value - other:+.2f}"
                elif value != other:
                    delta = f"{value - other:+.0f}"
            if key == "active_units":
                shown = "n/a" if value is None else f"{value:.0f} / {ck.config.model.latent_dim}"
            else:
                shown = "n/a" if value is None else f"{value:.2f}"
            inverse: Literal["inverse", "normal"] = "inverse" if key in LOSSES else "normal"
            cell.metric(label, shown, delta, delta_color=inverse, help=help_text)
        if side == "right" and same_data:
            col.caption("Figures in nats per test image; arrows: right minus left.")
        elif side == "right":
            col.caption("Figures in nats per test image, on different data: not comparable.")


def rd_figure(points: list[RDPoint], names: dict[str, str]) -> go.Figure:
    """One panel per data set: every run at (KL, reconstruction); the compared two highlighted."""
    groups = by_dataset(points, [p.dataset for p in points if p.name in names.values()])
    side_of = {name: side for side, name in names.items()}
    chosen = {p.dataset for p in points if p.name in side_of}
    widths = [3.0 if d in chosen else 1.0 for d in groups]
    fig = make_subplots(
        1, len(groups), subplot_titles=list(groups), column_widths=widths, horizontal_spacing=0.1
    )
    for col, group in enumerate(groups.values(), start=1):
        rates = np.array([p.rate for p in group])
        dist = np.array([p.distortion for p in group])
        pad_x, pad_y = 0.3 * max(1.0, np.ptp(rates)), 0.2 * max(1.0, np.ptp(dist))
        x_range = [max(0.0, rates.min() - pad_x), rates.max() + pad_x]
        for i, p in enumerate(sorted(group, key=lambda p: p.rate)):
            side = side_of.get(p.name)
            fig.add_trace(
                go.Scatter(
                    x=[p.rate],
                    y=[p.distortion],
                    mode="markers+text",
                    name=p.name,
                    text=[f"{p.name}<br>β={p.beta:g}, z={p.latent_dim}"],
                    textposition=("top right", "bottom left")[i % 2],
                    textfont={"size": 11, "color": COLOURS[side] if side else "#616161"},
                    cliponaxis=False,
                    showlegend=False,
                    marker={
                        "size": 15 if side else 10,
                        "color": COLOURS[side] if side else "#9e9e9e",
                        "line": {"width": 1.5, "color": "white"},
                    },
                    hovertemplate=f"<b>{p.label}</b><br>rate (KL) %{{x:.2f}} nats<br>"
                    f"distortion %{{y:.2f}} nats<br>−ELBO {p.elbo:.2f}<extra></extra>",
                ),
                row=1,
                col=col,
            )
            if side:  # runs on this dotted line have the same ELBO
                xs = np.array(x_range)
                fig.add_trace(
                    go.Scatter(
                        x=xs,
                        y=p.elbo - xs,
                        mode="lines",
                        showlegend=False,
                        line={"dash": "dot", "width": 1, "color": COLOURS[side]},
                        hoverinfo="skip",
                    ),
                    row=1,
                    col=col,
                )
        fig.update_xaxes(title_text="rate: KL (nats)", range=x_range, row=1, col=col)
        fig.update_yaxes(range=[dist.min() - pad_y, dist.max() + pad_y], row=1, col=col)
    fig.update_yaxes(title_text="distortion: reconstruction (nats)", row=1, col=1)
    fig.update_layout(height=420, margin={"l": 10, "r": 30, "t": 40, "b": 10})
    return fig


def same_inputs(models: dict[str, Checkpoint], images: Images) -> np.ndarray:
    """The shared test images, each model's reconstructions and per-image −ELBO; the rows."""
    labels = [int(v) for v in np.unique(images.y)]
    a, b, c = st.columns([2, 3, 1], vertical_alignment="bottom")
    choice = a.selectbox(
        "Class",
        [ALL, *labels],
        format_func=lambda v: v if v == ALL else images.class_name(int(v)),
        key="compare_class",
        disabled=len(labels) < 2,
        help="Draw the inputs from one class only, or from all of them.",
    )
    count = b.slider("Images", 4, 16, 8, key="compare_count", help="How many test images.")
    seed = c.number_input("Seed", 0, 9999, 0, key="compare_seed", help="Another draw of images.")
    label = choice if isinstance(choice, int) else -1  # ALL: every class
    rows = shared_rows(images.y, label, count, int(seed))
    x = images.x[rows]
    with st.spinner("Reconstructing with both models…"):
        out = {side: reconstruct(ck.model, x) for side, ck in models.items()}
    names = [models[s].name for s in SIDES]
    show_tiles(
        np.concatenate([x / 255.0, out["left"][0], out["right"][0]]),
        nrow=len(rows),
        row_labels=["input", *names],
        target=1000,
    )
    table = pd.DataFrame(
        {
            "index": rows,
            "class": [images.class_name(int(images.y[r])) for r in rows],
            f"−ELBO {names[0]}": out["left"][1],
            f"−ELBO {names[1]}": out["right"][1],
        }
    )
    table["right − left"] = table.iloc[:, 3] - table.iloc[:, 2]
    means = [float(out[s][1].mean()) for s in SIDES]
    left, right = st.columns([3, 2], gap="large")
    nats = st.column_config.NumberColumn(format="%.1f")
    left.dataframe(table, hide_index=True, column_config={c: nats for c in table.columns[2:]})
    right.caption(
        f"The same {len(rows)} images from {images.source}: inputs on top, then each model's "
        f"reconstruction (the decoder's mean at z = μ(x)). Mean −ELBO on these images: "
        f"{means[0]:.1f} nats ({names[0]}) and {means[1]:.1f} nats ({names[1]}); each is "
        "reconstruction plus KL for that image, lower is better."
    )
    return rows


def show_maps(models: dict[str, Checkpoint], rows: np.ndarray | None) -> None:
    """Each model's test codes side by side; the shared inputs as stars when there are some."""
    for side, col in zip(SIDES, st.columns(2, gap="large"), strict=True):
        ck = models[side]
        imgs = dataset_images(ck, note=False)
        mu, _ = encoded(ck, imgs)
        view = fit_projection(mu)
        fig = latent_scatter(view(mu), np.arange(len(mu)), imgs.y, imgs.classes, view.titles)
        if rows is not None:
            add_markers(fig, view(mu[rows]), "the inputs above", [f"#{r}" for r in rows])
        fig.update_layout(height=440, dragmode="pan", title={"text": ck.name, "font": {"size": 14}})
        col.plotly_chart(fig, key=f"compare_map_{side}")
        d = ck.config.model.latent_dim
        how = (
            "its latent dimensions"
            if d <= 2
            else f"PCA of its {d} dimensions ({view.explained:.0%} of the variance)"
        )
        col.caption(f"{len(mu):,} codes μ from {imgs.source}, on {how}.")


def render() -> None:
    names = pick_models()
    points = rate_distortion_points(runs)
    if names is None:
        if points:
            st.plotly_chart(rd_figure(points, {}), key="compare_rd")
        return
    models: dict[str, Checkpoint] = {}
    for side, name in zip(SIDES, names, strict=True):
        try:
            with st.spinner(f"Loading {name}…"):
                models[side] = load_run(resolve_run(name))
        except Exception as exc:
            show_error(exc, f"The checkpoint {name} cannot be used")
            return
    mismatch = input_mismatch(models["left"].config, models["right"].config)
    st.subheader("Figures on the test set")
    show_figures(models, mismatch is None)
    st.subheader("Rate and distortion")
    plot, note = st.columns([5, 2], gap="large")
    plot.plotly_chart(rd_figure(points, dict(zip(SIDES, names, strict=True))), key="compare_rd")
    note.markdown(
        """
The loss splits in two: **−ELBO = distortion + rate**. *Distortion* is the
reconstruction term, the nats needed to describe x given its code; *rate* is the KL term,
the nats the code carries about x beyond the prior. A β-VAE minimises
distortion + β·rate: β > 1 makes information in the code dearer, so runs move up and to
the left (blurrier reconstructions, often fewer active units); β < 1 the other way.
Dotted lines join points of equal −ELBO. Each data set has its own panel: nats on
different data are not comparable.
        """
    )
    st.subheader("The same inputs through both")
    rows = None
    if mismatch is not None:
        st.info(
            f"These two models cannot be shown the same images: {mismatch}. Their figures and "
            "maps are shown, each on its own test set.",
            icon=":material/info:",
        )
    else:
        rows = same_inputs(models, dataset_images(models["left"]))
    st.subheader("Latent maps")
    show_maps(models, rows)


try:
    render()
except Exception as exc:  # never a trace: say what failed and keep the page alive
    show_error(exc, "The comparison could not be drawn")
