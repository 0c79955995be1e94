"""Projections of 10,000 latent codes: openTSNE (the app's t-SNE) against scikit-learn's TSNE.

Both on the same codes (the z = 20 MNIST model's posterior means of the test set), with the
same number of threads, alternating; UMAP and PCA as the page runs them, once each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from bench.report import Section, cell, num, ratios, stat
from vae.analysis.explore import encode, tsne
from vae.analysis.projection import (
    TSNE_EARLY_ITERS,
    TSNE_INTS_IN_INTERVAL,
    TSNE_ITERS,
    TSNE_MIN_INTERVALS,
    TSNE_NEIGHBOURS,
    neighbours_kept,
    project,
)
from vae.data import load_dataset
from vae.runfolder.checkpoint import load_checkpoint
from vae.runfolder.runs import checkpoint_dir, list_runs

GOAL_SECONDS = 10.0
KEPT_K = 10  # neighbours compared per code
APP_TSNE, REFERENCE_TSNE = "t-SNE, openTSNE (the app)", "t-SNE, scikit-learn (reference)"


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

    tsnes: dict[str, Callable[[], Any]] = {
        APP_TSNE: lambda: project(x, "t-SNE", n_jobs=threads),
        "t-SNE, openTSNE with its defaults": lambda: openTSNE.TSNE(
            n_jobs=threads, random_state=0
        ).fit(x),
        REFERENCE_TSNE: lambda: tsne(x),
    }
    # Each round: the app's t-SNE before, between and after the two references, so that it
    # is timed 3 times a round beside them; its ratio pairs each reference with the app's run
    # just before it.
    references = [name for name in tsnes if name != APP_TSNE]
    order = [APP_TSNE] + [run for ref in references for run in (ref, APP_TSNE)]
    seconds: dict[str, list[float]] = {name: [] for name in tsnes}
    ours_before_theirs: list[float] = []  # the app's run just before each scikit-learn run
    maps: dict[str, np.ndarray] = {}
    with threadpool_limits(limits=threads):  # OpenMP and BLAS threads too
        for _ in range(p["projection_repeats"]):
            for name in order:
                if name == REFERENCE_TSNE:
                    ours_before_theirs.append(seconds[APP_TSNE][-1])
                t0 = time.perf_counter()
                maps[name] = np.asarray(tsnes[name]())
                seconds[name].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        project(x, "UMAP")
        umap_first = time.perf_counter() - t0
        t0 = time.perf_counter()
        project(x, "PCA")
        pca_s = time.perf_counter() - t0
    ours, theirs = seconds[APP_TSNE], seconds[REFERENCE_TSNE]
    pairs = {APP_TSNE: (theirs, ours_before_theirs)}
    pairs |= {name: (theirs, seconds[name]) for name in references}
    sec.add(
        f"{len(x):,} codes μ of the MNIST test set from `{run.name}` (z = {run.latent_dim}), "
        f"{threads} thread(s) for each, alternating: the app's t-SNE before, between and after "
        f"the two references in each round (n = {len(ours)} for it, "
        f"{len(theirs)} for each reference; the ratio pairs each scikit-learn run with the "
        "app's run just before it). openTSNE runs as the Latent page runs "
        "it (vae.analysis.projection.project: FFT gradients, "
        f"{TSNE_EARLY_ITERS} + {TSNE_ITERS} iterations, {TSNE_NEIGHBOURS} neighbours, a grid "
        f"interval per {TSNE_INTS_IN_INTERVAL:g} units and at least {TSNE_MIN_INTERVALS} a side, "
        "PCA initialisation, a progress callback every 10 iterations); openTSNE with all its "
        "defaults (250 + 500 iterations, Annoy's approximate neighbours, an interval per unit "
        "and at least 50 a side); scikit-learn's TSNE with its defaults (Barnes-Hut, PCA "
        "initialisation) through vae.analysis.explore.tsne. "
        f"“Neighbours kept”: the share of each code's {KEPT_K} nearest codes that are among its "
        f"{KEPT_K} nearest points on the map (vae.analysis.projection.neighbours_kept; 1 "
        f"keeps them all, chance is {KEPT_K / (len(x) - 1):.2g})."
    )
    sec.table(
        ["projection", "seconds", "scikit-learn / this", "neighbours kept"],
        [
            [
                name,
                cell(stat(secs), "s"),
                "1" if name == REFERENCE_TSNE else cell(ratios(*pairs[name])),
                f"{neighbours_kept(x, maps[name], k=KEPT_K):.3f}",
            ]
            for name, secs in seconds.items()
        ]
        + [
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
