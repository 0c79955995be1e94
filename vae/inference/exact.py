"""The exact posterior p(z|x) and evidence log p(x) of a 2-D latent model, by adaptive quadrature.

p(x) = integral of p(x|z) p(z) dz is the normalising constant the VAE cannot compute; in two
dimensions it can be summed. The posteriors of a trained model are sharp (sd ~0.01) and some
have several modes, so one uniform grid is either far too coarse or far too costly. The plane
is split into regions, each integrated by a rule that fits it:

1. A fixed coarse grid over the prior's support [-6, 6]^2 (96 cells a side). It is the same
   for every image, so the decoder runs on it once per model, and for a whole batch of images
   log p(x|z) on it is one matrix product (`LatentModel.log_likelihood_cross`).
2. Modes: Newton's method (modes.py) from the encoder's mean and from the best local maxima
   of the coarse grid, so a mode the encoder missed is still found.
3. Around each mode a grid in the Laplace-whitened coordinates u = A^-1 (z - mode), A A^T =
   (-Hessian)^-1: the trapezoid rule over |u| <= 6 with spacing 1 (13 x 13 nodes). On smooth,
   fast-decaying integrands the trapezoid rule converges geometrically (Trefethen & Weideman
   2014), and in whitened units the spacing is in units of the local sd, so a sharp mode costs
   what a broad one does. The estimate is compared with the half-density subgrid (spacing 2);
   where they differ the spacing is halved, and a window whose edge still holds density grows.
4. Each point of the plane belongs to the mode whose whitened box (scaled by its radius) it is
   deepest in, else to the coarse grid; every rule sums only its own points, so nothing is
   counted twice. If the coarse remainder holds much mass, its best cell seeds another mode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from vae.errors import VAEError
from vae.inference._deps import VAE
from vae.inference.model import LatentModel, as_latent_model, log_prior
from vae.inference.modes import laplace_factor, newton_modes, search_starts
from vae.inference.quadrature import (
    RADIUS,
    LocalGrid,
    dedupe,
    evaluate,
    logsumexp,
    owner,
    parts,
)

BOX = 6.0  # the coarse grid covers [-BOX, BOX]^2; prior mass outside is ~1e-8
COARSE = 96  # coarse cells a side: spacing 0.125
START_LEVEL = 0  # local spacing 1 sd, checked against its spacing-2 subgrid
MAX_LEVEL = 4  # down to 1/16 sd
MAX_RADIUS = 30.0
MAX_SIDE = 160  # at most (MAX_SIDE + 1)^2 nodes in one local grid
ROUNDS = 6
LATTICE = (-BOX, 2 * BOX / COARSE, COARSE)  # the coarse grid's cell centres, for owner()
_GRIDS: dict[tuple[int, float, torch.dtype], torch.Tensor] = {}


class NeedsTwoDimensions(VAEError, ValueError):
    """The exact posterior was asked of a model whose latent space is not 2-D."""


def require_2d(model: LatentModel) -> None:
    """Raise NeedsTwoDimensions unless the model's latent space is 2-D."""
    d = model.latent_dim
    if d != 2:
        raise NeedsTwoDimensions(
            "the exact posterior and log p(x) need a 2-D latent space, and this model's has "
            "{d} dimensions: a grid with n points a side over a D-dimensional space needs "
            "n^D decoder calls (100 a side: 10^{power} calls here), so above 2-D the exact "
            "value is replaced by the importance-weighted (IWAE) lower bound",
            d=d,
            power=2 * d,
        )


def coarse_grid(dtype: torch.dtype, n: int = COARSE, box: float = BOX) -> torch.Tensor:
    """Cell centres of the fixed n x n grid over [-box, box]^2, row-major in y. (n*n, 2).

    The same tensor object is returned every time, so a model can keep its decoded grid.
    """
    key = (n, box, dtype)
    if key not in _GRIDS:
        c = (np.arange(n) + 0.5) * (2 * box / n) - box
        gy, gx = np.meshgrid(c, c, indexing="ij")
        _GRIDS[key] = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=dtype)
    return _GRIDS[key]


@dataclass(frozen=True)
class Mode:
    """One mode of p(z|x): where, its Laplace covariance, and the posterior mass of its region."""

    z: np.ndarray  # (2,)
    cov: np.ndarray  # (2, 2)
    mass: float
    far: bool  # more than 3 sds of (encoder + mode) covariance from the encoder's mean


@dataclass(frozen=True)
class ExactPosterior:
    """Quadrature nodes and weights for one image: p(x) = sum exp(log_weights)."""

    log_px: float
    nodes: np.ndarray  # (M, 2)
    log_weights: np.ndarray  # (M,) log(rule weight * p(x, z))
    modes: tuple[Mode, ...]  # by mass, largest first
    encoder_mu: np.ndarray  # (2,)
    encoder_logvar: np.ndarray  # (2,)
    far_mass: float  # posterior mass of the far modes
    multi_modal: bool  # >= 2 modes of >= 5% mass each and >= 5% of the mass far from the encoder
    decoder_calls: int

    def probabilities(self) -> np.ndarray:
        """Posterior mass of each node. (M,)."""
        return np.exp(self.log_weights - self.log_px)

    def mean(self) -> np.ndarray:
        """E[z | x]. (2,)."""
        return self.probabilities() @ self.nodes

    def cov(self) -> np.ndarray:
        """Cov[z | x]. (2, 2)."""
        p, d = self.probabilities(), self.nodes - self.mean()
        return np.asarray((d * p[:, None]).T @ d)


def _new_grids(
    model: LatentModel,
    xs: torch.Tensor,
    img: list[int],
    starts: list[np.ndarray],
    radius: float,
    level: int,
) -> list[tuple[LocalGrid, float]]:
    if not img:
        return []
    z, value, neg_h = newton_modes(
        model, xs[torch.as_tensor(img)], np.stack(starts), group=np.asarray(img)
    )
    return [
        (LocalGrid(b, z[i], laplace_factor(neg_h[i]), radius, level), float(value[i]))
        for i, b in enumerate(img)
    ]


def exact_posteriors(
    model: VAE | LatentModel,
    xs: torch.Tensor,
    tol: float = 0.05,
    radius: float = RADIUS,
    start_level: int = START_LEVEL,
) -> list[ExactPosterior]:
    """The exact posterior of each image of a batch (module docstring). xs (B, ...).

    A grid starts with spacing 2^-start_level sd over |u| <= radius and is refined while its
    owned mass times |log I_h - log I_2h| (the change from its subgrid) exceeds tol nats;
    its window grows while its edge holds density within e^-9 of its peak; a coarse
    remainder above 1% of the mass seeds another mode (up to ROUNDS rounds).
    """
    lm = as_latent_model(model)
    require_2d(lm)
    b = len(xs)
    grid = coarse_grid(lm.dtype)
    gz = grid.double().numpy()  # (N0, 2)
    h0 = 2 * BOX / COARSE
    with torch.no_grad():
        coarse = lm.log_likelihood_cross(xs, grid).double().cpu().numpy()  # (B, N0)
    coarse = coarse + log_prior(torch.as_tensor(gz)).numpy()[None, :]
    mu, logvar = (t.double().cpu().numpy() for t in lm.encode(xs))  # (B, 2)
    img: list[int] = []
    starts: list[np.ndarray] = []
    for i, chosen in enumerate(search_starts(lm, xs, mu, coarse, gz, 2 * BOX / COARSE)):
        img += [i] * len(chosen)
        starts += chosen
    found = _new_grids(lm, xs, img, starts, radius, start_level)
    grids: list[list[LocalGrid]] = [[] for _ in range(b)]
    for i in range(b):
        mine = [(g, v) for g, v in found if g.img == i]
        grids[i] = dedupe([g for g, _ in mine], np.array([v for _, v in mine]))
    for g in (g for gs in grids for g in gs):
        g.place()
    calls = np.zeros(b, np.int64)
    todo = list(range(b))  # an image where nothing changed in a round stays as it is
    for _ in range(ROUNDS):
        calls += _count(grids)
        evaluate(lm, xs, [g for gs in grids for g in gs])
        seed_img, seed_at = [], []
        changed: set[int] = set()
        for i in todo:
            ps = parts(grids[i])
            rest = coarse[i][owner(grids[i], gz, LATTICE) == -1] + 2 * math.log(h0)
            total = logsumexp(np.array([p.log_mass for p in ps] + [logsumexp(rest)]))
            for g, p in zip(grids[i], ps, strict=True):
                err = math.exp(p.log_mass - total) * abs(p.log_mass - p.log_mass_coarse)
                small = g.radius / g.spacing <= MAX_SIDE / 2
                if err > tol and g.level < max(MAX_LEVEL, start_level + 1) and small:
                    g.level += 1
                    g.place()
                    changed.add(i)
                elif p.edge_drop > -9.0 and g.radius < max(MAX_RADIUS, radius) and small:
                    g.radius *= 1.5
                    g.place()
                    changed.add(i)
            if rest.size and logsumexp(rest) - total > math.log(0.01):
                free = np.nonzero(owner(grids[i], gz, LATTICE) == -1)[0]
                seed_img.append(i)
                seed_at.append(gz[free[np.argmax(coarse[i][free])]])
        for g, _ in _new_grids(lm, xs, seed_img, seed_at, radius, start_level):
            if owner(grids[g.img], g.z[None])[0] == -1:
                g.place()
                grids[g.img].append(g)
                changed.add(g.img)
        if not changed:
            break
        todo = sorted(changed)
    calls += _count(grids)
    evaluate(lm, xs, [g for gs in grids for g in gs])
    return [_result(grids[i], coarse[i], gz, h0, mu[i], logvar[i], int(calls[i])) for i in range(b)]


def _far(d: np.ndarray, cov: np.ndarray) -> bool:
    """A mode is far from the encoder when 3 sds of both together do not reach it."""
    return bool(d @ np.linalg.solve(cov, d) > 9.0)


def _count(grids: list[list[LocalGrid]]) -> np.ndarray:
    return np.array(
        [sum(int(g.pending.sum()) for g in gs if g.fresh and g.nodes is not None) for gs in grids]
    )


def _result(
    grids: list[LocalGrid],
    coarse: np.ndarray,
    gz: np.ndarray,
    h0: float,
    mu: np.ndarray,
    logvar: np.ndarray,
    calls: int,
) -> ExactPosterior:
    ps = parts(grids)
    rest = owner(grids, gz, LATTICE) == -1
    nodes = [gz[rest]] + [
        g.nodes[p.keep] for g, p in zip(grids, ps, strict=True) if g.nodes is not None
    ]
    logw = [coarse[rest] + 2 * math.log(h0)] + [
        g.logf[p.keep] + g.log_cell for g, p in zip(grids, ps, strict=True) if g.logf is not None
    ]
    z, lw = np.concatenate(nodes), np.concatenate(logw)
    log_px = logsumexp(lw)
    enc = np.diag(np.exp(logvar))
    modes = sorted(
        (
            Mode(
                z=g.z,
                cov=g.a @ g.a.T,
                mass=math.exp(p.log_mass - log_px),
                far=_far(g.z - mu, enc + g.a @ g.a.T),
            )
            for g, p in zip(grids, ps, strict=True)
        ),
        key=lambda m: -m.mass,
    )
    far_mass = sum(m.mass for m in modes if m.far)
    big = sum(m.mass >= 0.05 for m in modes)
    return ExactPosterior(
        log_px=log_px,
        nodes=z,
        log_weights=lw,
        modes=tuple(modes),
        encoder_mu=mu,
        encoder_logvar=logvar,
        far_mass=far_mass,
        multi_modal=big >= 2 and far_mass >= 0.05,
        decoder_calls=calls,
    )


def exact_posterior(model: VAE | LatentModel, x: torch.Tensor, tol: float = 0.05) -> ExactPosterior:
    """The exact posterior of one image x (...) (no batch axis)."""
    return exact_posteriors(model, x[None], tol)[0]
