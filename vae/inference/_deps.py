"""The project modules the inference code builds on, imported in one place."""

from __future__ import annotations

from vae.model.networks import VAE
from vae.model.objectives import log_normal, reconstruction_nll

__all__ = ["VAE", "log_normal", "reconstruction_nll"]
