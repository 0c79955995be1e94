"""The Latent page's teaching aids: one `show_*` function per view.

The shaded aggregate posterior, samples from q(z|x), the space forming over training, and
decoding in the browser as the pointer moves. pages/latent.py calls them; the maths lives
in vae.analysis.posterior and vae.analysis.formation.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st

import components.live_decoder as live
from pages.common import Images, cache_key, show_error, show_image, show_tiles
from pages.latent_figures import add_density, density_extent, samples_map
from pages.latent_replay import formation_figure
from pages.plots import PALETTE
from vae import Checkpoint
from vae.analysis.explore import decode
from vae.analysis.formation import SnapshotError, loss_curve, snapshot_frames
from vae.analysis.posterior import (
    aggregate_posterior_density,
    density_grid,
    posterior_samples,
    prior_mass_in_holes,
)

GRID = 120  # density cells per side
DRAWS = (4, 9, 16, 25, 36, 49, 64)
FOCUS_KEY = "latent_focus"  # the image the q(z|x) view starts on (set by a map selection)
TAB_KEY = "view"  # also the URL's query parameter: /latent?view=Map opens that view
HANDOFF_KEY = "decoder_z"  # read by the Decoder page: {"run", "z", "source"}
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
    st.session_state["latent_enc_seed"] = st.session_state.get("latent_enc_seed", 0) + 1


def _remember_row() -> None:
    st.session_state[FOCUS_KEY] = st.session_state["latent_enc_row"]


def show_encoder_samples(
    ckpt: Checkpoint, images: Images, mu: np.ndarray, dims: tuple[int, int]
) -> None:
    """One input, n codes drawn from its q(z|x), their decodings tiled and their positions."""
    n_images = len(images.x)
    focus = st.session_state.get(FOCUS_KEY, 0)
    st.session_state.setdefault("latent_enc_row", int(np.clip(focus, 0, n_images - 1)))
    a, b, c = st.columns([1, 1, 1], vertical_alignment="bottom")
    row = a.number_input(
        "Image",
        0,
        n_images - 1,
        step=1,
        key="latent_enc_row",
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
        ckpt.model, images.x[row], n, seed=st.session_state.get("latent_enc_seed", 0)
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
    st.session_state[FOCUS_KEY] = int(row)
    st.session_state.pop("latent_enc_row", None)
    st.session_state[TAB_KEY] = SAMPLES_TAB


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


# --- decoding in the browser ------------------------------------------------------------------


def _offer(ckpt: Checkpoint, z: list[float], source: str) -> None:
    """Hand a latent point to the Decoder page (it reads and removes the key)."""
    st.session_state[HANDOFF_KEY] = {"run": ckpt.name, "z": [float(v) for v in z], "source": source}


def _server_pad(ckpt: Checkpoint, mu: np.ndarray) -> list[float]:
    x0, x1, y0, y1 = live.map_extent(mu)
    a, b = st.columns(2)
    help_ = "Each move decodes this point on the server."
    zx = a.slider(
        "z1", round(x0, 2), round(x1, 2), round((x0 + x1) / 2, 2), key="latent_srv_z1", help=help_
    )
    zy = b.slider(
        "z2", round(y0, 2), round(y1, 2), round((y0 + y1) / 2, 2), key="latent_srv_z2", help=help_
    )
    show_image(decode(ckpt.model, np.array([[zx, zy]]))[0], f"Decoded at ({zx:.2f}, {zy:.2f})")
    return [zx, zy]


def show_hover(ckpt: Checkpoint, images: Images, mu: np.ndarray) -> None:
    """The map of codes; hovering decodes the point under the pointer in the browser."""
    try:
        spec = live.spec_for(ckpt.model)
    except live.UnsupportedDecoder as exc:
        st.info(
            f"This model's decoder cannot run in the browser ({exc}), so it is decoded on the "
            "server instead: move the sliders (each move is one round trip).",
            icon=":material/dns:",
        )
        z: list[float] | None = _server_pad(ckpt, mu)
        source = "a point chosen on the latent map"
    except Exception as exc:  # a model the exporter does not expect: say so, keep the page
        show_error(exc, "The in-browser decoder cannot be prepared")
        return
    else:
        st.caption(
            "Hover over the map: the image on the right is the decoder's output for the point "
            "under the pointer, computed in your browser. Click or drag to pin a point."
        )
        pinned = live.live_map(
            spec,
            mu,
            images.y,
            key="latent_live",
            classes=list(images.classes),
            colors=PALETTE,  # the Map tab's colours
            size_px=460,
            image_px=280,
        )
        if pinned is None:
            st.info(
                "Click the map to pin a point; the Decoder page then starts there.",
                icon=":material/push_pin:",
            )
        z, source = pinned, "a point pinned on the latent map"
    if z is not None:
        _pinned(ckpt, z, source)
    st.markdown(
        "**Why some places decode badly.** Inside a cluster the decoder has seen many codes and "
        "draws a clean image; between clusters and outside the cloud it has seen few, so it "
        "draws blends. Those are the thin regions shaded on the Map when *Shade where q(z) is "
        "thin* is on, and where samples from the prior go wrong."
    )


def _pinned(ckpt: Checkpoint, z: list[float], source: str) -> None:
    """Offer the pinned point to the Decoder page, once per new pin, and a button to go there."""
    last = st.session_state.get("latent_pin")
    if last != (ckpt.name, z):
        st.session_state["latent_pin"] = (ckpt.name, z)
        _offer(ckpt, z, source)  # the Decoder page starts there next time it opens
    a, b = st.columns([3, 1], vertical_alignment="center")
    a.markdown(f"**z = ({z[0]:+.2f}, {z[1]:+.2f})**: the Decoder page starts here when opened.")
    if b.button("Open in the Decoder", icon=":material/tune:", key="latent_live_open"):
        _offer(ckpt, z, source)
        st.switch_page("pages/decoder.py")
