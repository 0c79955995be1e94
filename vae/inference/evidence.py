"""The exact log p(x) of many images: batches of exact_posteriors, on every core when asked.

A whole test set takes minutes in one process. Its batches are independent, so with
workers > 1 they are shared out among forked worker processes, each with one torch thread
and its own cache of decoded codes; each batch is the one a single process would compute
(to the rounding of its thread count), and the figures come back in the images' order.
One such call runs at a time in a process (the workers read what it shares under a lock).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from contextlib import ExitStack

import numpy as np
import torch

from vae.inference._deps import VAE
from vae.inference.codes import sharing
from vae.inference.exact import exact_posteriors, require_2d
from vae.inference.model import LatentModel, as_latent_model

BATCH = 256
_WORK: tuple[LatentModel, torch.Tensor, int, float] | None = None  # what forked workers read
_KEEP = ExitStack()  # a worker's code cache, for the worker's life
_ONE_AT_A_TIME = threading.Lock()


def cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _log_px(model: LatentModel, xs: torch.Tensor, tol: float) -> np.ndarray:
    return np.array([r.log_px for r in exact_posteriors(model, xs, tol)])


def _start_worker() -> None:
    assert _WORK is not None
    torch.set_num_threads(1)  # the cores are the workers' own; one thread each
    _KEEP.enter_context(sharing(_WORK[0]))


def _batch(start: int) -> np.ndarray:
    assert _WORK is not None
    model, xs, size, tol = _WORK
    return _log_px(model, xs[start : start + size], tol)


def exact_log_px(
    model: VAE | LatentModel,
    xs: torch.Tensor,
    batch_size: int = BATCH,
    tol: float = 0.05,
    workers: int = 1,
) -> np.ndarray:
    """Exact log p(x) in nats for each image, in batches. xs (N, ...) -> (N,).

    The search's subgrid codes recur across images; a VAEModel keeps them decoded while this
    runs (a CodeCache, dropped at the end). workers > 1 shares the batches among that many
    forked processes (at most one a batch; where the platform cannot fork, one process).
    """
    global _WORK
    lm = as_latent_model(model)
    require_2d(lm)
    starts = list(range(0, len(xs), batch_size))
    if not starts:
        return np.zeros(0)
    workers = max(1, min(workers, len(starts)))
    if workers == 1 or "fork" not in multiprocessing.get_all_start_methods():
        with sharing(lm):
            return np.concatenate([_log_px(lm, xs[s : s + batch_size], tol) for s in starts])
    with _ONE_AT_A_TIME:
        _WORK = (lm, xs, batch_size, tol)
        try:
            with multiprocessing.get_context("fork").Pool(workers, _start_worker) as pool:
                return np.concatenate(pool.map(_batch, starts, chunksize=1))
        finally:
            _WORK = None


def exact_nll(
    model: VAE | LatentModel, xs: torch.Tensor, batch_size: int = BATCH, workers: int = 1
) -> float:
    """Mean exact -log p(x) in nats over images xs (N, ...): the figure the ELBO bounds."""
    return float(-exact_log_px(model, xs, batch_size, workers=workers).mean())
