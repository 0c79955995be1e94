"""Objectives in nats per image: the ELBO's two terms, KL per dimension, the IWAE bound."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from vae.model.networks import VAE

LOG_2PI = math.log(2 * math.pi)


def reconstruction_nll(model: VAE, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) per image, summed over pixels. logits, x: (B, C, H, W) -> (B,)."""
    if model.config.likelihood == "bernoulli":
        nll = F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    else:
        mean = torch.sigmoid(logits)
        log_scale = model.pixel_log_scale()
        nll = 0.5 * ((x - mean) / log_scale.exp()) ** 2 + log_scale + 0.5 * LOG_2PI
    return nll.flatten(1).sum(1)


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per latent dimension, closed form (K&W Appendix B). (B, D)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def elbo_terms(
    model: VAE, x: torch.Tensor, beta: float = 1.0, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One-sample estimate: (loss, recon, kl), each (B,); loss = recon + beta * kl.

    The sample's noise comes from `generator` when given, else from torch's global one.
    """
    mu, logvar = model.encode(x)
    logits = model.decode(model.reparameterize(mu, logvar, generator))
    recon = reconstruction_nll(model, logits, x)
    kl = kl_per_dim(mu, logvar).sum(1)
    return recon + beta * kl, recon, kl


def log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag(exp(logvar))) summed over the last axis."""
    return -0.5 * (LOG_2PI + logvar + (z - mu).pow(2) / logvar.exp()).sum(-1)


def iwae_bound(
    model: VAE,
    x: torch.Tensor,
    k: int,
    chunk: int = 256,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Importance-weighted bound log p(x) >= log (1/K) sum_k w_k (Burda et al. 2015). (B,).

    With K = 1 this is the ELBO; it tightens as K grows. Evaluated in chunks of samples
    with log-sum-exp for stability; the noise from `generator` (else torch's global one).
    """
    if k < 1:
        raise ValueError(f"the number of importance samples must be at least 1, got {k}")
    mu, logvar = model.encode(x)  # (B, D)
    log_ws: list[torch.Tensor] = []
    done = 0
    while done < k:
        n = min(chunk, k - done)
        eps = torch.randn(
            (n, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype
        )  # (n, B, D)
        z = mu + torch.exp(0.5 * logvar) * eps
        logits = model.decode(z.flatten(0, 1))  # (n*B, C, H, W)
        xs = x.unsqueeze(0).expand(n, *x.shape).flatten(0, 1)
        log_px = -reconstruction_nll(model, logits, xs).view(n, -1)  # (n, B)
        log_pz = log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
        log_qz = log_normal(z, mu, logvar)
        log_ws.append(log_px + log_pz - log_qz)
        done += n
    log_w = torch.cat(log_ws, 0)  # (K, B)
    return torch.logsumexp(log_w, 0) - math.log(k)


def active_units(mu: torch.Tensor, threshold: float = 0.01) -> int:
    """Dimensions whose Cov_x(E_q[z_d]) exceeds the threshold (Burda et al. 2015). mu: (N, D)."""
    if mu.shape[0] < 2:
        return 0
    return int((mu.var(0) > threshold).sum().item())
