"""How the latent space forms over training: the per-epoch snapshots and the loss curve.

During training the first few preview images are encoded after every epoch (epoch 0 is the
untrained encoder) and saved in snapshots.npz: epochs (E,), mu (E, N, D) float16 and
index (N,) into the preview set. These functions turn that into comparable 2-D frames.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from vae.errors import VAEError


class SnapshotError(VAEError, ValueError):
    """The snapshots are missing or inconsistent; the message says which."""


@dataclass(frozen=True)
class Frames:
    """The snapshot points of every epoch, projected to 2-D in the same way."""

    epochs: np.ndarray  # (E,) int
    xy: np.ndarray  # (E, N, 2) float32
    index: np.ndarray  # (N,) rows of the preview set
    axis_titles: tuple[str, str]


def _pca_basis(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean (D,), components (2, D)) of x (N, D); each component's largest entry positive."""
    mean = x.mean(0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    comps = vt[:2]
    signs = np.sign(comps[np.arange(len(comps)), np.abs(comps).argmax(1)])
    return mean, comps * np.where(signs == 0, 1.0, signs)[:, None]


def snapshot_frames(
    snapshots: Mapping[str, np.ndarray], n_preview: int, dims: tuple[int, int] | None = None
) -> Frames:
    """2-D frames of the snapshot means, one per saved epoch.

    dims: two latent dimensions to show as they are; None projects on the first two
    principal components of the final epoch, applied to every epoch, so the frames share
    axes and the motion between them is real (only needed above two dimensions).
    n_preview: the size of the preview set `index` points into. Raises SnapshotError.
    """
    if not all(k in snapshots for k in ("epochs", "mu", "index")):
        raise SnapshotError("this checkpoint has no per-epoch snapshots")
    epochs = np.asarray(snapshots["epochs"]).astype(np.int64)
    mu = np.asarray(snapshots["mu"], np.float32)
    index = np.asarray(snapshots["index"]).astype(np.int64)
    if mu.ndim != 3 or mu.shape[:2] != (len(epochs), len(index)) or len(epochs) == 0:
        raise SnapshotError(
            "snapshots hold mu of shape {shape} for {epochs} epochs and "
            "{points} points; expected (epochs, points, latent size)",
            shape=mu.shape,
            epochs=len(epochs),
            points=len(index),
        )
    if len(index) == 0 or index.min() < 0 or index.max() >= n_preview:
        raise SnapshotError("the snapshot points do not index the checkpoint's preview images")
    if not np.isfinite(mu).all():
        raise SnapshotError("the snapshots hold NaN or infinite values")
    d = mu.shape[2]
    if dims is None and d > 2:
        mean, comps = _pca_basis(mu[-1].astype(np.float64))
        xy = ((mu - mean) @ comps.T).astype(np.float32)
        titles = ("PC 1 (final epoch)", "PC 2 (final epoch)")
    else:
        a, b = dims if dims is not None else (0, min(1, d - 1))
        if not (0 <= a < d and 0 <= b < d):
            raise SnapshotError(
                "dimensions {dims} are out of range for latent size {d}", dims=dims, d=d
            )
        if d == 1:
            jitter = np.random.default_rng(0).uniform(-0.5, 0.5, len(index)).astype(np.float32)
            xy = np.stack([mu[:, :, 0], np.broadcast_to(jitter, mu.shape[:2])], axis=-1)
            titles = ("z1", "random jitter (no meaning)")
        else:
            xy = mu[:, :, [a, b]]
            titles = (f"z{a + 1}", f"z{b + 1}")
    return Frames(epochs, np.ascontiguousarray(xy), index, titles)


def frames_extent(xy: np.ndarray, margin: float = 0.08) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1) that holds the middle 99% of the points of every frame, xy (E, N, 2)."""
    lo = np.percentile(xy, 0.5, axis=1).min(0)  # (2,)
    hi = np.percentile(xy, 99.5, axis=1).max(0)
    pad = margin * max(float((hi - lo).max()), 1e-3)
    return (float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad), float(hi[1] + pad))


@dataclass(frozen=True)
class LossCurve:
    """Per-epoch losses from history.jsonl (nats per image); NaN where a value is missing."""

    epochs: np.ndarray  # (K,) int, increasing
    train: np.ndarray  # (K,)
    test: np.ndarray  # (K,)

    def test_at(self, epoch: int) -> float | None:
        """The test loss after `epoch`, or None when it was not recorded (e.g. epoch 0)."""
        hit = np.flatnonzero(self.epochs == epoch)
        if not len(hit) or not math.isfinite(self.test[hit[0]]):
            return None
        return float(self.test[hit[0]])


def loss_curve(history: Sequence[Mapping[str, Any]]) -> LossCurve:
    """The train and test loss per epoch; a repeated epoch (a resumed run) keeps its last row."""

    def number(v: Any) -> float:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        return float(v) if ok else math.nan

    rows: dict[int, tuple[float, float]] = {}
    for row in history:
        epoch = row.get("epoch")
        if isinstance(epoch, int) and not isinstance(epoch, bool):
            rows[epoch] = (number(row.get("train_loss")), number(row.get("test_loss")))
    epochs = np.array(sorted(rows), np.int64)
    values = np.array([rows[e] for e in epochs], np.float64).reshape(-1, 2)
    return LossCurve(epochs, values[:, 0], values[:, 1])
