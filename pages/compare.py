"""Compare two models: the same inputs through both, their figures, maps and rate-distortion."""

from __future__ import annotations

from typing import Literal

import numpy as np
import streamlit as st

from ui import errors
from ui.errors import show_error
from ui.i18n import N_, _
from ui.images import show_tiles
from ui.lessons import fit_figure
from ui.plots import MAP_CONFIG, add_codes, add_markers, side_by_side
from ui.rate_distortion import rd_figure
from ui.selection import current_checkpoint, load_run
from ui.state import COMPARE_LINK_SEEN, VS_PARAM
from ui.tables import data_frame
from ui.testset import Images, dataset_images, encoded
from vae import Checkpoint
from vae.analysis.compare import (
    FIGURES,
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
SIDE_LABELS = {"left": N_("Left model"), "right": N_("Right model")}
ALL = N_("All classes")  # an option value: shown translated, stored in English
LOSSES = {"test_elbo", "test_recon", "test_kl"}

st.title(_(":material/compare_arrows: Compare two models"))
st.caption(
    _(
        "Two checkpoints side by side: the same test images through each, their figures and "
        "latent maps, and every run on the rate-distortion plane. The shipped β family "
        "(mnist-16d-beta0.5 … beta8) differs only in β: compare β = 1 with β = 8, or mnist-2d "
        "with mnist-2d-beta4 to see a map pulled into the prior."
    )
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
    link = st.query_params.get(VS_PARAM)  # ?vs=NAME: the right model, once per new value
    if link is not None and link != state.get(COMPARE_LINK_SEEN):
        state[COMPARE_LINK_SEEN] = link
        if link in usable and link != state["compare_left"]:
            state["compare_right"] = link
        else:
            st.warning(
                _(
                    "The link names {link} as the model to compare with, but that is not "
                    "another usable checkpoint here; showing the default partner instead."
                ).format(link=repr(link[:40])),
                icon=":material/link_off:",
            )
    if state.get("compare_right") not in usable or state["compare_right"] == state["compare_left"]:
        state["compare_right"] = default_partner(runs, state["compare_left"])
    if len(usable) < 2:
        st.info(
            _(
                "**{name}** is the only usable checkpoint, so there is nothing to compare it "
                "with. Train another on the Training page, e.g. the same model with β = 4."
            ).format(name=sidebar.name),
            icon=":material/info:",
        )
        return None
    left, right = st.columns(2, gap="large")
    for side, col in zip(SIDES, (left, right), strict=True):
        col.selectbox(
            _(SIDE_LABELS[side]),
            list(usable),
            format_func=lambda name: usable[name].label,
            key=f"compare_{side}",
            help=_("A trained run folder. The left one starts as the model chosen in the sidebar."),
        )
    state[COMPARE_LINK_SEEN] = state["compare_right"]
    st.query_params[VS_PARAM] = state["compare_right"]
    return state["compare_left"], state["compare_right"]


def describe(ck: Checkpoint) -> str:
    m, t = ck.config.model, ck.config.train
    if ck.imported:
        return _("{dataset} · imported ONNX model · latent size {dim} · {kind} decoder").format(
            dataset=ck.config.dataset, dim=m.latent_dim, kind=m.likelihood
        )
    return _(
        "{dataset} · {arch} · latent size {dim} · β = {beta:g} · {kind} decoder · {epochs} epochs"
    ).format(
        dataset=ck.config.dataset,
        arch=m.arch,
        dim=m.latent_dim,
        beta=t.beta,
        kind=m.likelihood,
        epochs=ck.epoch,
    )


def show_figures(models: dict[str, Checkpoint], same_data: bool) -> None:
    """Each model's figures from its metrics.json, with the right's difference from the left."""
    for side, col in zip(SIDES, st.columns(2, gap="large"), strict=True):
        ck = models[side]
        col.markdown(f"#### :{'blue' if side == 'left' else 'violet'}[■] {ck.name}")
        col.caption(describe(ck))
        cells = [cell for _row in range(2) for cell in col.columns(2)]  # 2 x 2: room for digits
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
                shown = _("n/a") if value is None else f"{value:.0f} / {ck.config.model.latent_dim}"
            else:
                shown = _("n/a") if value is None else f"{value:.2f}"
            inverse: Literal["inverse", "normal"] = "inverse" if key in LOSSES else "normal"
            cell.metric(_(label), shown, delta, delta_color=inverse, help=_(help_text))
        if side == "right" and same_data:
            col.caption(_("Figures in nats per test image; arrows: right minus left."))
        elif side == "right":
            col.caption(_("Figures in nats per test image, on different data: not comparable."))


def same_inputs(models: dict[str, Checkpoint], images: Images) -> np.ndarray:
    """The shared test images, each model's reconstructions and per-image −ELBO; the rows."""
    labels = [int(v) for v in np.unique(images.y)]
    a, b, c = st.columns([2, 3, 1], vertical_alignment="bottom")
    # the format function looks up, never translates: AppTest calls it outside the run
    shown_as: dict[str | int, str] = {ALL: _(ALL)}
    shown_as.update({v: images.shown_class(v) for v in labels})
    choice = a.selectbox(
        _("Class"),
        [ALL, *labels],
        format_func=shown_as.__getitem__,
        key="compare_class",
        disabled=len(labels) < 2,
        help=_("Draw the inputs from one class only, or from all of them."),
    )
    count = b.slider(_("Images"), 4, 16, 8, key="compare_count", help=_("How many test images."))
    seed = c.number_input(
        _("Seed"), 0, 9999, 0, key="compare_seed", help=_("Another draw of images.")
    )
    label = choice if isinstance(choice, int) else -1  # ALL: every class
    rows = shared_rows(images.y, label, count, int(seed))
    x = images.x[rows]
    with st.spinner(_("Reconstructing with both models…")):
        out = {side: reconstruct(ck.model, x) for side, ck in models.items()}
    names = [models[s].name for s in SIDES]
    show_tiles(
        np.concatenate([x / 255.0, out["left"][0], out["right"][0]]),
        nrow=len(rows),
        row_labels=[_("input"), *names],
        target=1000,
    )
    table = data_frame(
        {
            _("index"): rows,
            _("class"): [images.shown_class(int(images.y[r])) for r in rows],
            f"−ELBO {names[0]}": out["left"][1],
            f"−ELBO {names[1]}": out["right"][1],
        }
    )
    table[_("right − left")] = table.iloc[:, 3] - table.iloc[:, 2]
    means = [float(out[s][1].mean()) for s in SIDES]
    left, right = st.columns([3, 2], gap="large")
    nats = st.column_config.NumberColumn(format="%.1f")
    left.dataframe(table, hide_index=True, column_config={c: nats for c in table.columns[2:]})
    right.caption(
        _(
            "The same {n} images from {source}: inputs on top, then each model's "
            "reconstruction (the decoder's mean at z = μ(x)). Mean −ELBO on these images: "
            "{left:.1f} nats ({left_name}) and {right:.1f} nats ({right_name}); each is "
            "reconstruction plus KL for that image, lower is better."
        ).format(
            n=len(rows),
            source=images.source_text,
            left=means[0],
            left_name=names[0],
            right=means[1],
            right_name=names[1],
        )
    )
    return rows


def show_maps(models: dict[str, Checkpoint], rows: np.ndarray | None) -> None:
    """Each model's test codes side by side; the shared inputs as stars when there are some."""
    data, captions = [], []
    for side in SIDES:
        ck = models[side]
        imgs = dataset_images(ck, note=False)
        mu, _sigma = encoded(ck, imgs)
        view = fit_projection(mu)
        data.append((imgs, mu, view))
        d = ck.config.model.latent_dim
        how = (
            _("its latent dimensions")
            if d <= 2
            else _("PCA of its {d} dimensions ({share:.0%} of the variance)").format(
                d=d, share=view.explained
            )
        )
        captions.append(
            _("{n:,} codes μ from {source}, on {how}.").format(
                n=len(mu), source=imgs.source_text, how=how
            )
        )
    names = (models["left"].name, models["right"].name)
    fig = side_by_side(names, (data[0][2].titles, data[1][2].titles), height=440)
    for panel, (imgs, mu, view) in enumerate(data, 1):
        add_codes(fig, view(mu), np.arange(len(mu)), imgs.y, imgs.shown_classes, panel)
    if rows is not None:  # after every code: WebGL or SVG, the stars are drawn on top
        for panel, (_imgs, mu, view) in enumerate(data, 1):
            add_markers(fig, view(mu[rows]), _("the inputs above"), [f"#{r}" for r in rows], panel)
    st.plotly_chart(fit_figure(fig), key="compare_maps", config=MAP_CONFIG)
    for col, caption in zip(st.columns(2, gap="large"), captions, strict=True):
        col.caption(caption)


def render() -> None:
    names = pick_models()
    points = rate_distortion_points(runs)
    if names is None:
        if points:
            st.plotly_chart(fit_figure(rd_figure(points, {})), key="compare_rd")
        return
    models: dict[str, Checkpoint] = {}
    for side, name in zip(SIDES, names, strict=True):
        try:
            with st.spinner(_("Loading {name}…").format(name=name)):
                models[side] = load_run(resolve_run(name))
        except Exception as exc:
            show_error(exc, _("The checkpoint {name} cannot be used").format(name=name))
            return
    mismatch = input_mismatch(models["left"].config, models["right"].config)
    st.subheader(_("Figures on the test set"))
    show_figures(models, mismatch is None)
    st.subheader(_("Rate and distortion"))
    plot, note = st.columns([5, 2], gap="large")
    plot.plotly_chart(
        fit_figure(rd_figure(points, dict(zip(SIDES, names, strict=True)))), key="compare_rd"
    )
    note.markdown(
        _(
            "The loss splits in two: **−ELBO = distortion + rate**. *Distortion* is the "
            "reconstruction term, the nats needed to describe x given its code; *rate* is the "
            "KL term, the nats the code carries about x beyond the prior. A β-VAE minimises "
            "distortion + β·rate: β > 1 makes information in the code dearer, so runs move up "
            "and to the left (blurrier reconstructions, often fewer active units); β < 1 the "
            "other way. Runs that differ only in β form a **family**, joined in β order: along "
            "it the rate falls and the distortion rises. β = 1, where the loss is the true "
            "−ELBO, is a diamond. The grey dotted lines are lines of equal −ELBO (D + R = "
            "constant): a run on a lower line has the better bound. Each data set has its own "
            "panel: nats on different data are not comparable."
        )
    )
    st.subheader(_("The same inputs through both"))
    rows = None
    if mismatch is not None:
        st.info(
            _(
                "These two models cannot be shown the same images: {mismatch}. Their figures "
                "and maps are shown, each on its own test set."
            ).format(mismatch=errors.describe(mismatch)),
            icon=":material/info:",
        )
    else:
        rows = same_inputs(models, dataset_images(models["left"]))
    st.subheader(_("Latent maps"))
    show_maps(models, rows)


try:
    render()
except Exception as exc:  # never a trace: say what failed and keep the page alive
    show_error(exc, _("The comparison could not be drawn"))
