"""Projections stored with a checkpoint: computed once, used only for what they were made from.

scripts/store_projections.py runs `store` on a run folder: the test set's codes projected
exactly as the Latent page projects them (vae.analysis.projection), written to
projections.npz with what they were computed from: hashes of the weights file, the network's
configuration and the image set, the rows projected, each method's parameters. `stored`
returns a projection only when all of those match the page's; a stale file (the model was
retrained, other images, other parameters) is ignored, a malformed one raises CheckpointError.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from vae.analysis.projection import Method, parameters, project, subsample
from vae.runfolder.files import MODEL_FILE, PROJECTIONS_FILE, file_sha256
from vae.runfolder.projections import read_projections, write_projections

FORMAT = 1
STORED: tuple[Method, ...] = ("t-SNE", "UMAP")  # PCA is instant: never stored
KEYS: dict[Method, str] = {"PCA": "pca", "t-SNE": "tsne", "UMAP": "umap"}  # entries in the file
LIBRARIES: dict[Method, str] = {"PCA": "scikit-learn", "t-SNE": "openTSNE", "UMAP": "umap-learn"}

log = logging.getLogger(__name__)


def _array_sha256(x: np.ndarray) -> str:
    x = np.ascontiguousarray(x)
    h = hashlib.sha256(f"{x.dtype.str}{x.shape}".encode())
    h.update(x.data)
    return h.hexdigest()


def source(run: Path, model_config: dict[str, Any], x: np.ndarray) -> dict[str, Any] | None:
    """What the codes of images x (N, C, H, W) from run's model come from; None without weights.

    The SHA-256 of the weights file, the network's configuration and the SHA-256 of x.
    """
    weights = Path(run) / MODEL_FILE
    if not weights.is_file():
        return None
    out = {
        "weights_sha256": file_sha256(weights),
        "model": model_config,
        "images_sha256": _array_sha256(x),
        "images": len(x),
    }
    normal: dict[str, Any] = json.loads(json.dumps(out, sort_keys=True))  # tuples as lists
    return normal


def stored(run: Path, method: Method, src: dict[str, Any], rows: np.ndarray) -> np.ndarray | None:
    """The stored xy (M, 2) float32 of `method` when it was computed from src and rows.

    None when the folder holds none for this method, or one computed from anything else.
    Raises CheckpointError for a file that is malformed (shapes, types, NaN, size).
    """
    got = read_projections(Path(run) / PROJECTIONS_FILE, (KEYS[method],))
    if got is None:
        return None
    meta, kept_rows, xy = got
    why = _mismatch(meta, src, kept_rows, rows, method, KEYS[method] in xy)
    if why:
        log.info("%s in %s not used: it was computed from %s", PROJECTIONS_FILE, run, why)
        return None
    return xy[KEYS[method]]


def _mismatch(
    meta: dict[str, Any],
    src: dict[str, Any],
    kept_rows: np.ndarray,
    rows: np.ndarray,
    method: Method,
    held: bool,
) -> str:
    """What a stored file was computed from that differs from the page's; "" when nothing."""
    methods = meta.get("methods")
    entry = methods.get(method) if isinstance(methods, dict) else None
    if meta.get("format") != FORMAT:
        return "another format"
    if meta.get("source") != src:
        return "another model or other images"
    if not np.array_equal(kept_rows, rows):
        return "other rows"
    if not isinstance(entry, dict) or not held:
        return f"no {method}"
    if entry.get("parameters") != parameters(method, len(rows)):
        return "other parameters"
    return ""


def library(method: Method) -> str:
    """The library computing `method`, with its version (recorded, not matched)."""
    name = LIBRARIES[method]
    try:
        return f"{name} {version(name)}"
    except PackageNotFoundError:
        return name


def store(
    run: Path,
    model_config: dict[str, Any],
    x: np.ndarray,
    mu: np.ndarray,
    methods: tuple[Method, ...] = STORED,
    dtype: type[np.floating[Any]] = np.float32,
    progress: Callable[[Method, float, str], None] | None = None,
) -> dict[str, np.ndarray]:
    """Project the codes mu (N, D) of images x as the page does and write projections.npz.

    Returns {method: xy (M, 2)} as computed (float32, before any rounding to `dtype`).
    """
    src = source(run, model_config, x)
    if src is None:
        raise FileNotFoundError(f"{Path(run) / MODEL_FILE} is missing")
    rows = subsample(len(mu))
    computed: dict[str, np.ndarray] = {}
    entries: dict[str, Any] = {}
    for method in methods:

        def shown(fraction: float, what: str, m: Method = method) -> None:
            if progress is not None:
                progress(m, fraction, what)

        computed[method] = project(mu[rows], method, progress=shown)
        entries[method] = {"parameters": parameters(method, len(rows)), "library": library(method)}
    meta = {"format": FORMAT, "source": src, "methods": entries}
    xy = {KEYS[m]: computed[m].astype(dtype) for m in methods}
    write_projections(Path(run) / PROJECTIONS_FILE, meta, rows.astype(np.int32), xy)
    return computed
