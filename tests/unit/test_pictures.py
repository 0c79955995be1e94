"""vae.analysis.pictures: tiles laid out as torchvision's make_grid, images as uint8."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vae.analysis import pictures


def test_tile_shapes_padding_and_scale():
    images = np.zeros((6, 1, 8, 8), np.float32)
    pic = pictures.tile(images, nrow=3, padding=1)
    assert pic.shape == (2 * 9 + 1, 3 * 9 + 1, 3) and pic.dtype == np.uint8
    assert pic[0, 0, 0] == 255 and pic[1:9, 1:9].max() == 0  # white border, black image
    assert pictures.tile(images, nrow=3, padding=1, scale=2).shape == (38, 56, 3)
    rgb = np.ones((4, 3, 5, 4), np.float32)
    assert pictures.tile(rgb, nrow=4, padding=0).shape == (5, 16, 3)
    assert pictures.tile(images[:2], nrow=0).shape == (19, 10, 3)  # at least one per row


def test_to_uint8_for_grey_and_colour():
    grey = pictures.to_uint8(np.full((1, 4, 3), 0.5, np.float32), scale=2)
    assert grey.shape == (8, 6) and grey.dtype == np.uint8 and np.all(grey == 128)
    colour = pictures.to_uint8(np.stack([np.zeros((2, 2)), np.ones((2, 2)), np.full((2, 2), 2.0)]))
    assert colour.shape == (2, 2, 3) and colour[0, 0].tolist() == [0, 255, 255]


@pytest.mark.parametrize("n, nrow, padding, channels", [(1, 8, 1, 1), (5, 2, 1, 1), (7, 3, 2, 3)])
def test_tile_matches_torchvision_make_grid(n, nrow, padding, channels):
    from torchvision.utils import make_grid

    images = np.random.default_rng(n).uniform(-0.2, 1.2, size=(n, channels, 6, 5))
    images = images.astype(np.float32)
    t = torch.from_numpy(images)
    if channels == 1:
        t = t.expand(-1, 3, -1, -1)
    grid = make_grid(t, nrow=nrow, padding=padding, pad_value=1.0)
    want = (grid.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
    assert np.array_equal(pictures.tile(images, nrow, padding), want)
