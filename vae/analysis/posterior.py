"""The encoder's distributions made visible: q(z|x) samples and the aggregate posterior q(z).

The encoder of a VAE maps an image x to a diagonal Gaussian q(z|x) = N(mu(x), diag sigma(x)^2)
(Kingma & Welling 2013, section 3; appendix C.2). Averaging it over the data gives the
aggregate posterior q(z) = (1/N) sum_n q(z|x_n), the distribution of codes the decoder is
trained on. Where the prior N(0, I) has mass but q(z) is thin, the decoder has seen few
codes, so samples from the prior that land there decode badly: the "holes".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from vae.analysis.explore import decode, encode
from vae.model.networks import VAE

_LOG_2PI = math.log(2 * math.pi)
_CHUNK = 2_000_000  # points x mixture components evaluated at once (~16 MB float64)


def _check(mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = np.asarray(mu, np.float64)  # (N, K)
    s = np.asarray(sigma, np.float64)  # (N, K)
    if m.ndim != 2 or s.shape != m.shape or len(m) == 0:
        raise ValueError(f"mu and sigma must be equal (N, K) arrays with N > 0, got {m.shape}")
    if not (s > 0).all():
        raise ValueError("sigma must be positive")
    return m, s


def log_aggregate_posterior(mu: np.ndarray, sigma: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log q(z) = log mean_n N(z; mu_n, diag sigma_n^2) at each point of z.

    mu, sigma: (N, K) posterior means and standard deviations (any K of the latent
    dimensions: the marginal of a diagonal mixture on those dimensions); z: (M, K).
    Returns (M,) float64. The squared distances come from matrix products and the sum
    from a log-sum-exp, in chunks, so far-out points give a very negative number, not log 0.
    """
    m, s = _check(mu, sigma)
    pts = np.asarray(z, np.float64).reshape(-1, m.shape[1])  # (M, K)
    w = 1.0 / s**2  # (N, K)
    const = -np.log(s).sum(1) - 0.5 * m.shape[1] * _LOG_2PI - 0.5 * (m**2 * w).sum(1)  # (N,)
    step = max(1, _CHUNK // len(m))
    out = np.empty(len(pts), np.float64)
    for a in range(0, len(pts), step):
        p = pts[a : a + step]  # (c, K)
        # -0.5 * sum_k (p_k - m_k)^2 w_k, expanded: the p^2 and p*m terms are products.
        log_terms = const + p @ (m * w).T - 0.5 * (p**2) @ w.T  # (c, N)
        top = log_terms.max(1, keepdims=True)
        out[a : a + step] = top[:, 0] + np.log(np.exp(log_terms - top).sum(1))
    return out - math.log(len(m))


def density_grid(
    extent: tuple[float, float, float, float], n: int = 120
) -> tuple[np.ndarray, np.ndarray]:
    """n x n grid centres over extent (x0, x1, y0, y1). -> (xs (n,), ys (n,))."""
    x0, x1, y0, y1 = (float(v) for v in extent)
    if not (x0 < x1 and y0 < y1) or n < 2:
        raise ValueError(f"need x0 < x1, y0 < y1 and n >= 2, got {extent}, n={n}")
    return np.linspace(x0, x1, n), np.linspace(y0, y1, n)


def aggregate_posterior_density(
    mu: np.ndarray, sigma: np.ndarray, xs: np.ndarray, ys: np.ndarray
) -> np.ndarray:
    """q(z) on the grid xs x ys of two latent dimensions. -> (len(ys), len(xs)) float64.

    mu, sigma: (N, 2), the posterior of every image on those two dimensions. Row i, column j
    holds q at (xs[j], ys[i]), the layout of a plotly heatmap. Each q(z|x_n) is diagonal, so
    it factorises into a Gaussian along x times one along y, and the mean over n of their
    products on the grid is one matrix product: (1/N) B^T A with A (N, nx), B (N, ny).
    """
    m, s = _check(mu, sigma)
    if m.shape[1] != 2:
        raise ValueError(f"need two latent dimensions, got {m.shape[1]}")

    def gauss(grid: np.ndarray, k: int) -> np.ndarray:  # (N, len(grid))
        u = (np.asarray(grid, np.float64)[None, :] - m[:, k : k + 1]) / s[:, k : k + 1]
        return np.exp(-0.5 * u**2) / (s[:, k : k + 1] * math.sqrt(2 * math.pi))

    return gauss(ys, 1).T @ gauss(xs, 0) / len(m)


def log_prior(z: np.ndarray) -> np.ndarray:
    """log N(z; 0, I) for each row of z (M, K). -> (M,)."""
    pts = np.asarray(z, np.float64)
    return -0.5 * (pts**2).sum(1) - 0.5 * pts.shape[1] * _LOG_2PI


def prior_hole_fraction(
    mu: np.ndarray, sigma: np.ndarray, n: int = 2000, ratio: float = 0.1, seed: int = 0
) -> float:
    """The share of n draws from N(0, I) that land where q(z) < ratio * p(z).

    A Monte Carlo estimate of how often sampling from the prior asks the decoder about a
    region its training codes rarely visited. mu, sigma: (N, K).
    """
    z = np.random.default_rng(seed).standard_normal((n, np.asarray(mu).shape[1]))
    thin = log_aggregate_posterior(mu, sigma, z) < log_prior(z) + math.log(ratio)
    return float(thin.mean())


def prior_mass_in_holes(q: np.ndarray, xs: np.ndarray, ys: np.ndarray, ratio: float = 0.1) -> float:
    """The share of the prior's mass (on the grid) where q(z) < ratio * p(z).

    q: (len(ys), len(xs)) from aggregate_posterior_density on an evenly spaced grid that
    should hold most of N(0, I) (e.g. [-3, 3] on each axis or more). Deterministic, and
    the same number prior_hole_fraction estimates by sampling.
    """
    gx, gy = np.meshgrid(np.asarray(xs, np.float64), np.asarray(ys, np.float64))
    p = np.exp(-0.5 * (gx**2 + gy**2)) / (2 * math.pi)  # (len(ys), len(xs))
    return float(p[q < ratio * p].sum() / p.sum())


@dataclass(frozen=True)
class PosteriorSamples:
    """Draws z = mu + sigma * eps from q(z|x) for one image, and what they decode to."""

    mu: np.ndarray  # (D,)
    sigma: np.ndarray  # (D,)
    z: np.ndarray  # (n, D)
    images: np.ndarray  # (n, C, H, W) float32 in [0, 1]: the decoder's mean at each z
    mean_image: np.ndarray  # (C, H, W): the decoder's mean at z = mu


def posterior_samples(
    model: VAE, image: np.ndarray, n: int = 16, seed: int = 0
) -> PosteriorSamples:
    """Encode one uint8 image (C, H, W), draw n codes from q(z|x) and decode each.

    The reparameterisation z = mu + sigma * eps, eps ~ N(0, I) (Kingma & Welling 2013, eq. 10)
    with a fixed seed, so the same seed gives the same draws.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    mu, sigma = encode(model, np.asarray(image, np.uint8)[None])  # (1, D) each
    gen = torch.Generator().manual_seed(int(seed))
    eps = torch.randn(n, mu.shape[1], generator=gen, dtype=torch.float64).numpy()  # (n, D)
    z = (mu + sigma * eps).astype(np.float32)
    images = decode(model, np.concatenate([mu, z]))
    return PosteriorSamples(mu[0], sigma[0], z, images[1:], images[0])
