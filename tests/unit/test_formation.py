"""Per-epoch snapshot frames (axes or PCA of the final epoch) and the loss curve."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vae.analysis.formation import SnapshotError, frames_extent, loss_curve, snapshot_frames


def _snapshots(d: int, epochs: int = 4, n: int = 30, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    mu = rng.standard_normal((epochs, n, d)) * np.linspace(0.1, 2, epochs)[:, None, None]
    return {
        "epochs": np.arange(epochs),
        "mu": mu.astype(np.float16),
        "index": np.arange(n)[::-1].copy(),
    }


def test_two_dimensions_are_shown_as_they_are():
    snaps = _snapshots(2)
    f = snapshot_frames(snaps, n_preview=30)
    assert f.xy.shape == (4, 30, 2) and f.axis_titles == ("z1", "z2")
    assert np.array_equal(f.xy, snaps["mu"].astype(np.float32))
    assert f.epochs.tolist() == [0, 1, 2, 3] and f.index.tolist() == list(range(29, -1, -1))


def test_chosen_dimensions_of_a_larger_space():
    snaps = _snapshots(5)
    f = snapshot_frames(snaps, n_preview=30, dims=(4, 1))
    assert f.axis_titles == ("z5", "z2")
    assert np.array_equal(f.xy, snaps["mu"][:, :, [4, 1]].astype(np.float32))


def test_pca_is_fitted_on_the_final_epoch_and_applied_to_every_epoch():
    snaps = _snapshots(5, seed=1)
    f = snapshot_frames(snaps, n_preview=30)
    assert f.axis_titles[0].startswith("PC 1")
    mu = snaps["mu"].astype(np.float64)
    final = mu[-1] - mu[-1].mean(0)
    _, s, vt = np.linalg.svd(final, full_matrices=False)
    # The final frame is centred, with the variance of the top two components.
    assert np.allclose(f.xy[-1].mean(0), 0, atol=1e-5)
    assert np.allclose(f.xy[-1].var(0) * 30, s[:2] ** 2, rtol=1e-4)
    # Every epoch goes through the same affine map: the same mean and directions.
    for e in range(4):
        expected = (mu[e] - mu[-1].mean(0)) @ vt[:2].T
        assert np.allclose(np.abs(f.xy[e]), np.abs(expected), atol=1e-4)
    signs = np.sign(f.xy[-1][0] / ((mu[-1][0] - mu[-1].mean(0)) @ vt[:2].T))
    for e in range(4):  # one sign choice for all frames
        assert np.allclose(f.xy[e], ((mu[e] - mu[-1].mean(0)) @ vt[:2].T) * signs, atol=1e-4)


def test_one_dimension_gets_a_fixed_jitter():
    f = snapshot_frames(_snapshots(1), n_preview=30)
    assert f.axis_titles[1].startswith("random jitter")
    assert np.array_equal(f.xy[0, :, 1], f.xy[-1, :, 1])


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("mu"), "no per-epoch snapshots"),
        (lambda s: s.update(mu=s["mu"][:, :5]), "expected"),
        (lambda s: s.update(index=s["index"] + 5), "preview"),
        (lambda s: s.update(mu=np.full_like(s["mu"], np.nan)), "NaN"),
    ],
)
def test_inconsistent_snapshots_are_refused(change, message):
    snaps = _snapshots(2)
    change(snaps)
    with pytest.raises(SnapshotError, match=message):
        snapshot_frames(snaps, n_preview=30)


def test_extent_holds_every_frame():
    xy = np.zeros((3, 200, 2), np.float32)
    xy[0] = np.random.default_rng(0).uniform(-1, 1, (200, 2))
    xy[2] = np.random.default_rng(1).uniform(-3, 5, (200, 2))
    x0, x1, y0, y1 = frames_extent(xy)
    assert x0 < -2.9 and x1 > 4.9 and y0 < -2.9 and y1 > 4.9
    assert x1 - x0 < 8 * 1.2  # a margin, not the whole range again


def test_loss_curve_keeps_the_last_row_of_each_epoch_and_marks_missing_values():
    history = [
        {"epoch": 1, "train_loss": 10.0, "test_loss": 9.0},
        {"epoch": 2, "train_loss": 8.0, "test_loss": 7.5},
        {"epoch": 2, "train_loss": 7.9, "test_loss": 7.0},  # resumed
        {"epoch": 3, "train_loss": "x"},
        {"train_loss": 1.0},
    ]
    c = loss_curve(history)
    assert c.epochs.tolist() == [1, 2, 3]
    assert c.train[:2].tolist() == [10.0, 7.9] and math.isnan(c.train[2])
    assert c.test_at(2) == 7.0 and c.test_at(0) is None and c.test_at(3) is None
    empty = loss_curve([])
    assert empty.epochs.shape == (0,) and empty.test_at(1) is None
