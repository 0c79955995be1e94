"""Server-side compute costs: what the pages call in vae.analysis.explore, timed in this process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from bench.report import Section, cell, stat
from vae.analysis.explore import decode, encode, manifold_grid, tsne
from vae.data import load_dataset
from vae.runfolder.checkpoint import load_checkpoint
from vae.runfolder.runs import checkpoint_dir, list_runs


def timed(fn: Callable[[], Any], repeats: int, scale: float = 1000.0) -> list[float]:
    """Call fn once to warm up, then `repeats` times; each call's time (ms by default)."""
    fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * scale)
    return out


def server_costs(sec: Section, p: dict[str, Any]) -> None:
    """Decode one point, a 20 x 20 grid, encode the test set, t-SNE, per MNIST checkpoint."""
    runs = [r for r in list_runs() if r.ok and r.dataset == "mnist"]
    if not runs:
        raise RuntimeError(f"no usable MNIST checkpoint in {checkpoint_dir()}")
    test_x = load_dataset("mnist").test_x.numpy()
    rows, mus = [], {}
    for run in runs:
        if run.latent_dim is None:  # a usable run always has one
            continue
        model = load_checkpoint(checkpoint_dir() / run.name).model
        z = np.zeros((1, run.latent_dim), np.float32)
        one = timed(lambda: decode(model, z), p["decode_repeats"])  # noqa: B023
        grid = timed(lambda: manifold_grid(model, 20), p["grid_repeats"])  # noqa: B023
        enc = timed(lambda: encode(model, test_x), p["encode_repeats"])  # noqa: B023
        mus[run.latent_dim] = encode(model, test_x)[0]
        name = f"{run.name} ({run.arch}, z = {run.latent_dim})"
        rows.append([name, cell(stat(one), "ms"), cell(stat(grid), "ms"), cell(stat(enc), "ms")])
    sec.add(
        f"vae.analysis.explore functions as the pages call them, in this process with "
        f"{torch.get_num_threads()} torch thread(s); after one warm-up call, n = "
        f"{p['decode_repeats']} / {p['grid_repeats']} / {p['encode_repeats']} calls."
    )
    sec.table(
        ["checkpoint", "decode one point", "20×20 manifold grid", f"encode {len(test_x):,} images"],
        rows,
    )
    d = max(mus)
    n = p["tsne_points"]
    x = mus[d][:n]
    from sklearn.manifold import TSNE  # noqa: F401  (imported before the clock starts)
    from threadpoolctl import threadpool_limits

    secs = []
    with threadpool_limits(limits=torch.get_num_threads()):  # its OpenMP threads too
        for _ in range(p["tsne_repeats"]):
            t0 = time.perf_counter()
            tsne(x)
            secs.append(time.perf_counter() - t0)
    sec.add(
        f"t-SNE (scikit-learn through vae.analysis.explore.tsne) of {len(x):,} encoded test "
        f"images of the z = {d} model: {cell(stat(secs), 's')} (n = {len(secs)})."
    )
