"""Projections of 10,000 latent codes: openTSNE (the app's t-SNE) against scikit-learn's TSNE.

Both on the same codes (the z = 20 MNIST model's posterior means of the test set), with the
same number of threads, alternating; UMAP and PCA as the page runs them, once each.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from bench.report import Section, cell, num, ratios, stat
from vae.analysis.explore import encode, tsne
from vae.analysis.projection import TSNE_EARLY_ITERS, TSNE_ITERS, neighbours_kept, project
from vae.data import load_dataset
from vae.runfolder.checkpoint import load_checkpoint
from vae.runfolder.runs import checkpoint_dir, list_runs

GOAL_SECONDS = 10.0


def projections(sec: Section, p: dict[str, Any]) -> None:
    """Seconds per projection of p["projection_points"] codes, openTSNE vs scikit-learn."""
    runs = [r for r in list_runs() if r.ok and r.dataset == "mnist" and (r.latent_dim or 0) > 2]
    if not runs:
        raise RuntimeError(f"no usable MNIST checkpoint above 2-D in {checkpoint_dir()}")
    run = max(runs, key=lambda r: (r.latent_dim or 0, r.name))
    model = load_checkpoint(checkpoint_dir() / run.name).model
    x = encode(model, load_dataset("mnist").test_x.numpy())[0][: p["projection_points"]]
    threads = torch.get_num_threads()
    import openTSNE  # imported before the clock starts, as in a warm server
    from sklearn.manifold import TSNE  # noqa: F401
    from threadpoolctl import threadpool_limits

    ours: list[float] = []
    theirs: list[float] = []
    defaults: list[float] = []
    with threadpool_limits(limits=threads):  # OpenMP and BLAS threads too
        for _ in range(p["projection_repeats"]):
            t0 = time.perf_counter()
            ours_xy = project(x, "t-SNE", n_jobs=threads)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            theirs_xy = tsne(x)
            theirs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            defaults_xy = openTSNE.TSNE(n_jobs=threads, random_state=0).fit(x)
            defaults.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        project(x, "UMAP")
        umap_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        project(x, "PCA")
        pca_s = time.perf_counter() - t0
    speed = ratios(theirs, ours)
    kept = {
        name: neighbours_kept(x, xy)
        for name, xy in (("ours", ours_xy), ("theirs", theirs_xy), ("defaults", defaults_xy))
    }
    sec.add(
        f"{len(x):,} codes μ of the MNIST test set from `{run.name}` (z = {run.latent_dim}), "
        f"{threads} thread(s) for each, the three t-SNE runs alternating "
        f"(n = {len(ours)} each; the ratio is per pair). openTSNE runs as the Latent page runs "
        "it (vae.analysis.projection.project: FFT gradients, "
        f"{TSNE_EARLY_ITERS} + {TSNE_ITERS} iterations, exact neighbours, a grid interval "
        "per 2 units, PCA initialisation, a progress callback every 10 iterations); openTSNE "
        "with all its defaults (250 + 500 iterations, Annoy's approximate neighbours, an "
        "interval per unit); scikit-learn's TSNE with its defaults (Barnes-Hut, PCA "
        "initialisation) through vae.analysis.explore.tsne. “Neighbours kept”: the share of "
        "each code's 10 nearest codes that are among its 10 nearest points on the map "
        "(vae.analysis.projection.neighbours_kept; 1 keeps them all, chance is 0.001)."
    )
    sec.table(
        ["projection", "seconds", "scikit-learn / this", "neighbours kept"],
        [
            [
                "t-SNE, openTSNE (the app)",
                cell(stat(ours), "s"),
                cell(speed),
                f"{kept['ours']:.3f}",
            ],
            [
                "t-SNE, openTSNE with its defaults",
                cell(stat(defaults), "s"),
                cell(ratios(theirs, defaults)),
                f"{kept['defaults']:.3f}",
            ],
            [
                "t-SNE, scikit-learn (reference)",
                cell(stat(theirs), "s"),
                "1",
                f"{kept['theirs']:.3f}",
            ],
            [
                "UMAP, umap-learn (first call in the process: includes numba's compile)",
                f"{umap_first:.1f} s",
                "—",
                "—",
            ],
            ["PCA (scikit-learn)", f"{pca_s:.3f} s", "—", "—"],
        ],
    )
    sec.goal(
        f"t-SNE of {len(x):,} points (openTSNE, FFT), scikit-learn in the same run",
        f"≤ {GOAL_SECONDS:g} s",
        f"{cell(stat(ours), 's')} (scikit-learn {cell(stat(theirs), 's')})",
        stat(ours).median <= GOAL_SECONDS,
    )


STORED_GOAL_SECONDS = 0.2


def stored_vs_computed(sec: Section, p: dict[str, Any]) -> None:
    """Choosing t-SNE on a shipped model: the projection stored with it against computing it."""
    from vae.analysis.projection import subsample
    from vae.analysis.stored_projection import source, stored
    from vae.runfolder.files import PROJECTIONS_FILE

    folder = checkpoint_dir()
    runs = [r for r in list_runs() if r.ok and (folder / r.name / PROJECTIONS_FILE).is_file()]
    if not runs:
        raise RuntimeError(f"no checkpoint in {folder} has a {PROJECTIONS_FILE}")
    run = max(runs, key=lambda r: (r.latent_dim or 0, r.name))
    ckpt = load_checkpoint(folder / run.name)
    train = ckpt.config.train
    x = load_dataset(ckpt.config.dataset, image_size=train.image_size, channels=train.channels)
    images = x.test_x.numpy()
    mu = encode(ckpt.model, images)[0]
    rows = subsample(len(mu))
    import openTSNE  # noqa: F401  (imported before the clock starts, as in a warm server)

    looked: list[float] = []
    got = None
    for _ in range(p["stored_repeats"]):
        t0 = time.perf_counter()
        src = source(ckpt.path, ckpt.config.model.to_dict(), images)
        got = stored(ckpt.path, "t-SNE", src, rows) if src is not None else None
        looked.append(time.perf_counter() - t0)
    if got is None:
        raise RuntimeError(f"{run.name}'s {PROJECTIONS_FILE} does not match its model")
    computed: list[float] = []
    for _ in range(p["projection_repeats"]):
        t0 = time.perf_counter()
        fresh = project(mu[rows], "t-SNE")
        computed.append(time.perf_counter() - t0)
    width = float(np.max(np.ptp(fresh, axis=0)))
    moved = float(np.max(np.abs(got - fresh))) / width
    size = (ckpt.path / PROJECTIONS_FILE).stat().st_size
    sec.add(
        f"`{run.name}` (z = {run.latent_dim}), {len(rows):,} codes μ of the test set. Stored: "
        "what the Latent page does when t-SNE is chosen and the checkpoint has it "
        "(vae.analysis.stored_projection: SHA-256 of the weights file and of the test images, "
        f"then {PROJECTIONS_FILE} ({size / 1024:.0f} KB) read, checked and matched; n = "
        f"{len(looked)}). Computed: what it does otherwise (openTSNE as the page runs it, one "
        f"thread, n = {len(computed)}). The stored points differ from the ones computed here "
        f"by at most {moved:.1e} of the map's width (float16 storage; on a 700-pixel map, "
        f"{moved * 700:.2f} pixels)."
    )
    faster = stat(computed).median / stat(looked).median
    sec.table(
        ["choosing t-SNE", "seconds", "times faster than computing"],
        [
            ["stored with the checkpoint", cell(stat(looked), "s"), num(faster)],
            ["computed (openTSNE, as the page runs it)", cell(stat(computed), "s"), "1"],
        ],
    )
    sec.goal(
        "Choosing t-SNE on a shipped model whose projection is stored with it",
        f"≤ {STORED_GOAL_SECONDS:g} s",
        cell(stat(looked), "s"),
        stat(looked).median <= STORED_GOAL_SECONDS,
    )
