"""Quadrature machinery for 2-D posteriors: local whitened grids, their evaluation and ownership."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from vae.inference.model import LatentModel, VAEModel, log_prior

RADIUS = 6.0  # local window half-width in Laplace sds
_CHUNK = 8192  # codes per decoder call


@dataclass
class LocalGrid:
    """The trapezoid rule on a square in a mode's whitened coordinates z = mode + A u."""

    img: int
    z: np.ndarray  # (2,)
    a: np.ndarray  # (2, 2)
    radius: float = RADIUS
    level: int = 0
    nodes: np.ndarray | None = None  # (G, 2)
    u: np.ndarray | None = None  # (G, 2) whitened
    logf: np.ndarray | None = None  # (G,)
    fresh: bool = True  # nodes need evaluating
    known: np.ndarray | None = None  # (G,) values kept from the last layout, NaN where new

    @property
    def spacing(self) -> float:
        return 2.0**-self.level

    @property
    def log_cell(self) -> float:
        """log of one node's weight: spacing^2 |det A|."""
        return 2 * math.log(self.spacing) + math.log(abs(float(np.linalg.det(self.a))))

    def place(self) -> None:
        """Lay the nodes out for the current radius and spacing."""
        k = math.ceil(self.radius / self.spacing - 1e-9)
        t = np.arange(-k, k + 1) * self.spacing
        gu, gv = np.meshgrid(t, t, indexing="ij")
        old_u, old_f = self.u, self.logf
        self.u = np.stack([gu.ravel(), gv.ravel()], 1)
        self.nodes = self.z + self.u @ self.a.T
        self.fresh = True
        self.known = np.full(len(self.u), np.nan)
        if old_u is not None and old_f is not None:  # a finer or wider layout keeps the old nodes
            pos = old_u / self.spacing + k
            at = np.rint(pos).astype(np.int64)
            if np.abs(pos - at).max() < 1e-6 and at.min() >= 0 and at.max() <= 2 * k:
                self.known.reshape(2 * k + 1, 2 * k + 1)[at[:, 0], at[:, 1]] = old_f

    @property
    def pending(self) -> np.ndarray:
        """Nodes whose value is not known yet. (G,) bool."""
        assert self.nodes is not None
        return np.ones(len(self.nodes), bool) if self.known is None else np.isnan(self.known)


def log_joint_points(
    model: LatentModel, xs: torch.Tensor, img: np.ndarray, z: np.ndarray
) -> np.ndarray:
    """log p(x_img[p], z_p) for points of many images, in chunks. -> (P,) float64.

    A code asked for by several images (the search's subgrids of shared coarse cells) is
    decoded once (VAEModel.log_likelihood_pairs); sorting the pairs by code keeps them together.
    """
    out = np.empty(len(z))
    pair = isinstance(model, VAEModel)
    order = np.lexsort((z[:, 1], z[:, 0])) if pair else np.arange(len(z))  # a code's pairs adjoin
    for s in range(0, len(z), _CHUNK):
        at = order[s : s + _CHUNK]
        zs, ims = z[at], img[at]
        zc = torch.as_tensor(zs, dtype=model.dtype)[:, None, :]  # (c, 1, 2)
        with torch.no_grad():
            if isinstance(model, VAEModel):
                v = model.log_likelihood_pairs(xs, ims, zs)
            else:
                v = model.log_likelihood(xs[torch.as_tensor(ims)], zc)[:, 0]
            v = v + log_prior(zc)[:, 0]
        out[at] = v.double().cpu().numpy()
    return out


def evaluate(model: LatentModel, xs: torch.Tensor, grids: list[LocalGrid]) -> int:
    """Evaluate log p(x, z) at the new nodes of every grid placed since; returns how many.

    A VAEModel evaluates each grid by log_likelihood_near around its mode (see relu.py).
    """
    todo = [g for g in grids if g.fresh and g.nodes is not None]
    if not todo:
        return 0
    new = [g.pending for g in todo]
    pts = [
        g.nodes[p] if g.nodes is not None else np.zeros((0, 2))
        for g, p in zip(todo, new, strict=True)
    ]
    if isinstance(model, VAEModel):
        values = np.concatenate(
            [_near(model, xs[g.img], z, g.z) for g, z in zip(todo, pts, strict=True)]
        )
    else:
        img = np.concatenate([np.full(len(z), g.img) for g, z in zip(todo, pts, strict=True)])
        values = log_joint_points(model, xs, img, np.concatenate(pts))
    at = 0
    for g, p in zip(todo, new, strict=True):
        assert g.known is not None
        g.logf, at = g.known.copy(), at + int(p.sum())
        g.logf[p] = values[at - int(p.sum()) : at]
        g.fresh = False
    return int(sum(p.sum() for p in new))


def _near(model: VAEModel, x: torch.Tensor, z: np.ndarray, z0: np.ndarray) -> np.ndarray:
    out = np.empty(len(z))
    for s in range(0, len(z), _CHUNK):
        zc = torch.as_tensor(z[s : s + _CHUNK], dtype=model.dtype)
        v = model.log_likelihood_near(x, zc, z0) + log_prior(zc)
        out[s : s + _CHUNK] = v.double().cpu().numpy()
    return out


def owner(
    works: list[LocalGrid], z: np.ndarray, lattice: tuple[float, float, int] | None = None
) -> np.ndarray:
    """Index of the mode whose window holds z deepest, -1 for the coarse grid. (G,).

    Depth is max |A^-1 (z - mode)| / radius (<= 1 inside the window), the first mode winning
    a tie. For many points only those in a window's bounding box are measured; lattice
    (lo, spacing, n) says z is the n x n lattice of cell centres from lo, row-major in y,
    so the box's points are found by index.
    """
    if not works:
        return np.full(len(z), -1)
    if lattice is None and len(z) <= 4096:
        inv = [np.linalg.inv(w.a).T for w in works]
        depth = np.stack(
            [np.abs((z - w.z) @ m).max(1) / w.radius for w, m in zip(works, inv, strict=True)]
        )
        return np.where(depth.min(0) <= 1.0, depth.argmin(0), -1)
    best = np.full(len(z), np.inf)
    own = np.full(len(z), -1)
    for j, w in enumerate(works):
        half = np.abs(w.a).sum(1) * w.radius * (1 + 1e-9) + 1e-12  # the window's bounding box
        if lattice is None:
            near = np.nonzero((np.abs(z - w.z) <= half).all(1))[0]
        else:
            lo, h, n = lattice
            first = np.clip(np.floor((w.z - half - lo) / h - 0.5).astype(int), 0, n - 1)
            last = np.clip(np.ceil((w.z + half - lo) / h - 0.5).astype(int), 0, n - 1)
            ix, iy = np.arange(first[0], last[0] + 1), np.arange(first[1], last[1] + 1)
            near = (iy[:, None] * n + ix[None, :]).ravel()
        if near.size == 0:
            continue
        depth = np.abs((z[near] - w.z) @ np.linalg.inv(w.a).T).max(1) / w.radius
        better = depth < best[near]
        best[near[better]] = depth[better]
        own[near[better]] = j
    return np.where(best <= 1.0, own, -1)


def logsumexp(v: np.ndarray) -> float:
    if v.size == 0:
        return -math.inf
    top = float(v.max())
    return top + math.log(float(np.exp(v - top).sum())) if math.isfinite(top) else top


def dedupe(works: list[LocalGrid], values: np.ndarray) -> list[LocalGrid]:
    """Keep the highest of modes that sit within 3 Laplace sds of each other."""
    keep: list[int] = []
    for i in np.argsort(-values):
        near = any(
            min(
                np.abs(np.linalg.solve(works[j].a, works[i].z - works[j].z)).max(),
                np.abs(np.linalg.solve(works[i].a, works[j].z - works[i].z)).max(),
            )
            < 3.0
            for j in keep
        )
        if not near:
            keep.append(int(i))
    return [works[i] for i in keep]


@dataclass(frozen=True)
class Part:
    """What one grid contributes to one image's integral, over the nodes it owns."""

    log_mass: float  # log of the sum over owned nodes
    log_mass_coarse: float  # the same on the subgrid of twice the spacing
    edge_drop: float  # the owned edge's highest log p(x, z) minus the grid's highest
    keep: np.ndarray  # (G,) bool: nodes this grid owns


def parts(grids: list[LocalGrid]) -> list[Part]:
    """Each grid's owned share of one image's integral, with its error and edge checks."""
    out = []
    for j, g in enumerate(grids):
        assert g.nodes is not None and g.u is not None and g.logf is not None
        keep = owner(grids, g.nodes) == j
        k = np.rint(g.u / g.spacing).astype(np.int64)
        sub = keep & (k % 2 == 0).all(1)
        edge = keep & (np.abs(g.u).max(1) >= g.radius - 1e-9)
        top = g.logf[keep].max() if keep.any() else -math.inf
        out.append(
            Part(
                log_mass=logsumexp(g.logf[keep]) + g.log_cell,
                log_mass_coarse=logsumexp(g.logf[sub]) + g.log_cell + math.log(4.0),
                edge_drop=(g.logf[edge].max() - top) if edge.any() else -math.inf,
                keep=keep,
            )
        )
    return out
