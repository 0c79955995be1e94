"""Approximate posteriors for one image: the ELBO of a diagonal Gaussian, SVI's q*, the IWAE curve.

q*(z|x) is the best member of the encoder's own family (diagonal Gaussians) for one image, so
ELBO(q*) - ELBO(encoder) is the amortisation gap and log p(x) - ELBO(q*) the approximation gap
(Cremer, Li & Duvenaud 2018, "Inference Suboptimality in Variational Autoencoders").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vae.inference._deps import VAE
from vae.inference.model import LOG_2PI, LatentModel, as_latent_model, log_joint, log_prior

GH_NODES = 16  # Gauss-Hermite nodes per axis for 2-D ELBOs
CRN_SAMPLES = 5000  # fixed normal draws for ELBOs above 2-D (and the IWAE curve)
IWAE_KS = (1, 5, 10, 50, 100, 500, 1000, 5000)  # each divides the next: the curve cannot fall


def _gauss_hermite(d: int, n: int, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Product Gauss-Hermite rule for N(0, I_d): nodes (n^d, d), weights (n^d,) summing to 1."""
    u, w = np.polynomial.hermite_e.hermegauss(n)
    grids = np.meshgrid(*([u] * d), indexing="ij")
    weights = np.prod(np.meshgrid(*([w / w.sum()] * d), indexing="ij"), axis=0)
    nodes = np.stack([g.ravel() for g in grids], 1)
    return torch.as_tensor(nodes, dtype=dtype), torch.as_tensor(weights.ravel(), dtype=dtype)


def _fixed_normals(d: int, n: int, dtype: torch.dtype, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=gen, dtype=torch.float64).to(dtype)  # (n, d)


def entropy(logvar: torch.Tensor) -> torch.Tensor:
    """Entropy of N(mu, diag exp(logvar)). (B, D) -> (B,)."""
    return 0.5 * (logvar + 1.0 + LOG_2PI).sum(-1)


@torch.no_grad()
def elbo_estimate(
    model: VAE | LatentModel, xs: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> np.ndarray:
    """A low-variance, deterministic ELBO of q = N(mu, diag exp(logvar)) per image. (B,).

    ELBO = E_q[log p(x, z)] + H(q). For 2-D models E_q is a 16 x 16 Gauss-Hermite rule on q
    itself (the posterior's quadrature nodes sit where p is, not where q is); above 2-D the
    mean over 5,000 fixed normal draws (common random numbers), so two q's of one image are
    compared on the same noise. xs (B, ...), mu and logvar (B, D).
    """
    lm = as_latent_model(model)
    d = lm.latent_dim
    mu, logvar = mu.to(lm.dtype), logvar.to(lm.dtype)
    if d == 2:
        u, w = _gauss_hermite(2, GH_NODES, lm.dtype)
    else:
        u = _fixed_normals(d, CRN_SAMPLES, lm.dtype)
        w = torch.full((len(u),), 1.0 / len(u), dtype=lm.dtype)
    out = []
    for s in range(0, len(u), 1024):
        z = mu[:, None, :] + torch.exp(0.5 * logvar)[:, None, :] * u[s : s + 1024]  # (B, n, D)
        out.append(log_joint(lm, xs, z) @ w[s : s + 1024])
    return (sum(out) + entropy(logvar)).double().cpu().numpy()


@dataclass(frozen=True)
class SVIResult:
    """The SVI path for one image and the q* kept."""

    mu: np.ndarray  # (T+1, D) after each step; row 0 is the encoder's answer
    logvar: np.ndarray  # (T+1, D)
    elbo_path: np.ndarray  # (T+1,) the noisy per-step estimate the optimiser saw
    best_mu: np.ndarray  # (D,) q*
    best_logvar: np.ndarray  # (D,)
    best_step: int  # which row of the path q* is (0: the encoder itself)
    elbo: float  # ELBO(q*) by elbo_estimate
    elbo_encoder: float  # ELBO(encoder) by the same estimator, so elbo >= elbo_encoder


def _elbo_and_grads(
    lm: LatentModel,
    xs: torch.Tensor,
    enc: tuple[torch.Tensor, torch.Tensor],
    a: torch.Tensor,
    b: torch.Tensor,
    eps: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The S-sample ELBO (B,) at mu = mu_e + sd_e a, log sd = log sd_e + b, and its gradients
    in a and b (B, D): by the model's value_and_grad where it has one, else autograd."""
    mu_e, lv_e = enc
    sd_e = torch.exp(0.5 * lv_e)
    n, s, d = eps.shape
    own = getattr(lm, "value_and_grad", None)
    if own is not None:
        lv = lv_e + 2 * b
        sd = torch.exp(0.5 * lv)
        z = (mu_e + sd_e * a)[:, None, :] + sd[:, None, :] * eps  # (B, S, D)
        xz = xs[:, None].expand(n, s, *xs.shape[1:]).reshape(n * s, *xs.shape[1:])
        found = own(xz, z.reshape(n * s, d))
        if found is not None:
            v, g = found
            g = g.view(n, s, d).to(z.dtype) - z  # d log p(x, z) / dz
            elbo = (v.view(n, s).to(z.dtype) + log_prior(z)).mean(1) + entropy(lv)
            return elbo, sd_e * g.mean(1), (g * eps).mean(1) * sd + 1.0
    a, b = a.detach().requires_grad_(True), b.detach().requires_grad_(True)
    with torch.enable_grad():
        lv = lv_e + 2 * b
        z = (mu_e + sd_e * a)[:, None, :] + torch.exp(0.5 * lv)[:, None, :] * eps
        elbo = log_joint(lm, xs, z).mean(1) + entropy(lv)  # (B,)
        ga, gb = torch.autograd.grad(elbo.sum(), [a, b])
    return elbo.detach(), ga, gb


def _svi_batch(
    lm: LatentModel, xs: torch.Tensor, steps: int, samples: int, lr: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Adam on the reparameterised ELBO (K&W 2013, eq. 7): mu, logvar (T+1, B, D), ELBO (T+1, B).

    Parameters are in the encoder's units: mu = mu_e + sigma_e a, log sigma = log sigma_e + b,
    so one learning rate suits a posterior of sd 0.01 and one of sd 1 alike. Adam (Kingma &
    Ba 2015, torch.optim.Adam's defaults) is written out: two small tensors need no optimiser.
    """
    mu_e, lv_e = (t.to(lm.dtype) for t in lm.encode(xs))  # (B, D)
    sd_e = torch.exp(0.5 * lv_e)
    params = [torch.zeros_like(mu_e), torch.zeros_like(mu_e)]  # a, b
    moments = [torch.zeros_like(mu_e) for _ in range(4)]  # first and second, of a and of b
    gen = torch.Generator().manual_seed(seed)
    mus, lvs, elbos = [mu_e.clone()], [lv_e.clone()], []
    beta1, beta2, tiny = 0.9, 0.999, 1e-8
    for t in range(1, steps + 2):
        eps = torch.randn(
            (*mu_e.shape[:1], samples, mu_e.shape[1]), generator=gen, dtype=torch.float64
        )
        elbo, ga, gb = _elbo_and_grads(lm, xs, (mu_e, lv_e), params[0], params[1], eps.to(lm.dtype))
        elbos.append(elbo)
        if t > steps:
            break
        for p, g, m1, m2 in zip(params, (-ga, -gb), moments[::2], moments[1::2], strict=True):
            m1.lerp_(g, 1 - beta1)
            m2.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = (m2.sqrt() / (1 - beta2**t) ** 0.5).add_(tiny)
            p.addcdiv_(m1, denom, value=-lr / (1 - beta1**t))
        mus.append(mu_e + sd_e * params[0])
        lvs.append(lv_e + 2 * params[1])
    return torch.stack(mus), torch.stack(lvs), torch.stack(elbos)


def fit_q(
    model: VAE | LatentModel,
    x: torch.Tensor,
    steps: int = 300,
    samples: int = 8,
    lr: float = 0.05,
    seed: int = 0,
    candidates: int = 12,
) -> SVIResult:
    """q*(z|x) for one image x (...) by stochastic VI from the encoder's answer.

    The path is kept for a scrubber. q* is the best, by elbo_estimate, of the encoder's answer
    and `candidates` evenly spaced points of the path (the last included), so ELBO(q*) is never
    reported below ELBO(encoder), however noisy the steps were.
    """
    lm = as_latent_model(model)
    mus, lvs, path = _svi_batch(lm, x[None], steps, samples, lr, seed)
    rows = sorted({0, steps, *np.linspace(0, steps, candidates + 1).round().astype(int).tolist()})
    idx = torch.as_tensor(rows)
    scores = elbo_estimate(lm, x[None].expand(len(rows), *x.shape), mus[idx, 0], lvs[idx, 0])
    best = int(np.argmax(scores))
    return SVIResult(
        mu=mus[:, 0].double().numpy(),
        logvar=lvs[:, 0].double().numpy(),
        elbo_path=path[:, 0].double().numpy(),
        best_mu=mus[rows[best], 0].double().numpy(),
        best_logvar=lvs[rows[best], 0].double().numpy(),
        best_step=rows[best],
        elbo=float(scores[best]),
        elbo_encoder=float(scores[0]),
    )


def fit_q_batch(
    model: VAE | LatentModel,
    xs: torch.Tensor,
    steps: int = 100,
    samples: int = 4,
    lr: float = 0.1,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """ELBO(q*) and ELBO(encoder) for many images at once, a cheaper SVI. xs (B, ...) -> (B,), (B,).

    All images step together (one decoder call per step); q* is the better of the last iterate
    and the mean of the last quarter of iterates (Polyak averaging), and never below the encoder.
    """
    lm = as_latent_model(model)
    mus, lvs, _ = _svi_batch(lm, xs, steps, samples, lr, seed)
    tail = max(1, steps // 4)
    cands = [(mus[0], lvs[0]), (mus[-1], lvs[-1]), (mus[-tail:].mean(0), lvs[-tail:].mean(0))]
    scores = np.stack([elbo_estimate(lm, xs, m, v) for m, v in cands])  # (3, B)
    return scores.max(0), scores[0]


@dataclass(frozen=True)
class IWAECurve:
    """The importance-weighted bound for growing K from one set of log-weights."""

    k: np.ndarray  # (n,)
    bound: np.ndarray  # (n,) nats, non-decreasing in K
    log_weights: np.ndarray  # (total,) log p(x, z_i) - log q(z_i|x), z_i ~ q


def log_weights(
    model: VAE | LatentModel, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, total: int
) -> np.ndarray:
    """log w_i = log p(x, z_i) - log q(z_i) at fixed draws z_i = mu + sigma eps_i. -> (total,)."""
    lm = as_latent_model(model)
    eps = _fixed_normals(lm.latent_dim, total, lm.dtype)  # elbo_estimate's draws above 2-D
    mu, logvar = mu.to(lm.dtype), logvar.to(lm.dtype)
    out = []
    near = getattr(lm, "log_likelihood_near", None)  # the draws lie near mu
    with torch.no_grad():
        for s in range(0, total, 1024):
            z = mu + torch.exp(0.5 * logvar) * eps[s : s + 1024]  # (n, D)
            log_q = -0.5 * (eps[s : s + 1024].pow(2) + logvar + LOG_2PI).sum(-1)
            if near is not None:
                log_p = near(x, z, mu.double().cpu().numpy()) + log_prior(z)
            else:
                log_p = log_joint(lm, x[None], z[None])[0]
            out.append(log_p - log_q)
    return torch.cat(out).double().cpu().numpy()


def iwae_curve(lw: np.ndarray, ks: tuple[int, ...] = IWAE_KS) -> IWAECurve:
    """log (1/K) sum_k w_k (Burda, Grosse & Salakhutdinov 2015) for each K, averaged over groups.

    The log-weights are split into len // K disjoint groups of K; each group gives one
    estimate and the curve shows their mean, so small K have low variance. When each K
    divides the next, every group of the larger K is a union of groups of the smaller, and by
    the concavity of log the curve cannot fall.
    """
    bounds = []
    for k in ks:
        g = lw[: (len(lw) // k) * k].reshape(-1, k)  # (groups, K)
        top = g.max(1, keepdims=True)
        bounds.append(float((top[:, 0] + np.log(np.exp(g - top).mean(1))).mean()))
    return IWAECurve(np.array(ks), np.array(bounds), lw)
