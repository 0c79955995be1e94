"""vae.analysis.projection: PCA, t-SNE (openTSNE) and UMAP with progress and a stop."""

from __future__ import annotations

import os

import numpy as np
import pytest

from vae.analysis import projection as pj


def two_clusters(n: int = 120, d: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 2
    x = rng.normal(size=(n, d)).astype(np.float32) + 8.0 * labels[:, None]
    return x, labels


def separated(xy: np.ndarray, labels: np.ndarray) -> bool:
    """Every point is nearer its own cluster's centre than the other's."""
    c0, c1 = xy[labels == 0].mean(0), xy[labels == 1].mean(0)
    d0, d1 = np.linalg.norm(xy - c0, axis=1), np.linalg.norm(xy - c1, axis=1)
    return bool(np.all((d0 < d1) == (labels == 0)))


@pytest.mark.parametrize("method", pj.METHODS)
def test_each_method_keeps_one_row_per_point_and_the_clusters(method):
    x, labels = two_clusters()
    seen: list[float] = []
    xy = pj.project(x, method, progress=lambda f, what: seen.append(f))
    assert xy.shape == (len(x), 2) and xy.dtype == np.float32 and np.all(np.isfinite(xy))
    assert separated(xy, labels)
    assert seen[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen)  # the bar only moves forward
    if method != "PCA":
        assert len(seen) > 10  # it reports along the way, not only at the end


@pytest.mark.parametrize("method", ["t-SNE", "UMAP"])
def test_the_slow_methods_stop_when_asked(method):
    x, _ = two_clusters()
    asked = [0]

    def stop() -> bool:
        asked[0] += 1
        return asked[0] > 3

    with pytest.raises(pj.ProjectionStopped):
        pj.project(x, method, stop=stop)
    assert 4 <= asked[0] <= 6  # stopped at one of the first chances after it was asked


def test_a_stopped_umap_leaves_tqdm_usable_in_other_threads():
    """tqdm keeps its lock when a write raises; a stop must not hang later progress bars."""
    import threading

    from tqdm import tqdm

    x, _ = two_clusters()
    asked = [0]

    def stop() -> bool:  # true from the third question on: inside umap-learn's epochs
        asked[0] += 1
        return asked[0] > 2

    with pytest.raises(pj.ProjectionStopped):
        pj.project(x, "UMAP", stop=stop)
    done = threading.Event()

    def bar() -> None:
        for _ in tqdm(range(3), disable=False, file=open(os.devnull, "w")):  # noqa: SIM115
            pass
        done.set()

    threading.Thread(target=bar, daemon=True).start()
    assert done.wait(20), "a tqdm bar in another thread hangs: the lock was left held"


def test_tsne_is_the_same_for_the_same_seed():
    x, _ = two_clusters(80)
    assert np.array_equal(pj.project(x, "t-SNE"), pj.project(x, "t-SNE"))


def test_subsample_and_perplexity():
    assert np.array_equal(pj.subsample(50, limit=100), np.arange(50))
    rows = pj.subsample(20_000)
    assert len(rows) == pj.MAX_POINTS == 10_000 and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, pj.subsample(20_000))  # fixed
    assert pj.perplexity_for(10_000) == 30.0 and pj.perplexity_for(10) == 3.0


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown projection"):
        pj.project(np.zeros((5, 3), np.float32), "MDS")  # type: ignore[arg-type]


def test_neighbours_kept_is_one_for_a_map_that_keeps_the_layout_and_small_for_noise():
    rng = np.random.default_rng(1)
    xy = rng.normal(size=(300, 2))
    x = np.hstack([3.0 * xy + 1.0, np.zeros((300, 4))])  # scaled, shifted, padded: same order
    assert pj.neighbours_kept(x, xy, k=5) == 1.0
    noise = rng.normal(size=(300, 2))
    assert pj.neighbours_kept(x, noise, k=5) < 0.1  # chance is 5 / 299
    line = np.array([[0.0], [1.0], [10.0], [11.0]])  # nearest: 0 and 1, 2 and 3
    on_map = np.array([[0.0, 0], [1, 0], [10, 0], [30, 0]])  # 2's nearest is now 1
    assert pj.neighbours_kept(line, on_map, k=1) == 0.75
    with pytest.raises(ValueError, match="same number of points"):
        pj.neighbours_kept(x, xy[:-1])
