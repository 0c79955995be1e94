"""Checkpoint folders: atomic writes, and loading that validates everything and never unpickles."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as st_save

from vae.config import FORMAT_VERSION, ConfigError, ModelConfig, TrainConfig
from vae.models import VAE

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.jsonl"
PREVIEW_FILE = "preview.npz"
SNAPSHOTS_FILE = "snapshots.npz"
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_PREVIEW_BYTES = 64 * 1024 * 1024


class CheckpointError(Exception):
    """Anything wrong with a checkpoint folder; the message says what and what to do."""


@dataclass(frozen=True)
class RunConfig:
    """The contents of config.json."""

    model: ModelConfig
    train: TrainConfig
    dataset: str
    classes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "model": self.model.to_dict(),
            "train": self.train.to_dict(),
            "dataset": self.dataset,
            "classes": list(self.classes),
        }


@dataclass
class Checkpoint:
    """A loaded run: the model in eval mode and everything the pages show about it."""

    path: Path
    model: VAE
    config: RunConfig
    metrics: dict[str, Any]
    history: list[dict[str, Any]]
    preview_x: np.ndarray  # (N, C, H, W) uint8
    preview_y: np.ndarray  # (N,) int64
    epoch: int = 0
    snapshots: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name


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
    data = st_save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, metadata=meta)
    atomic_write(path, lambda f: f.write(data))


def save_model(folder: Path, model: VAE, epoch: int) -> None:
    write_tensors(folder / MODEL_FILE, dict(model.state_dict()), {"epoch": str(epoch)})


# --- reading ------------------------------------------------------------------------------


def _read_json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise CheckpointError(f"{path} is missing: {what}. Re-train or restore the folder.")
    if path.stat().st_size > MAX_JSON_BYTES:
        raise CheckpointError(f"{path} is larger than {MAX_JSON_BYTES} bytes; it is not a {what}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path} is not valid JSON ({exc}); restore it or re-train") from exc


def read_config(folder: Path) -> RunConfig:
    """Parse and validate config.json."""
    raw = _read_json(folder / CONFIG_FILE, "the run's configuration")
    if not isinstance(raw, dict):
        raise CheckpointError(f"{folder / CONFIG_FILE} must hold a JSON object")
    version = raw.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError(f"{folder / CONFIG_FILE} has no valid format_version")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{folder.name} was written in checkpoint format {version}, newer than this version "
            f"understands ({FORMAT_VERSION}); upgrade the app to open it"
        )
    if version < 1:
        raise CheckpointError(f"{folder / CONFIG_FILE} has an invalid format_version {version}")
    try:
        model = ModelConfig.from_dict(raw.get("model"))  # type: ignore[arg-type]
        train = TrainConfig.from_dict(raw.get("train", {}))
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(f"{folder / CONFIG_FILE} is invalid: {exc}") from exc
    dataset = raw.get("dataset", train.dataset)
    classes = raw.get("classes", [])
    if not isinstance(dataset, str) or not isinstance(classes, list):
        raise CheckpointError(f"{folder / CONFIG_FILE}: dataset must be a string, classes a list")
    return RunConfig(model, train, dataset, tuple(str(c) for c in classes))


def read_history(folder: Path) -> list[dict[str, Any]]:
    """history.jsonl as a list of dicts; a missing file is an empty history."""
    path = folder / HISTORY_FILE
    if not path.is_file():
        return []
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise CheckpointError(f"{path} line {n} is not valid JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise CheckpointError(f"{path} line {n} is not a JSON object")
        rows.append(row)
    return rows


def _looks_pickled(head: bytes, size: int) -> bool:
    """True for a torch.save file (zip or raw pickle) that is not a safetensors file.

    A safetensors file starts with an 8-byte little-endian header length followed by '{';
    its first byte can be 0x80 (e.g. a 640-byte header), so check that shape first.
    """
    header_len = int.from_bytes(head[:8], "little")
    if head[8:9] == b"{" and 2 <= header_len <= size - 8:
        return False
    return head[:1] == b"\x80" or head[:2] == b"PK"


def read_weights(path: Path, model: VAE) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read safetensors weights that must match the model's names and shapes exactly."""
    if not path.is_file():
        raise CheckpointError(f"{path} is missing: the model weights. Re-train or restore it.")
    with path.open("rb") as f:
        head = f.read(9)
    if _looks_pickled(head, path.stat().st_size):
        raise CheckpointError(
            f"{path} is a pickle (a torch.save file), not safetensors; pickles can run code and "
            "are never loaded. Convert it with safetensors.torch.save_file(state_dict, ...)"
        )
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    tensors: dict[str, torch.Tensor] = {}
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            keys = set(f.keys())
            if keys != set(expected):
                missing = sorted(set(expected) - keys)[:3]
                extra = sorted(keys - set(expected))[:3]
                raise CheckpointError(
                    f"{path} does not match config.json: missing {missing}, unexpected {extra}. "
                    "The weights and the config come from different runs; re-train."
                )
            for k in sorted(keys):
                shape = tuple(f.get_slice(k).get_shape())
                if shape != expected[k]:
                    raise CheckpointError(
                        f"{path}: tensor {k} has shape {shape} but config.json implies "
                        f"{expected[k]}; the weights and the config do not belong together"
                    )
            for k in sorted(keys):
                tensors[k] = f.get_tensor(k)
    except CheckpointError:
        raise
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path} is not a readable safetensors file ({exc}); it may be truncated. "
            "Restore it or re-train."
        ) from exc
    for k, v in tensors.items():
        if not v.is_floating_point():
            raise CheckpointError(f"{path}: tensor {k} has dtype {v.dtype}; expected floats")
        if not torch.isfinite(v).all():
            raise CheckpointError(
                f"{path}: tensor {k} holds NaN or infinite values; the run diverged. "
                "Re-train with a smaller learning rate."
            )
    return tensors, dict(meta)


def _read_npz(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    if path.stat().st_size > MAX_PREVIEW_BYTES:
        raise CheckpointError(f"{path} is larger than {MAX_PREVIEW_BYTES} bytes")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: np.asarray(z[k]) for k in keys}
    except Exception as exc:
        raise CheckpointError(f"{path} could not be read ({exc}); restore it or re-train") from exc


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load and validate a checkpoint folder. Raises CheckpointError for anything wrong."""
    folder = Path(path)
    if not folder.is_dir():
        raise CheckpointError(f"{folder} is not a checkpoint folder (it does not exist)")
    config = read_config(folder)
    model = VAE(config.model)
    tensors, meta = read_weights(folder / MODEL_FILE, model)
    model.load_state_dict(tensors)
    model.eval().requires_grad_(False)
    metrics = (
        _read_json(folder / METRICS_FILE, "final metrics")
        if (folder / METRICS_FILE).exists()
        else {}
    )
    if not isinstance(metrics, dict):
        raise CheckpointError(f"{folder / METRICS_FILE} must hold a JSON object")
    shape = config.model.image_shape
    preview_x = np.zeros((0, *shape), np.uint8)
    preview_y = np.zeros((0,), np.int64)
    if (folder / PREVIEW_FILE).is_file():
        arrays = _read_npz(folder / PREVIEW_FILE, ("images", "labels"))
        preview_x, preview_y = arrays["images"], arrays["labels"].astype(np.int64)
        if (
            preview_x.dtype != np.uint8
            or preview_x.shape[1:] != shape
            or len(preview_y) != len(preview_x)
        ):
            raise CheckpointError(
                f"{folder / PREVIEW_FILE} holds images of shape {preview_x.shape} "
                f"({preview_x.dtype}); "
                f"expected uint8 (N, {', '.join(map(str, shape))}) with one label each"
            )
    snapshots: dict[str, np.ndarray] = {}
    if (folder / SNAPSHOTS_FILE).is_file():
        snapshots = _read_npz(folder / SNAPSHOTS_FILE, ("epochs", "mu", "index"))
    try:
        epoch = int(meta.get("epoch", "0"))
    except ValueError:
        epoch = 0
    return Checkpoint(
        folder, model, config, metrics, read_history(folder), preview_x, preview_y, epoch, snapshots
    )


def is_finite_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
