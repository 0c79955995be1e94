"""Decoder: move through the latent space with sliders and see what the decoder makes there."""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image

from pages.common import cache_key, current_checkpoint, show_image, show_tiles
from vae import Checkpoint
from vae.explore import decode, grid_values, manifold_grid, tile, traversals

SPAN = 3.0  # slider range in prior standard deviations
STEP = 0.05
GRID = 20  # the paper's Figure 4 decodes a 20 x 20 grid
HANDOFF_KEY = "decoder_z"  # set by the Latent page: {"run", "z", "source"}

st.title(":material/tune: The decoder")
st.caption(
    "The decoder p(x|z) turns any point z of the latent space into an image. Move the sliders "
    "to walk through the space: only the decoder runs on each move, no image is encoded."
)

ckpt = current_checkpoint()
d = ckpt.config.model.latent_dim
keys = [f"decoder_{ckpt.name}_z{i}" for i in range(d)]


def _snap(v: float) -> float:
    return float(np.clip(round(v / STEP) * STEP, -SPAN, SPAN))


handoff = st.session_state.pop(HANDOFF_KEY, None)
if isinstance(handoff, dict) and handoff.get("run") == ckpt.name:
    z0 = handoff.get("z")
    if isinstance(z0, list) and len(z0) == d:
        for key, v in zip(keys, z0, strict=True):
            st.session_state[key] = _snap(float(v))
        clipped = " (clipped to the sliders' ±3)" if max(abs(float(v)) for v in z0) > SPAN else ""
        st.session_state["decoder_from"] = (ckpt.name, f"{handoff.get('source', '')}{clipped}")
for key in keys:
    st.session_state.setdefault(key, 0.0)
came_from = st.session_state.get("decoder_from")
if isinstance(came_from, tuple) and came_from[0] == ckpt.name and came_from[1]:
    st.info(f"Started at the code μ of {came_from[1]}.", icon=":material/my_location:")


def _set_all(values: np.ndarray) -> None:
    for key, v in zip(keys, values, strict=True):
        st.session_state[key] = _snap(float(v))
    st.session_state.pop("decoder_from", None)


@st.cache_resource(show_spinner=False, max_entries=8)
def _manifold_picture(key: tuple[str, tuple[int, ...]], _ckpt: Checkpoint) -> np.ndarray:
    """The Figure 4 grid of a 2-D model, tiled once per checkpoint. Shared: never change it."""
    _, imgs = manifold_grid(_ckpt.model, GRID)
    return tile(imgs, nrow=GRID, padding=1)


def nearest_tile(z: np.ndarray) -> tuple[int, int]:
    """(row, col) of the grid tile nearest to z (2,); rows run from high to low z2."""
    vals = grid_values(GRID)
    return GRID - 1 - int(np.abs(vals - z[1]).argmin()), int(np.abs(vals - z[0]).argmin())


@st.cache_resource(show_spinner=False, max_entries=64)
def _marked_png(
    key: tuple[str, tuple[int, ...]], row: int, col: int, _pic: np.ndarray, hw: tuple[int, int]
) -> bytes:
    """PNG of the grid with a red box around tile (row, col); one encoding per position."""
    h, w = hw
    out = _pic.copy()
    y0, x0 = row * (h + 1), col * (w + 1)
    y1, x1 = y0 + h + 1, x0 + w + 1
    red = np.array([220, 20, 60], np.uint8)
    out[y0 : y1 + 1, [x0, x1]] = red
    out[[y0, y1], x0 : x1 + 1] = red
    if h >= 16:  # a thicker box where the tiles are large enough to spare a pixel
        out[y0 + 1 : y1, [x0 + 1, x1 - 1]] = red
        out[[y0 + 1, y1 - 1], x0 + 1 : x1] = red
    scale = max(1, round(560 / out.shape[1]))
    out = out.repeat(scale, 0).repeat(scale, 1)
    buf = io.BytesIO()
    Image.fromarray(out).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


@st.fragment
def server_decoder(ckpt: Checkpoint) -> None:
    """Sliders, the decoded image, the marked manifold grid and traversals, all on the server.

    This fragment is the only part that reruns when a slider moves.
    """
    controls, view = st.columns([1, 1], gap="large")
    with controls:
        st.subheader("Latent code z")
        ncols = 1 if d <= 4 else 2 if d <= 12 else 3
        cols = st.columns(ncols)
        for i, key in enumerate(keys):
            with cols[i % ncols]:
                st.slider(
                    f"z{i + 1}",
                    -SPAN,
                    SPAN,
                    step=STEP,
                    format="%.2f",
                    key=key,
                    persist_state="session",
                    help=f"Latent dimension {i + 1}, in standard deviations of the prior N(0, 1).",
                )
        st.caption("Each slider runs from −3 to +3 prior standard deviations.")
        a, b = st.columns(2)
        a.button(
            "Origin",
            icon=":material/center_focus_strong:",
            on_click=_set_all,
            args=(np.zeros(d),),
            help="Set every dimension to 0, the prior's mean.",
            width="stretch",
        )
        b.button(
            "Random z ~ N(0, I)",
            icon=":material/casino:",
            on_click=lambda: _set_all(np.random.default_rng().standard_normal(d)),
            help="Draw a code from the prior, as when the model generates a new image.",
            width="stretch",
        )
    z = np.array([st.session_state[key] for key in keys], np.float32)
    with view:
        st.subheader("Decoded image")
        show_image(decode(ckpt.model, z[None])[0], target=280)
        shown = ", ".join(f"{v:+.2f}" for v in z[:8]) + (", …" if d > 8 else "")
        st.caption(f"The decoder's mean image at z = ({shown}), enlarged pixel by pixel.")

    h, w = ckpt.config.model.image_shape[1:]
    grid_col, trav_col = st.columns([1, 1], gap="large") if d == 2 else (None, st.container())
    if grid_col is not None:
        with grid_col:
            st.subheader("The learned manifold")
            with st.spinner("Decoding the grid…"):
                pic = _manifold_picture(cache_key(ckpt), ckpt)
            row, col = nearest_tile(z)
            st.image(_marked_png(cache_key(ckpt), row, col, pic, (h, w)), output_format="PNG")
            st.caption(
                f"As in Kingma & Welling's Figure 4: a {GRID}×{GRID} grid of z values spaced "
                "through the inverse Gaussian CDF (5% to 95%), so each tile covers an equal "
                "share of the prior's mass; z1 grows to the right, z2 upwards. The red box marks "
                "the tile nearest the sliders."
            )
    with trav_col:
        st.subheader("Traversals")
        rows = traversals(ckpt.model, z, steps=9, span=SPAN)  # (D, 9, C, H, W)
        labels = [f"z{i + 1}" for i in range(d)]
        show_tiles(rows.reshape(-1, *rows.shape[2:]), nrow=9, target=420, row_labels=labels)
        st.caption(
            "One row per dimension: that dimension runs from −3 (left) to +3 (right) while the "
            "others stay at the sliders. A row that does not change is a dimension the model "
            "does not use."
        )


server_decoder(ckpt)
