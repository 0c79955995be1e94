"""Pictures of images in [0, 1], numpy only: a page can draw stored pictures without torch."""

from __future__ import annotations

import numpy as np


def tile(images: np.ndarray, nrow: int, padding: int = 1, scale: int = 1) -> np.ndarray:
    """(N, C, H, W) in [0, 1] -> one uint8 picture (H', W', 3), laid out as torchvision's make_grid.

    `scale` repeats pixels (nearest neighbour) so small images are visible. numpy only:
    importing torchvision.utils costs seconds (it pulls in torch._dynamo).
    """
    t = np.ascontiguousarray(images, dtype=np.float32)
    if t.shape[1] == 1:
        t = np.broadcast_to(t, (t.shape[0], 3, *t.shape[2:]))
    if len(t) == 1:  # make_grid returns a single image as it is, without padding
        grid = t[0]
    else:
        n, c, h, w = t.shape
        cols = min(max(1, nrow), n)
        rows = -(-n // cols)
        hp, wp = h + padding, w + padding
        grid = np.full((c, hp * rows + padding, wp * cols + padding), 1.0, np.float32)
        for k in range(n):
            y, x = divmod(k, cols)
            grid[:, y * hp + padding : y * hp + hp, x * wp + padding : x * wp + wp] = t[k]
    pic = to_pixels(grid).transpose(1, 2, 0)
    if scale > 1:
        pic = pic.repeat(scale, axis=0).repeat(scale, axis=1)
    return np.ascontiguousarray(pic)


def to_uint8(image: np.ndarray, scale: int = 1) -> np.ndarray:
    """One image (C, H, W) in [0, 1] -> (H*scale, W*scale) or (.., 3) uint8, nearest-neighbour."""
    img = to_pixels(image)
    img = img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)
    return img.repeat(scale, axis=0).repeat(scale, axis=1) if scale > 1 else img


def to_pixels(images: np.ndarray) -> np.ndarray:
    """Values in [0, 1] as the uint8 levels a picture of them shows (clipped, rounded)."""
    return np.round(np.clip(images, 0, 1) * np.float32(255)).astype(np.uint8)


def from_pixels(pixels: np.ndarray) -> np.ndarray:
    """uint8 levels back to float32 in [0, 1]: `to_pixels` of the result gives them again."""
    return pixels.astype(np.float32) / np.float32(255)
