"""The Latent page's teaching aids: one `show_*` function per view.

The shaded aggregate posterior, samples from q(z|x) and the space forming over training
(decoding as the pointer moves is ui/latent_hover.py). pages/latent.py calls them; the
maths lives in vae.analysis.posterior and vae.analysis.formation.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui import state
from ui.errors import describe
from ui.i18n import N_, _, bound_labels, class_label, language
from ui.images import show_image, show_tiles
from ui.latent_figures import add_density, density_extent, samples_map
from ui.latent_replay import formation_figure
from ui.lessons import fit_figure
from ui.selection import cache_key
from ui.testset import Images
from vae import Checkpoint
from vae.analysis.formation import SnapshotError, loss_curve, snapshot_frames
from vae.analysis.posterior import (
    aggregate_posterior_density,
    density_grid,
    posterior_samples,
    prior_mass_in_holes,
)

GRID = 120  # density cells per side
DRAWS = (4, 9, 16, 25, 36, 49, 64)
# Plain labels: the open one is written verbatim into the URL (in the reader's language:
# pages/latent.py shows them through ui.i18n.bound_labels; ?view=Map opens the map in any).
MAP_TAB = N_("Map")
HOVER_TAB = N_("Hover to decode")
SAMPLES_TAB = N_("Samples from q(z|x)")
TRAINING_TAB = N_("Over training")


def tabs_for(latent_dim: int) -> list[str]:
    """The page's views; decoding under the pointer needs a 2-D map."""
    hover = [HOVER_TAB] if latent_dim == 2 else []
    return [MAP_TAB, *hover, SAMPLES_TAB, TRAINING_TAB]


def shown_tabs(latent_dim: int) -> list[str]:
    """The tabs' labels in the reader's language (a link's ?view= in any language is taken).

    Streamlit drops a link's label in another language (a lesson's ?view=Over training) from
    the address once the tabs have read it; setting the open tab's label again puts it back.
    """
    shown = bound_labels(state.VIEW_PARAM, tabs_for(latent_dim))
    view = st.session_state.get(state.VIEW_PARAM)
    if view in shown[1:] and st.query_params.get(state.VIEW_PARAM) != view:
        st.session_state[state.VIEW_PARAM] = view
    return shown


def dims_name(dims: tuple[int, int]) -> str:
    return _("z{a} and z{b}").format(a=dims[0] + 1, b=dims[1] + 1)


# --- the aggregate posterior on the map ------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=8)
def _density(
    key: tuple[str, tuple[int, ...]],
    source: str,
    dims: tuple[int, int],
    _mu: np.ndarray,
    _sigma: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(xs, ys, q on the grid, share of prior draws in holes) for two dimensions. Shared."""
    m, s = _mu[:, list(dims)], _sigma[:, list(dims)]
    xs, ys = density_grid(density_extent(m), GRID)
    q = aggregate_posterior_density(m, s, xs, ys)
    return xs, ys, q, prior_mass_in_holes(q, xs, ys)


def show_density(
    fig: go.Figure,
    ckpt: Checkpoint,
    images: Images,
    mu: np.ndarray,
    sigma: np.ndarray,
    dims: tuple[int, int],
) -> None:
    """Shade the map by log q(z) and say how often prior samples land where it is thin."""
    with st.spinner(_("Evaluating q(z) on a {n} x {n} grid…").format(n=GRID)):
        xs, ys, q, holes = _density(cache_key(ckpt), images.source, dims, mu, sigma)
    add_density(fig, xs, ys, q)
    if mu.shape[1] == 2:
        shading = _(
            "Shading: the aggregate posterior q(z) = average over all {n:,} images of "
            "q(z|x), log scale, dark where it is thin: it shows where the decoder was "
            "trained."
        ).format(n=len(mu))
    else:
        shading = _(
            "Shading: the aggregate posterior q(z) = average over all {n:,} images of "
            "q(z|x) (its marginal on {dims}), log scale, dark where it is thin: it shows where "
            "the decoder was trained."
        ).format(n=len(mu), dims=dims_name(dims))
    holes_text = _(
        "**{holes:.0%}** of samples from the prior N(0, I) land where q(z) is below a tenth of "
        "p(z). The decoder has rarely seen such codes, so they tend to decode to blurry blends "
        "or shapes that belong to no class: these are the holes."
    ).format(holes=holes)
    st.caption(f"{shading} {holes_text}")


# --- samples from q(z|x) ---------------------------------------------------------------------


def _draw_again() -> None:
    st.session_state[state.LATENT_ENC_SEED] = st.session_state.get(state.LATENT_ENC_SEED, 0) + 1


def _remember_row() -> None:
    st.session_state[state.LATENT_FOCUS] = st.session_state[state.LATENT_ENC_ROW]


def show_encoder_samples(
    ckpt: Checkpoint, images: Images, mu: np.ndarray, dims: tuple[int, int]
) -> None:
    """One input, n codes drawn from its q(z|x), their decodings tiled and their positions."""
    n_images = len(images.x)
    focus = st.session_state.get(state.LATENT_FOCUS, 0)
    st.session_state.setdefault(state.LATENT_ENC_ROW, int(np.clip(focus, 0, n_images - 1)))
    a, b, c = st.columns([1, 1, 1], vertical_alignment="bottom")
    row = a.number_input(
        _("Image"),
        0,
        n_images - 1,
        step=1,
        key=state.LATENT_ENC_ROW,
        on_change=_remember_row,
        help=_("Its index in {source}; selecting points on the Map picks the first one.").format(
            source=images.source_text
        ),
    )
    n = b.select_slider(
        _("Draws"),
        DRAWS,
        value=16,
        key="latent_enc_n",
        help=_("How many codes to draw from q(z|x)."),
    )
    c.button(
        _("Draw again"),
        icon=":material/casino:",
        on_click=_draw_again,
        help=_("New random draws ε for the same image."),
    )
    s = posterior_samples(
        ckpt.model, images.x[row], n, seed=st.session_state.get(state.LATENT_ENC_SEED, 0)
    )
    label = images.shown_class(int(images.y[row]))
    left, middle, right = st.columns([1, 2, 2], gap="medium")
    with left:
        show_image(
            images.x[row] / 255.0,
            _("Input x: #{row} ({label})").format(row=row, label=label),
            target=140,
        )
        show_image(s.mean_image, _("Decoded at z = μ"), target=140)
    with middle:
        side = math.isqrt(n)
        tiles = _("{n} draws z = μ + σ·ε, decoded (row by row)").format(n=n)
        show_tiles(s.images, side, tiles, target=340)
    with right:
        if mu.shape[1] < 2:
            z = ", ".join(f"{v:+.2f}" for v in s.z[:8, 0])
            st.caption(
                _("A 1-D code: the first draws are {z}, around μ = {mu:+.2f}.").format(
                    z=z, mu=s.mu[0]
                )
            )
        else:
            d = list(dims)
            names = (f"z{dims[0] + 1}", f"z{dims[1] + 1}")
            fig = samples_map(s.mu[d], s.sigma[d], s.z[:, d], mu[:, d], names)
            st.plotly_chart(fit_figure(fig), key="latent_enc_map", config={"displayModeBar": False})
    sig = ", ".join(f"{v:.2f}" for v in s.sigma[:6]) + (", …" if len(s.sigma) > 6 else "")
    st.caption(
        _("σ of q(z|x) for this image: ({sig}). Where σ is small the code is pinned down.").format(
            sig=sig
        )
    )
    st.markdown(
        _(
            "**The stochastic encoder.** The encoder does not map an image to one point: it "
            "outputs a Gaussian q(z|x) = N(μ, σ²), and training decodes a random draw z = μ + σ·ε "
            "with ε ~ N(0, I) (the reparameterisation trick of Kingma & Welling). So every code in "
            "that cloud has to reconstruct the image: that is what makes nearby codes decode alike "
            "and the space smooth. The map on the first tab shows only the centres μ."
        )
    )


def sample_this(row: int) -> None:
    """Button callback: open the q(z|x) view on image `row`."""
    st.session_state[state.LATENT_FOCUS] = int(row)
    st.session_state.pop(state.LATENT_ENC_ROW, None)
    st.session_state[state.VIEW_PARAM] = _(SAMPLES_TAB)  # the tab's shown label


# --- the space forming over training ---------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=8)
def _formation(
    key: tuple[str, tuple[int, ...]], dims: tuple[int, int] | None, lang: str, _ckpt: Checkpoint
) -> go.Figure | str:
    """The animated figure (its text in `lang`), or why there is none. Shared: never change it."""
    try:
        frames = snapshot_frames(_ckpt.snapshots, len(_ckpt.preview_x), dims)
    except SnapshotError as exc:
        return describe(exc)
    labels = _ckpt.preview_y[frames.index]
    classes = tuple(class_label(name) for name in _ckpt.config.classes)  # in `lang`
    curve = loss_curve(_ckpt.history)
    on_axes = dims is not None or _ckpt.config.model.latent_dim <= 2
    return formation_figure(frames, labels, classes, curve, prior=on_axes)


def show_formation(ckpt: Checkpoint, dims: tuple[int, int] | None) -> None:
    """The snapshot scatter beside the loss curve; a slider and a play button over epochs."""
    with st.spinner(_("Preparing the epochs…")):
        fig = _formation(cache_key(ckpt), dims, language(), ckpt)
    if isinstance(fig, str) and ckpt.imported:
        st.info(
            _(
                "No training replay for **{name}**: it is an imported model, trained "
                "elsewhere, so there are no per-epoch snapshots or loss history to replay. "
                "The other views work on it; train a model here to watch its space form."
            ).format(name=ckpt.name),
            icon=":material/movie_off:",
        )
        return
    if isinstance(fig, str):
        st.info(
            _(
                "No training replay for **{name}**: {reason}. Runs trained with "
                "`--snapshot-points` above 0 (the default is 1000) save the encoded preview "
                "images after every epoch."
            ).format(name=ckpt.name, reason=fig),
            icon=":material/movie_off:",
        )
        return
    epochs = len(fig.frames)
    points = sum(len(t.x) for t in fig.data if getattr(t, "meta", None) == "points")
    st.plotly_chart(
        fit_figure(fig),
        key=f"latent_formation_{ckpt.name}_{dims}",
        config={"displayModeBar": False},
    )
    st.caption(
        _(
            "{points:,} preview images encoded after each of {epochs} epochs (epoch 0: the "
            "untrained encoder). Press ▶ Play, or drag the slider; the diamond marks the epoch "
            "on the test loss."
        ).format(points=points, epochs=epochs)
    )
    if epochs < 2:
        st.caption(_(":material/info: Only one epoch was saved, so there is nothing to play yet."))
    st.markdown(
        _(
            "**How the space forms.** At first the encoder is random and every image lands in a "
            "small blob near the origin. The reconstruction term pushes images apart so the "
            "decoder can tell them apart; the KL term pulls every q(z|x) back towards N(0, I). "
            "Groups of similar images form within the first epochs, while the loss drops fastest; "
            "later epochs mostly refine the layout."
        )
    )
