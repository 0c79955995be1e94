"""projections.npz: a run's stored 2-D projections of its test codes, written and read back.

The file (named in vae.runfolder.files, computed by vae.analysis.stored_projection) holds
what the projections were computed from as JSON text (`meta`), the projected test rows and
one (M, 2) array per method. It is read without unpickling, capped on disk and unpacked,
and checked for shapes, types and finite values.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from vae.runfolder.files import CheckpointError, atomic_write, meta_entry, read_meta_entry

MAX_PROJECTION_BYTES = 16 * 1024 * 1024  # on disk and unpacked
MAX_PROJECTION_ROWS = 100_000


def write_projections(
    path: Path, meta: dict[str, Any], rows: np.ndarray, xy: dict[str, np.ndarray]
) -> None:
    """projections.npz: `meta` as JSON (what they were computed from), rows (M,), xy (M, 2)."""
    arrays = {"meta": meta_entry(meta), "rows": rows, **xy}
    atomic_write(path, lambda f: np.savez_compressed(f, **arrays))  # type: ignore[arg-type]


def read_projections(
    path: Path, keys: tuple[str, ...]
) -> tuple[dict[str, Any], np.ndarray, dict[str, np.ndarray]] | None:
    """(meta, rows int64 (M,), {key: xy float32 (M, 2)}) of projections.npz; None if missing.

    Only the `keys` it holds are returned. Never unpickled, capped on disk and unpacked;
    a file of the wrong shapes, types or with non-finite values raises CheckpointError.
    """
    if not path.is_file():
        return None
    if path.stat().st_size > MAX_PROJECTION_BYTES:
        raise CheckpointError(
            "{name} is larger than {max_projection_bytes} bytes",
            name=path.name,
            max_projection_bytes=MAX_PROJECTION_BYTES,
        )
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise CheckpointError(
            "{name} is not an .npz file ({reason})", name=path.name, reason=exc
        ) from exc
    if unpacked > MAX_PROJECTION_BYTES:
        raise CheckpointError(
            "{name} unpacks to {unpacked} bytes, above the cap", name=path.name, unpacked=unpacked
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            names = set(z.files)
            raw = {k: np.asarray(z[k]) for k in ("meta", "rows", *keys) if k in names}
    except Exception as exc:
        raise CheckpointError(
            "{name} could not be read ({reason})", name=path.name, reason=exc
        ) from exc
    meta, rows = read_meta_entry(raw.get("meta"), path.name), raw.get("rows")
    if rows is None or rows.ndim != 1 or rows.dtype.kind not in "iu":
        raise CheckpointError("{name}: rows must be a 1-D array of integers", name=path.name)
    if len(rows) > MAX_PROJECTION_ROWS or (
        len(rows) and (rows[0] < 0 or np.any(np.diff(rows) <= 0))
    ):
        raise CheckpointError(
            "{name}: rows must be at most {max_projection_rows:,} increasing indices",
            name=path.name,
            max_projection_rows=MAX_PROJECTION_ROWS,
        )
    out: dict[str, np.ndarray] = {}
    for key in keys:
        xy = raw.get(key)
        if xy is None:
            continue
        if xy.shape != (len(rows), 2) or xy.dtype not in (np.float16, np.float32):
            raise CheckpointError(
                "{name}: {key} must be float16 or float32 of shape ({n_rows}, 2), "
                "not {dtype} {shape}",
                name=path.name,
                key=key,
                n_rows=len(rows),
                dtype=xy.dtype,
                shape=xy.shape,
            )
        if not np.all(np.isfinite(xy)):
            raise CheckpointError(
                "{name}: {key} holds NaN or infinite values", name=path.name, key=key
            )
        out[key] = xy.astype(np.float32)
    return meta, rows.astype(np.int64), out
