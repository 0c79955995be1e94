"""What the Inference page shows, from uint8 images: the inference core's results for one image.

The page hands over pictures as the data sets hold them (uint8 (C, H, W)); this module turns
them into the model's inputs (grey levels in [0, 1], as `vae.analysis.explore` does) and calls
`vae.inference`. Nothing here is cached: the page caches per checkpoint and image.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

from vae.errors import VAEError
from vae.inference import (
    ChainResult,
    ExactPosterior,
    Gaps,
    Ledger,
    PosteriorView,
    VAEModel,
    gaps,
    ledger,
    mala,
    posterior_view,
)
from vae.model.inputs import to_input
from vae.model.networks import VAE


class NotAutogradModel(VAEError, TypeError):
    """The model cannot be differentiated (an imported one): SVI and MALA need gradients."""


def latent_model(model: object) -> VAEModel:
    """The project's VAE as the inference core's model; NotAutogradModel for anything else."""
    if not isinstance(model, VAE):
        raise NotAutogradModel(
            "inference needs the model's gradients (SVI and MALA follow them), and this model "
            "is not a PyTorch VAE; choose a checkpoint trained here"
        )
    return VAEModel(model)


def as_input(pixels: np.ndarray) -> torch.Tensor:
    """One uint8 image (C, H, W) -> the float tensor the model reads (C, H, W) in [0, 1]."""
    return to_input(torch.from_numpy(np.ascontiguousarray(pixels))[None], False)[0]


def image_id(pixels: np.ndarray) -> str:
    """A short content hash of an image, to key caches of uploads."""
    return hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()[:16]


def image_ledger(model: VAEModel, pixels: np.ndarray, svi_steps: int = 300) -> Ledger:
    """log p(x) (exact in 2-D, else the K = 5000 IWAE bound), both ELBOs and gaps, SVI's path."""
    return ledger(model, as_input(pixels), svi_steps=svi_steps)


def image_view(model: VAEModel, pixels: np.ndarray, post: ExactPosterior) -> PosteriorView:
    """The exact posterior's heat map (2-D models) over a window holding every mode."""
    return posterior_view(model, as_input(pixels), post, n=80)


def image_chain(model: VAEModel, pixels: np.ndarray, samples: int = 2000) -> ChainResult:
    """2,000 MALA samples of p(z|x), chains started at the encoder's mean."""
    return mala(model, as_input(pixels), samples=samples)


def many_gaps(model: VAEModel, images: np.ndarray, top: int = 10) -> Gaps:
    """Both gaps over uint8 images (N, C, H, W) of a 2-D model (NeedsTwoDimensions otherwise)."""
    xs = to_input(torch.from_numpy(np.ascontiguousarray(images)), False)
    return gaps(model, xs, top=top)


def kl_dims(mu: np.ndarray, logvar: np.ndarray) -> tuple[int, int]:
    """The two dimensions where q(z|x) is furthest from the prior (KL per dimension), in order."""
    kl = 0.5 * (mu**2 + np.exp(logvar) - 1.0 - logvar)  # (D,)
    a, b = sorted(int(i) for i in np.argsort(-kl)[:2])
    return a, b


def share_below(value: float, values: np.ndarray) -> float:
    """The fraction of `values` below `value` (0 to 1): where one image stands in a set."""
    return float((np.asarray(values) < value).mean()) if len(values) else float("nan")
