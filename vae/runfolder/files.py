"""The checkpoint folder on disk: every file name, the atomic writers and the capped readers.

This module is the one place that knows what a run folder holds (see the README's
"Checkpoint format"); loading (vae.runfolder.checkpoint), listing (vae.runfolder.runs),
training (vae.training) and the jobs all name files and read or write them through it.
Every write goes through a temporary file and os.replace, so a kill at any moment leaves
the previous file intact; every read is capped in size and raises CheckpointError.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from vae.errors import Message, VAEError

if TYPE_CHECKING:  # only writing weights needs torch: the Overview and the listing read files
    import torch

FORMAT_VERSION = 1  # config.json's format_version
MODEL_FILE = "model.safetensors"  # weights only (safetensors: loading never runs code)
CONFIG_FILE = "config.json"  # RunConfig: model, train, dataset, classes
METRICS_FILE = "metrics.json"  # final figures
HISTORY_FILE = "history.jsonl"  # one JSON object per epoch
PREVIEW_FILE = "preview.npz"  # held-out images and labels, so every page works offline
SNAPSHOTS_FILE = "snapshots.npz"  # the preview set encoded after every epoch
RESUME_FILE = "resume.safetensors"  # model and optimiser state for --resume
STATUS_FILE = "status.json"  # what a training process is doing now
LOCK_FILE = ".lock"  # held by the training process writing the folder
PROJECTIONS_FILE = "projections.npz"  # 2-D projections of the test codes, and their source
SAMPLES_FILE = "samples.npz"  # the Overview's first prior samples, and their source
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_NPZ_BYTES = 64 * 1024 * 1024
MAX_HEADER_BYTES = 100_000_000  # a safetensors header above this is not a model's


class CheckpointError(VAEError):
    """Anything wrong with a checkpoint folder; the message says what and what to do."""


# --- writing ------------------------------------------------------------------------------


def atomic_write(path: Path, write: Callable[[Any], None], mode: str = "wb") -> None:
    """Write through a temp file in the same folder, fsync, then os.replace.

    A failure at any point (a full disk, a kill) leaves the previous file intact.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj: Any) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(obj, indent=2) + "\n"), "w")


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    atomic_write(path, lambda f: f.write("".join(json.dumps(r) + "\n" for r in rows)), "w")


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    atomic_write(path, lambda f: np.savez_compressed(f, **arrays))  # type: ignore[arg-type]


def write_tensors(path: Path, tensors: dict[str, torch.Tensor], meta: dict[str, str]) -> None:
    from safetensors.torch import save as st_save

    data = st_save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata=meta)
    atomic_write(path, lambda f: f.write(data))


# --- reading ------------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hex (what a stored result was computed from)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_json(path: Path, what: Message) -> Any:
    """The JSON in path (at most MAX_JSON_BYTES); CheckpointError naming `what` otherwise."""
    if not path.is_file():
        raise CheckpointError(
            "{path} is missing: {what}. Re-train or restore the folder.", path=path, what=what
        )
    if path.stat().st_size > MAX_JSON_BYTES:
        raise CheckpointError(
            "{path} is larger than {max_json_bytes} bytes, too large for {what}",
            path=path,
            max_json_bytes=MAX_JSON_BYTES,
            what=what,
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            "{path} is not valid JSON ({reason}); restore it or re-train", path=path, reason=exc
        ) from exc


def read_json_object(path: Path, what: Message) -> dict[str, Any]:
    """read_json for a file that must hold one JSON object."""
    raw = read_json(path, what)
    if not isinstance(raw, dict):
        raise CheckpointError("{path} must hold a JSON object", path=path)
    return raw


def read_record(path: Path) -> dict[str, Any]:
    """A bookkeeping JSON object (status.json, a job record); {} when missing or unreadable."""
    try:
        return read_json_object(path, Message("a bookkeeping record"))
    except (CheckpointError, OSError):
        return {}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """One JSON object per line; a missing file is an empty list."""
    if not path.is_file():
        return []
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise CheckpointError(
                "{path} line {n} is not valid JSON ({reason})", path=path, n=n, reason=exc
            ) from exc
        if not isinstance(row, dict):
            raise CheckpointError("{path} line {n} is not a JSON object", path=path, n=n)
        rows.append(row)
    return rows


def read_npz(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The named arrays of an .npz (at most MAX_NPZ_BYTES, never unpickled)."""
    if path.stat().st_size > MAX_NPZ_BYTES:
        raise CheckpointError(
            "{path} is larger than {max_npz_bytes} bytes", path=path, max_npz_bytes=MAX_NPZ_BYTES
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: np.asarray(z[k]) for k in keys}
    except Exception as exc:
        raise CheckpointError(
            "{path} could not be read ({reason}); restore it or re-train", path=path, reason=exc
        ) from exc


def meta_entry(meta: dict[str, Any]) -> np.ndarray:
    """An .npz entry holding `meta` (what a stored result was computed from) as JSON text."""
    return np.array(json.dumps(meta, sort_keys=True))


def read_meta_entry(entry: np.ndarray | None, name: str) -> dict[str, Any]:
    """The dict of a `meta_entry` read back from file `name`; CheckpointError if it is not one."""
    if entry is None or entry.shape != () or entry.dtype.kind != "U":
        raise CheckpointError("{name} has no text 'meta' entry", name=name)
    try:
        meta = json.loads(str(entry))
    except ValueError as exc:
        raise CheckpointError(
            "{name}'s meta is not JSON ({reason})", name=name, reason=exc
        ) from exc
    if not isinstance(meta, dict):
        raise CheckpointError("{name}'s meta is not a JSON object", name=name)
    return meta


# --- safetensors headers ------------------------------------------------------------------


def weights_kind(head: bytes, size: int) -> Literal["safetensors", "pickle", "other"]:
    """What a weights file is, from its first 9 bytes and its size.

    A safetensors file starts with an 8-byte little-endian header length followed by '{';
    its first byte can be 0x80 (e.g. a 640-byte header), so that shape is checked first.
    A torch.save file is a zip ('PK') or a raw pickle (0x80).
    """
    n = int.from_bytes(head[:8], "little")
    if len(head) >= 9 and head[8:9] == b"{" and 2 <= n <= min(size - 8, MAX_HEADER_BYTES):
        return "safetensors"
    return "pickle" if head[:1] == b"\x80" or head[:2] == b"PK" else "other"


def check_weights_header(path: Path) -> None:
    """Cheap structural check of a safetensors file (header only, nothing loaded).

    Messages name the file by its name alone (they are shown beside the run's name).
    """
    if not path.is_file():
        raise CheckpointError(
            "{name} is missing: the run is still training, was interrupted before its "
            "first epoch, or was copied without its weights",
            name=path.name,
        )
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(9)
        kind = weights_kind(head, size)
        if kind == "pickle":
            raise CheckpointError(
                "{name} is a pickle, not safetensors; pickles are never loaded", name=path.name
            )
        if kind == "other":
            raise CheckpointError("{name} is empty, truncated or not safetensors", name=path.name)
        n = int.from_bytes(head[:8], "little")
        try:
            header = json.loads(b"{" + f.read(n - 1))
        except ValueError as exc:
            raise CheckpointError(
                "{name} has an unreadable header ({reason})", name=path.name, reason=exc
            ) from exc
    if not isinstance(header, dict):
        raise CheckpointError("{name} has an invalid header", name=path.name)
    ends = [
        int(v["data_offsets"][1])
        for k, v in header.items()
        if k != "__metadata__" and isinstance(v, dict) and "data_offsets" in v
    ]
    if ends and max(ends) > size - 8 - n:
        raise CheckpointError("{name} is truncated (shorter than its header says)", name=path.name)
