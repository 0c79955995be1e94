"""2-D projections of latent codes: PCA, t-SNE (openTSNE) and UMAP, with progress and a stop.

PCA is linear and instant; t-SNE (van der Maaten & Hinton 2008) keeps neighbours and is
run with openTSNE's FFT-accelerated gradients (Linderman et al. 2019); UMAP (McInnes et
al. 2018) keeps neighbours too and some of the global layout. The slow two report how far
they are through `progress(fraction, what)` and stop as soon as `stop()` says so, raising
ProjectionStopped. openTSNE, umap-learn and scikit-learn are imported on first use only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

Method = Literal["PCA", "t-SNE", "UMAP"]
METHODS: tuple[Method, ...] = ("PCA", "t-SNE", "UMAP")
MAX_POINTS = 10_000  # above this a fixed random subsample is projected
# The schedule: early exaggeration, then the main phase. openTSNE's defaults are 250 + 500;
# with its learning rate of N / exaggeration (Belkina et al. 2019) the first phase has
# settled after 125, and bench 4c measures what the shorter main phase and coarser FFT grid
# cost: the share of each point's 10 nearest codes kept as its 10 nearest on the map.
TSNE_EARLY_ITERS = 125
TSNE_ITERS = 250
# The FFT grid: one interval per 1.75 units of the map, at least 25 per side (openTSNE: 1 and
# 50). The grid's FFTs are most of an iteration's cost; bench 4c measures what it costs the map.
TSNE_INTS_IN_INTERVAL = 1.75
TSNE_MIN_INTERVALS = 25
TSNE_NEIGHBOURS = "exact"  # exact nearest neighbours: faster than Annoy at <= MAX_POINTS
CALLBACK_EVERY = 10  # iterations between progress reports (and chances to stop)
NEIGHBOURS_SHARE = 0.1  # the part of the bar given to the nearest-neighbour search

Progress = Callable[[float, str], None]
Stop = Callable[[], bool]


class ProjectionStopped(Exception):
    """The projection was stopped on request before it finished."""


def subsample(n: int, limit: int = MAX_POINTS, seed: int = 0) -> np.ndarray:
    """Sorted row indices to project: all n rows, or a fixed random `limit` of them. (M,)."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def perplexity_for(n: int) -> float:
    """30 (the usual choice), lowered for tiny sets where it must stay below (n - 1) / 3."""
    return float(min(30.0, max(2.0, (n - 1) / 3)))


def parameters(method: Method, n: int, seed: int = 0) -> dict[str, Any]:
    """What `project` runs `method` with on n points (JSON-able): stored beside a kept result."""
    if method == "t-SNE":
        return {
            "perplexity": perplexity_for(n),
            "early_exaggeration_iter": TSNE_EARLY_ITERS,
            "n_iter": TSNE_ITERS,
            "initialization": "pca",
            "neighbors": TSNE_NEIGHBOURS,
            "negative_gradient_method": "fft",
            "ints_in_interval": TSNE_INTS_IN_INTERVAL,
            "min_num_intervals": TSNE_MIN_INTERVALS,
            "random_state": seed,
        }
    if method == "UMAP":
        return {"n_neighbors": min(15, max(2, n - 1)), "min_dist": 0.1, "random_state": seed}
    return {}


def neighbours_kept(x: np.ndarray, xy: np.ndarray, k: int = 10) -> float:
    """The share of each point's k nearest neighbours in x (N, D) that are also among its k
    nearest in the map xy (N, 2), averaged over the points: 1 for a map that keeps them all.
    """
    from sklearn.neighbors import NearestNeighbors

    if len(x) != len(xy) or len(x) <= k:
        raise ValueError(f"need the same number of points, more than k = {k}: {len(x)}, {len(xy)}")

    def nearest(a: np.ndarray) -> np.ndarray:
        idx = NearestNeighbors(n_neighbors=k + 1).fit(a).kneighbors(a, return_distance=False)
        return np.sort(idx[:, 1:], axis=1)  # the point itself comes first (ties aside)

    hi, lo = nearest(np.asarray(x, np.float64)), nearest(np.asarray(xy, np.float64))
    shared = sum(len(np.intersect1d(a, b, assume_unique=True)) for a, b in zip(hi, lo, strict=True))
    return shared / (len(x) * k)


def _noop(fraction: float, what: str) -> None:
    del fraction, what


def _never() -> bool:
    return False


def project(
    x: np.ndarray,
    method: Method,
    progress: Progress | None = None,
    stop: Stop | None = None,
    seed: int = 0,
    n_jobs: int = 1,
) -> np.ndarray:
    """Project codes (N, D) to 2-D with `method`. -> (N, 2) float32.

    Raises ProjectionStopped when `stop()` turns true, and ValueError for an unknown method.
    """
    report = progress or _noop
    halt = stop or _never
    x = np.ascontiguousarray(x, dtype=np.float32)
    if method == "PCA":
        from vae.analysis.explore import pca

        out = pca(x)
    elif method == "t-SNE":
        out = _tsne(x, report, halt, seed, n_jobs)
    elif method == "UMAP":
        out = _umap(x, report, halt, seed)
    else:
        raise ValueError(f"unknown projection {method!r}; choose from {', '.join(METHODS)}")
    report(1.0, "done")
    return np.asarray(out, dtype=np.float32)


def _tsne(x: np.ndarray, report: Progress, halt: Stop, seed: int, n_jobs: int) -> np.ndarray:
    """openTSNE with FFT gradients, PCA initialisation and the schedule above."""
    from openTSNE import TSNE

    total = TSNE_EARLY_ITERS + TSNE_ITERS
    done = [0]

    def callback(iteration: int, error: float, embedding: Any) -> bool:
        del iteration, error, embedding
        done[0] += CALLBACK_EVERY
        if halt():
            raise ProjectionStopped
        frac = NEIGHBOURS_SHARE + (1 - NEIGHBOURS_SHARE) * min(1.0, done[0] / total)
        report(frac, f"t-SNE: iteration {min(done[0], total)} of {total}")
        return False

    report(0.0, f"t-SNE: finding each of {len(x):,} points' neighbours")
    if halt():
        raise ProjectionStopped
    tsne = TSNE(
        n_components=2,
        **parameters("t-SNE", len(x), seed),
        n_jobs=n_jobs,
        callbacks=callback,
        callbacks_every_iters=CALLBACK_EVERY,
    )
    return np.asarray(tsne.fit(x), dtype=np.float32)


class _UMAPProgress:
    """A file for tqdm: umap-learn reports its epochs through tqdm, formatted as 'n/total'.

    Nothing may be raised from here: tqdm writes while it holds its process-wide lock and
    does not release it on an exception, so a raise (a stop, or the UI's rerun) would hang
    every later progress bar in the process. A stop or an error is kept in `pending` and
    raised once umap-learn returns; umap-learn has no other hook to end its run early.
    """

    def __init__(self, report: Progress, halt: Stop) -> None:
        self.report, self.halt = report, halt
        self.pending: BaseException | None = None

    def write(self, text: str) -> int:
        if self.pending is not None:
            return len(text)
        try:
            if self.halt():
                raise ProjectionStopped
            parts = text.strip().split("/")
            if len(parts) == 2 and parts[0].isdigit() and parts[1].isdigit() and int(parts[1]):
                n, total = int(parts[0]), int(parts[1])
                frac = NEIGHBOURS_SHARE + (1 - NEIGHBOURS_SHARE) * n / total
                self.report(frac, f"UMAP: epoch {n} of {total}")
        except BaseException as exc:
            self.pending = exc
        return len(text)

    def flush(self) -> None:
        pass


def _umap(x: np.ndarray, report: Progress, halt: Stop, seed: int) -> np.ndarray:
    """umap-learn with its defaults (15 neighbours, min_dist 0.1), seeded."""
    report(0.0, f"UMAP: finding each of {len(x):,} points' neighbours")
    import umap  # pulls numba: seconds to import and to compile on first use

    if halt():
        raise ProjectionStopped
    sink = _UMAPProgress(report, halt)
    reducer = umap.UMAP(
        n_components=2,
        **parameters("UMAP", len(x), seed),
        n_jobs=1,
        verbose=False,
        tqdm_kwds={
            "disable": False,
            "file": sink,
            "bar_format": "{n}/{total}\n",
            "mininterval": 0.0,
            "miniters": 1,
        },
    )
    out = reducer.fit_transform(x)
    if sink.pending is not None:
        raise sink.pending
    return np.asarray(out, dtype=np.float32)
