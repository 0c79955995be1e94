"""The Decoder page's pictures, each decoded and encoded once per checkpoint and point.

- `show_manifold(ckpt, z)`: Kingma & Welling's Figure 4 grid with the point's tile marked
  (2-D models).
- `show_traversals(ckpt, z, labels)`: one row per dimension, that dimension from -SPAN to
  +SPAN while the others stay at z.

A rerun that leaves the point where it was (a later visit, a click on a KL bar, a toggle)
shows the stored PNG instead of decoding and encoding the picture again. The caches are
keyed on the checkpoint (ui.selection.cache_key) and the point's exact bytes, so a picture
is never shown for another model or another point.
"""

from __future__ import annotations

import io

import numpy as np
import streamlit as st
from PIL import Image

from ui.decoder_parts import SPAN
from ui.i18n import _
from ui.images import tiled
from ui.selection import cache_key
from vae import Checkpoint
from vae.analysis.explore import grid_values, manifold_grid, traversals
from vae.analysis.pictures import tile

GRID = 20  # the paper's Figure 4 decodes a 20 x 20 grid
STEPS = 9  # images per traversal row
TRAVERSAL_PX = 420  # the traversal picture's width, about


def png(pic: np.ndarray, compress_level: int = 6) -> bytes:
    """uint8 (H, W, 3) as PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(pic).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


@st.cache_resource(show_spinner=False, max_entries=8)
def _manifold_picture(key: tuple[str, tuple[int, ...]], _ckpt: Checkpoint) -> np.ndarray:
    """The Figure 4 grid of a 2-D model, tiled once per checkpoint. Shared: never change it."""
    imgs = manifold_grid(_ckpt.model, GRID)[1]
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
    return png(out.repeat(scale, 0).repeat(scale, 1), compress_level=1)


def show_manifold(ckpt: Checkpoint, z: np.ndarray) -> None:
    """The Figure 4 grid of a 2-D model with a red box on the tile nearest z."""
    h, w = ckpt.config.model.image_shape[1:]
    key = cache_key(ckpt)
    with st.spinner(_("Decoding the grid…")):
        pic = _manifold_picture(key, ckpt)
    row, col = nearest_tile(z)
    st.image(_marked_png(key, row, col, pic, (h, w)), output_format="PNG")


@st.cache_resource(show_spinner=False, max_entries=32)
def _traversal_png(
    key: tuple[str, tuple[int, ...]], z: bytes, labels: tuple[str, ...], _ckpt: Checkpoint
) -> tuple[bytes, int]:
    """(PNG, width in px) of the traversals around the float32 point `z`, labelled per row."""
    base = np.frombuffer(z, dtype=np.float32)
    rows = traversals(_ckpt.model, base, steps=STEPS, span=SPAN)  # (D, STEPS, C, H, W)
    pic = tiled(rows.reshape(-1, *rows.shape[2:]), STEPS, TRAVERSAL_PX, list(labels))
    return png(pic), pic.shape[1]


def show_traversals(ckpt: Checkpoint, z: np.ndarray, labels: list[str]) -> None:
    """One row per latent dimension around z (D,), labelled `labels` (one per row)."""
    point = np.ascontiguousarray(z, dtype=np.float32).tobytes()
    picture, width = _traversal_png(cache_key(ckpt), point, tuple(labels), ckpt)
    st.image(picture, width=width, output_format="PNG")
