"""Posterior modes by Newton's method (exact derivatives or autograd), the Laplace covariance."""

from __future__ import annotations

import numpy as np
import torch

from vae.inference.model import LatentModel, log_joint, log_prior
from vae.inference.quadrature import log_joint_points

SEARCH_NATS = 30.0  # coarse cells this close to the best are searched finer
MAX_CELLS = 128
MAX_STARTS = 5  # Newton starts besides the encoder's mean
MERGE = 0.1  # Laplace sds: two starts of one image this close are on the same climb


def derivatives(
    model: LatentModel, x: torch.Tensor, z: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """log p(x, z), its gradient and Hessian in z. x (P, ...), z (P, D) -> (P,) (P, D) (P, D, D).

    By the model's own exact derivatives where it has them (VAEModel with a ReLU decoder),
    else by autograd.
    """
    own = getattr(model, "derivatives", None)
    found = own(x, z) if own is not None else None
    if found is not None:
        v, g, h = found
        eye = torch.eye(z.shape[1], dtype=h.dtype, device=h.device)
        return v + log_prior(z.to(v.dtype)), g - z.to(g.dtype), h - eye
    z = z.detach().requires_grad_(True)
    with torch.enable_grad():
        value = log_joint(model, x, z[:, None, :])[:, 0]  # (P,)
        (grad,) = torch.autograd.grad(value.sum(), z, create_graph=True)  # (P, D)
        rows = [
            torch.autograd.grad(grad[:, i].sum(), z, retain_graph=i < z.shape[1] - 1)[0]
            for i in range(z.shape[1])
        ]
    return value.detach(), grad.detach(), torch.stack(rows, 1).detach()


def laplace_factor(neg_hessian: np.ndarray, max_sd: float = 10.0) -> np.ndarray:
    """A with A A^T = (-H)^-1, the Laplace covariance, eigenvalues floored at max_sd^-2. (D, D)."""
    sym = 0.5 * (neg_hessian + neg_hessian.T)
    lam, vec = np.linalg.eigh(sym)
    lam = np.maximum(lam, 1.0 / max_sd**2)
    return np.asarray(vec * (1.0 / np.sqrt(lam))[None, :])


def newton_modes(
    model: LatentModel,
    x: torch.Tensor,
    start: np.ndarray,
    iterations: int = 40,
    tol: float = 1e-3,
    settle: float = 1e-2,
    group: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximise log p(x_p, z) from each start by trust-region Newton; one image row per start.

    x (P, ...), start (P, D). A Newton step solves (-H) d = g where -H is positive definite,
    else follows the gradient; the step is capped by a trust radius that grows after an
    accepted step and shrinks after a rejected one, so every accepted step raises log p(x, z).
    Stops when the step's length in the Laplace metric, sqrt(d^T (-H) d), is below tol, or
    the trust region is below `settle` in that metric. Derivatives are taken at each trial
    point and kept when it is accepted. Starts of one image (the same `group`) that meet,
    within MERGE sds of a higher one, stop and take that one's end: they were climbing the
    same mode. Returns (modes (P, D), log p(x, mode) (P,), -Hessian at it (P, D, D)), float64.
    """
    dtype = model.dtype
    z = torch.as_tensor(start, dtype=torch.float64).clone()  # (P, D)
    p = len(z)
    radius = torch.full((p,), 0.25, dtype=torch.float64)
    active = torch.ones(p, dtype=torch.bool)
    v, g, h = derivatives(model, x, z.to(dtype))  # carried along: a trial's become the point's
    value, grad, neg_h = v.double(), g.double(), -h.double()  # (P,), (P, D), (P, D, D)
    follows = torch.full((p,), -1, dtype=torch.long)  # a merged start: the row it follows
    pairs = _same_group_pairs(group) if group is not None else None
    for _ in range(iterations):
        idx = active.nonzero()[:, 0]
        if len(idx) == 0:
            break
        v, g, nh = value[idx], grad[idx], neg_h[idx]
        chol, info = torch.linalg.cholesky_ex(nh)
        step = g / g.norm(dim=1, keepdim=True).clamp_min(1e-12) * radius[idx, None]
        ok = info == 0
        if ok.any():
            step[ok] = torch.cholesky_solve(g[ok, :, None], chol[ok])[..., 0]
        length = step.norm(dim=1)
        scale = torch.clamp(radius[idx] / length.clamp_min(1e-30), max=1.0)
        step = step * scale[:, None]
        trial = z[idx] + step
        v_new, g_new, h_new = derivatives(model, x[idx], trial.to(dtype))
        v_new = v_new.double()
        accept = torch.isfinite(v_new) & (v_new >= v - 1e-9)
        metric = torch.sqrt(torch.einsum("ai,aij,aj->a", step, nh, step).clamp_min(0.0))
        took = idx[accept]
        z[took], value[took] = trial[accept], v_new[accept]
        grad[took], neg_h[took] = g_new[accept].double(), -h_new[accept].double()
        radius[idx] = torch.where(
            accept, torch.clamp(radius[idx] * 2.0, max=2.0), radius[idx] / 4.0
        )
        # done when the step is below tol in the Laplace metric, or the trust region is below
        # `settle`: at a ReLU kink the gradient does not vanish, the Newton steps overshoot
        # across it, and only the shrinking trust region ends the zig-zag
        reach = radius[idx] * torch.linalg.eigvalsh(nh)[:, -1].clamp_min(0.0).sqrt()
        done = (accept & ok & (metric < tol)) | (ok & (reach < settle)) | (radius[idx] < 1e-7)
        active[idx[done]] = False
        if pairs is not None:
            _merge(z, value, neg_h, active, follows, pairs)
    for i in range(p):  # a merged start ends where the one it joined ends
        j = i
        while follows[j] >= 0:
            j = int(follows[j])
        z[i], value[i], neg_h[i] = z[j], value[j], neg_h[j]
    return z.numpy(), value.numpy(), neg_h.numpy()


def _same_group_pairs(group: np.ndarray) -> torch.Tensor | None:
    """All ordered pairs (b, a), b != a, of rows in one group. (K, 2)."""
    b, a = np.nonzero((group[:, None] == group[None, :]) & ~np.eye(len(group), dtype=bool))
    return torch.as_tensor(np.stack([b, a], 1)) if len(b) else None


def _merge(
    z: torch.Tensor,
    value: torch.Tensor,
    neg_h: torch.Tensor,
    active: torch.Tensor,
    follows: torch.Tensor,
    pairs: torch.Tensor,
) -> None:
    """An active start within MERGE Laplace sds of a higher, unmerged one follows it."""
    b, a = pairs[:, 0], pairs[:, 1]
    live = active[b] & (follows[a] < 0)
    if not live.any():
        return
    b, a = b[live], a[live]
    higher = (value[a] > value[b]) | ((value[a] == value[b]) & (a < b))
    d = z[b] - z[a]
    near = torch.einsum("ki,kij,kj->k", d, neg_h[b], d) < MERGE**2
    hit = higher & near
    for k in hit.nonzero()[:, 0].tolist():
        bk = int(b[k])
        if active[bk]:
            follows[bk], active[bk] = a[k], False


def search_starts(
    model: LatentModel,
    xs: torch.Tensor,
    mu: np.ndarray,
    coarse: np.ndarray,
    gz: np.ndarray,
    h0: float,
) -> list[list[np.ndarray]]:
    """Newton starts per image: the encoder mean and the best points of a finer search.

    The coarse grid cannot see how high a sharp mode is (sd 0.01 against cells of 0.125: the
    nearest node can be 40 nats below the peak), so every cell within SEARCH_NATS of the best
    one is searched on a 3 x 3 subgrid, and the best subgrid points at least 0.1 apart
    (up to MAX_STARTS) start Newton's method alongside the encoder's mean.
    """
    offs = (np.arange(3) - 1) * h0 / 3
    sub = np.stack(np.meshgrid(offs, offs, indexing="ij"), -1).reshape(-1, 2)  # (9, 2)
    img, pts = [], []
    for i in range(len(mu)):
        cells = np.argsort(-coarse[i])[:MAX_CELLS]
        cells = cells[coarse[i][cells] >= coarse[i].max() - SEARCH_NATS]
        p = (gz[cells][:, None, :] + sub[None]).reshape(-1, 2)
        img.append(np.full(len(p), i))
        pts.append(p)
    values = log_joint_points(model, xs, np.concatenate(img), np.concatenate(pts))
    out, at = [], 0
    for i, p in enumerate(pts):
        v, at = values[at : at + len(p)], at + len(p)
        chosen = [mu[i]]
        for k in np.argsort(-v):
            if len(chosen) > MAX_STARTS:
                break
            if min(float(np.abs(p[k] - c).max()) for c in chosen) > 0.1:
                chosen.append(p[k])
        out.append(chosen)
    return out
