"""Inference for latent-variable models: a Bayesian toy, and the exact posterior of 2-D models.

toy.py        the die example: exact Beta posterior and evidence, Metropolis, variational inference
model.py      the LatentModel protocol, the project's VAE as one, a linear-Gaussian VAE
exact.py      p(z|x) and log p(x) of a 2-D model by adaptive quadrature (modes.py, quadrature.py)
"""

from vae.inference.exact import (
    ExactPosterior,
    Mode,
    NeedsTwoDimensions,
    exact_log_px,
    exact_nll,
    exact_posterior,
    exact_posteriors,
    require_2d,
)
from vae.inference.model import LatentModel, LinearGaussian, VAEModel, as_latent_model

__all__ = [
    "ExactPosterior",
    "LatentModel",
    "LinearGaussian",
    "Mode",
    "NeedsTwoDimensions",
    "VAEModel",
    "as_latent_model",
    "exact_log_px",
    "exact_nll",
    "exact_posterior",
    "exact_posteriors",
    "require_2d",
]
