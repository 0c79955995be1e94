"""Per-dimension figures of a latent space: mean KL of each dimension and active units.

A dimension whose approximate posterior q(z_d|x) equals the prior N(0, 1) for every x
costs no KL and carries no information about x: the decoder learns to ignore it
("posterior collapse"). Burda et al. (2015, Sec. 5.2) call a dimension *active* when
the variance over the data of its posterior mean, Cov_x(E_q[z_d]), exceeds 0.01.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vae.model.inputs import to_input
from vae.model.networks import VAE
from vae.model.objectives import kl_per_dim

ACTIVITY_THRESHOLD = 0.01  # Burda et al. (2015)


@dataclass(frozen=True)
class DimStats:
    """Mean KL (nats) and activity of each latent dimension over a set of images."""

    kl: np.ndarray  # (D,) mean over images of KL(q(z_d|x) || N(0, 1)), in nats
    activity: np.ndarray  # (D,) variance over images of mu_d(x)
    images: int  # how many images the figures average over
    threshold: float = ACTIVITY_THRESHOLD

    @property
    def active(self) -> np.ndarray:
        """(D,) bool: activity above the threshold."""
        return self.activity > self.threshold

    @property
    def active_units(self) -> int:
        """How many dimensions are active."""
        return int(self.active.sum())

    @property
    def total_kl(self) -> float:
        """The KL term of the ELBO, averaged over the images: the sum over dimensions."""
        return float(self.kl.sum())


def summarize(
    mu: torch.Tensor, logvar: torch.Tensor, threshold: float = ACTIVITY_THRESHOLD
) -> DimStats:
    """DimStats from the encoder outputs mu, logvar, each (N, D)."""
    n, d = mu.shape
    if n == 0:
        return DimStats(np.zeros(d), np.zeros(d), 0, threshold)
    kl = kl_per_dim(mu.double(), logvar.double()).mean(0)  # (D,)
    # Unbiased variance, as in vae.model.objectives.active_units; one image has no spread.
    activity = mu.double().var(0) if n > 1 else torch.zeros(d, dtype=torch.float64)
    return DimStats(kl.numpy(), activity.numpy(), n, threshold)


@torch.inference_mode()
def dim_stats(
    model: VAE, images: np.ndarray, batch_size: int = 1000, threshold: float = ACTIVITY_THRESHOLD
) -> DimStats:
    """Encode uint8 images (N, C, H, W) in batches and summarise each latent dimension."""
    device = next(model.parameters()).device
    mus, logvars = [], []
    for start in range(0, len(images), batch_size):
        batch = np.ascontiguousarray(images[start : start + batch_size])
        x = to_input(torch.from_numpy(batch), False)
        mu, logvar = model.encode(x.to(device))
        mus.append(mu.float().cpu())
        logvars.append(logvar.float().cpu())
    d = model.config.latent_dim
    if not mus:
        return summarize(torch.zeros(0, d), torch.zeros(0, d), threshold)
    return summarize(torch.cat(mus), torch.cat(logvars), threshold)


def from_posterior(
    mu: np.ndarray, sigma: np.ndarray, threshold: float = ACTIVITY_THRESHOLD
) -> DimStats:
    """DimStats from already encoded (mu, sigma) arrays, each (N, D), e.g. explore.encode."""
    m = torch.from_numpy(np.asarray(mu, np.float64))
    s = torch.from_numpy(np.asarray(sigma, np.float64)).clamp_min(1e-30)
    return summarize(m, 2.0 * torch.log(s), threshold)


def dim_traversal(
    model: VAE, base: np.ndarray, dim: int, steps: int = 11, span: float = 3.0
) -> np.ndarray:
    """Decode base with dimension `dim` swept from -span to +span. -> (steps, C, H, W) in [0, 1]."""
    from vae.analysis.explore import decode

    d = model.config.latent_dim
    if not 0 <= dim < d:
        raise ValueError(f"dimension {dim} is outside the latent space of size {d}")
    z = np.tile(np.asarray(base, np.float32).reshape(d), (steps, 1))  # (steps, D)
    z[:, dim] = np.linspace(-span, span, steps, dtype=np.float32)
    return decode(model, z)
