"""Pure functions the pages call: encode, decode, grids, traversals, paths, projections.

Everything runs under torch.inference_mode and returns numpy arrays.
"""

from __future__ import annotations

import numpy as np
import torch

from vae.model.inputs import to_input
from vae.model.networks import VAE
from vae.model.objectives import kl_per_dim, reconstruction_nll


def _device(model: VAE) -> torch.device:
    return next(model.parameters()).device


@torch.inference_mode()
def encode(model: VAE, images: np.ndarray, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, C, H, W) -> mu, sigma of q(z|x), each (N, D) float32."""
    mus, sigmas = [], []
    for start in range(0, len(images), batch_size):
        x = to_input(
            torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size])), False
        )
        mu, logvar = model.encode(x.to(_device(model)))
        mus.append(mu.float().cpu())
        sigmas.append(torch.exp(0.5 * logvar).float().cpu())
    d = model.config.latent_dim
    if not mus:
        return np.zeros((0, d), np.float32), np.zeros((0, d), np.float32)
    return torch.cat(mus).numpy(), torch.cat(sigmas).numpy()


@torch.inference_mode()
def decode(model: VAE, z: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Latent points (N, D) -> mean images (N, C, H, W) float32 in [0, 1]."""
    z = np.asarray(z, dtype=np.float32).reshape(-1, model.config.latent_dim)
    outs = [
        model.decode_mean(torch.from_numpy(z[s : s + batch_size]).to(_device(model))).float().cpu()
        for s in range(0, len(z), batch_size)
    ]
    c, h, w = model.config.image_shape
    return torch.cat(outs).numpy() if outs else np.zeros((0, c, h, w), np.float32)


@torch.inference_mode()
def reconstruct(model: VAE, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Decode each input's posterior mean. -> (recons (N, C, H, W) in [0, 1], -ELBO per image (N,)).

    The loss uses z = mu (no sampling) for the reconstruction term, plus the exact KL,
    so it is deterministic for a given image.
    """
    x = to_input(torch.from_numpy(np.ascontiguousarray(images)), False).to(_device(model))
    mu, logvar = model.encode(x)
    logits = model.decode(mu)
    loss = reconstruction_nll(model, logits, x) + kl_per_dim(mu, logvar).sum(1)
    return torch.sigmoid(logits).cpu().numpy(), loss.cpu().numpy()


def grid_values(n: int, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """n latent values from a unit-interval grid through the Gaussian inverse CDF (K&W Fig. 4)."""
    from scipy.special import ndtri  # N(0, 1)'s inverse CDF; imported here, as it takes a while

    return ndtri(np.linspace(low, high, n)).astype(np.float32)


def manifold_grid(
    model: VAE, n: int = 20, dims: tuple[int, int] = (0, 1), base: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The paper's Figure 4: decode an n x n grid of latent points.

    Rows run from high to low values of dims[1] (so 'up' is positive), columns from low to
    high values of dims[0]. Other dimensions are held at `base` (default 0).
    Returns (z (n*n, D), images (n*n, C, H, W)).
    """
    d = model.config.latent_dim
    vals = grid_values(n)
    z = np.tile(
        np.zeros(d, np.float32) if base is None else np.asarray(base, np.float32), (n * n, 1)
    )
    ys, xs = np.meshgrid(vals[::-1], vals, indexing="ij")
    z[:, dims[0]] = xs.ravel()
    if d > 1:
        z[:, dims[1]] = ys.ravel()
    return z, decode(model, z)


def traversals(model: VAE, base: np.ndarray, steps: int = 9, span: float = 3.0) -> np.ndarray:
    """For each dimension, vary it from -span to +span around base. -> (D, steps, C, H, W)."""
    d = model.config.latent_dim
    vals = np.linspace(-span, span, steps, dtype=np.float32)
    z = np.tile(np.asarray(base, np.float32), (d, steps, 1))
    for i in range(d):
        z[i, :, i] = vals
    imgs = decode(model, z.reshape(d * steps, d))
    return imgs.reshape(d, steps, *imgs.shape[1:])


def lerp(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """Straight line from a to b, inclusive. (steps, D)."""
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * np.asarray(a, np.float32) + t * np.asarray(b, np.float32)


def slerp(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    """Spherical interpolation (Shoemake 1985; White 2016 for generative models). (steps, D).

    Keeps the norm near that of typical prior samples, where a straight line through the
    origin would pass through the low-norm region that N(0, I) rarely visits in high D.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na < 1e-8 or nb < 1e-8:
        return lerp(a, b, steps)
    omega = np.arccos(np.clip(np.dot(a / na, b / nb), -1.0, 1.0))
    if omega < 1e-6 or np.pi - omega < 1e-6:  # parallel or opposite: no unique great circle
        return lerp(a, b, steps)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    out = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return out.astype(np.float32)


def pca(x: np.ndarray, components: int = 2) -> np.ndarray:
    """Project (N, D) onto its first principal components. (N, components)."""
    from sklearn.decomposition import PCA

    if x.shape[1] <= components:
        return np.asarray(x, np.float32)
    return PCA(n_components=components, random_state=0).fit_transform(x).astype(np.float32)


def tsne(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """2-D t-SNE embedding of (N, D) (van der Maaten & Hinton 2008), PCA-initialised. (N, 2)."""
    from sklearn.manifold import TSNE

    perplexity = float(min(30.0, max(2.0, (len(x) - 1) / 3)))
    emb = TSNE(n_components=2, init="pca", perplexity=perplexity, random_state=seed)
    return emb.fit_transform(np.asarray(x, np.float32)).astype(np.float32)
