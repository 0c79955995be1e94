"""What the model eats: uint8 images turned into floats in [0, 1] (training, analysis, figures)."""

from __future__ import annotations

import torch


def to_input(
    x_uint8: torch.Tensor, binarize: bool, generator: torch.Generator | None = None
) -> torch.Tensor:
    """uint8 (B, C, H, W) -> float in [0, 1]; binarised by Bernoulli draws if asked."""
    x = x_uint8.float().div_(255.0)
    if binarize:
        x = torch.bernoulli(x, generator=generator)
    return x
