"""MCMC on the true posterior p(z|x) with autograd: preconditioned MALA, adapted in warm-up.

MALA rather than HMC: one gradient per proposal (HMC needs one per leapfrog step, ~10), so
2,000 samples of a 1024-512 decoder take about a second, and in 2-D the longer HMC moves
buy little. The proposal is preconditioned by the encoder's variances (posterior sds differ
100-fold between images; in the encoder's units one step size suits them all), and several
chains run side by side in one batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from vae.errors import Message
from vae.inference._deps import VAE
from vae.inference.model import LatentModel, as_latent_model, log_joint, log_prior

TARGET_ACCEPT = 0.574  # optimal for MALA (Roberts & Rosenthal 1998)
BLOW_UP = 1000.0  # nats: a proposal this far below the current point is a divergence


@dataclass(frozen=True)
class ChainResult:
    """Samples of p(z|x) and how the chains went."""

    samples: np.ndarray  # (n, D) after warm-up, all chains
    path: np.ndarray  # (warmup + n / chains + 1, D) chain 0 from its start
    acceptance_rate: float  # after warm-up
    step_size: float  # in units of the encoder's sd
    divergences: int  # non-finite or blown-up proposals after warm-up
    status: str  # "ok" or "diverged"
    message: Message  # str(): the English


def _value_grad(
    lm: LatentModel, xs: torch.Tensor, z: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    own = getattr(lm, "value_and_grad", None)
    found = own(xs, z) if own is not None else None
    if found is not None:  # the model's own backward pass (a ReLU decoder): no graph
        v, g = found
        return v + log_prior(z), g - z
    z = z.detach().requires_grad_(True)
    with torch.enable_grad():
        v = log_joint(lm, xs, z[:, None, :])[:, 0]  # (C,)
        (g,) = torch.autograd.grad(v.sum(), z)
    return v.detach(), g.detach()


def mala(
    model: VAE | LatentModel,
    x: torch.Tensor,
    samples: int = 2000,
    warmup: int = 250,
    chains: int = 4,
    step_size: float = 0.5,
    adapt: bool = True,
    seed: int = 0,
) -> ChainResult:
    """Metropolis-adjusted Langevin (Roberts & Tweedie 1996) for one image x (...).

    Proposal z' = z + (e^2 / 2) M grad log p(x, z) + e M^(1/2) xi with M = diag(encoder
    variance); accepted with the Metropolis-Hastings ratio, so the chain targets p(z|x)
    exactly. All chains start at the encoder's mean. During warm-up log e follows the
    Robbins-Monro rule towards the acceptance rate 0.574. A proposal whose log density or
    gradient is not finite, or that lies more than 1,000 nats below the current point, is
    rejected and counted as a divergence; more than 1% of them after warm-up, or a chain
    that ends off the finite numbers, gives status "diverged".
    """
    lm = as_latent_model(model)
    mu, logvar = (t.to(lm.dtype) for t in lm.encode(x[None]))
    sd = torch.exp(0.5 * logvar[0])  # (D,)
    per_chain = math.ceil(samples / chains)
    xs = x[None].expand(chains, *x.shape)
    gen = torch.Generator().manual_seed(seed)
    z = mu.expand(chains, -1).clone()  # (C, D)
    v, g = _value_grad(lm, xs, z)
    log_e = math.log(step_size)
    kept, path, accepted, divergent = [], [z[0].clone()], 0, 0
    for t in range(warmup + per_chain):
        e = math.exp(log_e)
        noise = torch.randn(z.shape, generator=gen, dtype=torch.float64).to(lm.dtype)
        prop = z + 0.5 * e**2 * sd**2 * g + e * sd * noise
        vp, gp = _value_grad(lm, xs, prop)
        fwd = -((prop - z - 0.5 * e**2 * sd**2 * g) / sd).pow(2).sum(1) / (2 * e**2)
        bwd = -((z - prop - 0.5 * e**2 * sd**2 * gp) / sd).pow(2).sum(1) / (2 * e**2)
        log_ratio = vp - v + bwd - fwd
        bad = ~torch.isfinite(vp) | ~torch.isfinite(gp).all(1) | (vp < v - BLOW_UP)
        log_ratio = torch.where(bad, torch.full_like(log_ratio, -math.inf), log_ratio)
        u = torch.rand(chains, generator=gen, dtype=torch.float64).to(lm.dtype)
        acc = torch.log(u) < log_ratio
        z, v, g = (
            torch.where(acc[:, None], prop, z),
            torch.where(acc, vp, v),
            torch.where(acc[:, None], gp, g),
        )
        rate = float(torch.exp(torch.clamp(log_ratio, max=0.0)).mean())
        if t < warmup:
            if adapt:
                log_e += (rate - TARGET_ACCEPT) / (t + 1) ** 0.6
        else:
            kept.append(z.clone())
            accepted += int(acc.sum())
            divergent += int(bad.sum())
        path.append(z[0].clone())
    out = torch.stack(kept).transpose(0, 1).reshape(-1, z.shape[1])[:samples]  # chain by chain
    n = max(1, len(kept) * chains)
    finite = bool(torch.isfinite(z).all() and torch.isfinite(v).all())
    diverged = divergent > 0.01 * n or not finite
    message = (
        Message(
            "the chain diverged: {divergent} of {n} proposals after warm-up had a log density "
            "that was not finite or fell by more than {blow_up:.0f} nats; try a smaller step size",
            divergent=divergent,
            n=n,
            blow_up=BLOW_UP,
        )
        if diverged
        else Message(
            "{n} transitions, acceptance {rate:.2f}, {divergent} divergent",
            n=n,
            rate=accepted / n,
            divergent=divergent,
        )
    )
    return ChainResult(
        samples=out.double().numpy(),
        path=torch.stack(path).double().numpy(),
        acceptance_rate=accepted / n,
        step_size=math.exp(log_e),
        divergences=divergent,
        status="diverged" if diverged else "ok",
        message=message,
    )
