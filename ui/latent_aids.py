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
from ui.images import show_image, show_tiles
from ui.latent_figures import add_density, density_extent, samples_map
from ui.latent_replay import formation_figure
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
# Plain labels: the open one is written verbatim into the URL.
MAP_TAB = "Map"
HOVER_TAB = "Hover to decode"
SAMPLES_TAB = "Samples from q(z|x)"
TRAINING_TAB = "Over training"


def tabs_for(latent_dim: int) -> list[str]:
    """The page's views; decoding under the pointer needs a 2-D map."""
    hover = [HOVER_TAB] if latent_dim == 2 else []
    return [MAP_TAB, *hover, SAMPLES_TAB, TRAINING_TAB]


def dims_name(dims: tuple[int, int]) -> str:
    return f"z{dims[0] + 1} and z{dims[1] + 1}"


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
    with st.spinner(f"Evaluating q(z) on a {GRID} x {GRID} grid…"):
        xs, ys, q, holes = _density(cache_key(ckpt), images.source, dims, mu, sigma)
    add_density(fig, xs, ys, q)
    marginal = "" if mu.shape[1] == 2 else f" (its marginal on {dims_name(dims)})"
    st.caption(
        f"Shading: the aggregate posterior q(z) = average over all {len(mu):,} images of "
        f"q(z|x){marginal}, log scale, dark where it is thin: it shows where the decoder was "
        f"trained. **{holes:.0%}** of samples from the prior N(0, I) land where q(z) is below "
        "a tenth of p(z). The decoder has rarely seen such codes, so they tend to decode to "
        "blurry blends or shapes that belong to no class: these are the holes."
    )


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
        "Image",
        0,
        n_images - 1,
        step=1,
        key=state.LATENT_ENC_ROW,
        on_change=_remember_row,
        help=f"Its index in {images.source}; selecting points on the Map picks the first one.",
    )
    n = b.select_slider(
        "Draws", DRAWS, value=16, key="latent_enc_n", help="How many codes to draw from q(z|x)."
    )
    c.button(
        "Draw again",
        icon=":material/casino:",
        on_click=_draw_again,
        help="New random draws ε for the same image.",
    )
    s = posterior_samples(
        ckpt.model, images.x[row], n, seed=st.session_state.get(state.LATENT_ENC_SEED, 0)
    )
    label = images.class_name(int(images.y[row]))
    left, middle, right = st.columns([1, 2, 2], gap="medium")
    with left:
        show_image(images.x[row] / 255.0, f"Input x: #{row} ({label})", target=140)
        show_image(s.mean_image, "Decoded at z = μ", target=140)
    with middle:
        side = math.isqrt(n)
        show_tiles(s.images, side, f"{n} draws z = μ + σ·ε, decoded (row by row)", target=340)
    with right:
        if mu.shape[1] < 2:
            z = ", ".join(f"{v:+.2f}" for v in s.z[:8, 0])
            st.caption(f"A 1-D code: the first draws are {z}, around μ = {s.mu[0]:+.2f}.")
        else:
            d = list(dims)
            names = (f"z{dims[0] + 1}", f"z{dims[1] + 1}")
            fig = samples_map(s.mu[d], s.sigma[d], s.z[:, d], mu[:, d], names)
            st.plotly_chart(fig, key="latent_enc_map", config={"displayModeBar": False})
    sig = ", ".join(f"{v:.2f}" for v in s.sigma[:6]) + (", …" if len(s.sigma) > 6 else "")
    st.caption(f"σ of q(z|x) for this image: ({sig}). Where σ is small the code is pinned down.")
    st.markdown(
        "**The stochastic encoder.** The encoder does not map an image to one point: it outputs "
        "a Gaussian q(z|x) = N(μ, σ²), and training decodes a random draw z = μ + σ·ε with "
        "ε ~ N(0, I) (the reparameterisation trick of Kingma & Welling). So every code in that "
        "cloud has to reconstruct the image: that is what makes nearby codes decode alike and the "
        "space smooth. The map on the first tab shows only the centres μ."
    )


def sample_this(row: int) -> None:
    """Button callback: open the q(z|x) view on image `row`."""
    st.session_state[state.LATENT_FOCUS] = int(row)
    st.session_state.pop(state.LATENT_ENC_ROW, None)
    st.session_state[state.VIEW_PARAM] = SAMPLES_TAB


# --- the space forming over training ---------------------------------------------------------


@st.cache_resource(show_spinner=False, max_entries=8)
def _formation(
    key: tuple[str, tuple[int, ...]], dims: tuple[int, int] | None, _ckpt: Checkpoint
) -> go.Figure | str:
    """The animated figure, or why there is none. Shared: never change it."""
    try:
        frames = snapshot_frames(_ckpt.snapshots, len(_ckpt.preview_x), dims)
    except SnapshotError as exc:
        return str(exc)
    labels = _ckpt.preview_y[frames.index]
    classes = _ckpt.config.classes
    curve = loss_curve(_ckpt.history)
    on_axes = dims is not None or _ckpt.config.model.latent_dim <= 2
    return formation_figure(frames, labels, classes, curve, prior=on_axes)


def show_formation(ckpt: Checkpoint, dims: tuple[int, int] | None) -> None:
    """The snapshot scatter beside the loss curve; a slider and a play button over epochs."""
    with st.spinner("Preparing the epochs…"):
        fig = _formation(cache_key(ckpt), dims, ckpt)
    if isinstance(fig, str) and ckpt.imported:
        st.info(
            f"No training replay for **{ckpt.name}**: it is an imported model, trained "
            "elsewhere, so there are no per-epoch snapshots or loss history to replay. "
            "The other views work on it; train a model here to watch its space form.",
            icon=":material/movie_off:",
        )
        return
    if isinstance(fig, str):
        st.info(
            f"No training replay for **{ckpt.name}**: {fig}. Runs trained with "
            "`--snapshot-points` above 0 (the default is 1000) save the encoded preview "
            "images after every epoch.",
            icon=":material/movie_off:",
        )
        return
    epochs = len(fig.frames)
    points = sum(len(t.x) for t in fig.data if getattr(t, "meta", None) == "points")
    st.plotly_chart(
        fig, key=f"latent_formation_{ckpt.name}_{dims}", config={"displayModeBar": False}
    )
    st.caption(
        f"{points:,} preview images encoded after each of {epochs} epochs (epoch 0: the "
        "untrained encoder). Press ▶ Play, or drag the slider; the diamond marks the epoch "
        "on the test loss."
    )
    if epochs < 2:
        st.caption(":material/info: Only one epoch was saved, so there is nothing to play yet.")
    st.markdown(
        "**How the space forms.** At first the encoder is random and every image lands in a "
        "small blob near the origin. The reconstruction term pushes images apart so the decoder "
        "can tell them apart; the KL term pulls every q(z|x) back towards N(0, I). Groups of "
        "similar images form within the first epochs, while the loss drops fastest; later "
        "epochs mostly refine the layout."
    )
