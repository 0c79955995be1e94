"""Loading a checkpoint folder: validate everything, never unpickle (its files: files.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open

from vae.model.networks import VAE
from vae.runfolder.config import RunConfig, read_config, read_history, read_metrics
from vae.runfolder.files import (
    MODEL_FILE,
    PREVIEW_FILE,
    SNAPSHOTS_FILE,
    CheckpointError,
    read_npz,
    weights_kind,
    write_tensors,
)

__all__ = ["Checkpoint", "CheckpointError", "load_checkpoint", "save_model"]


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
    imported: bool = False  # an onnx-vae/1 folder (vae.onnx): trained elsewhere

    @property
    def name(self) -> str:
        return self.path.name


def save_model(folder: Path, model: VAE, epoch: int) -> None:
    write_tensors(folder / MODEL_FILE, dict(model.state_dict()), {"epoch": str(epoch)})


# --- reading ------------------------------------------------------------------------------


def read_weights(path: Path, model: VAE) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read safetensors weights that must match the model's names and shapes exactly."""
    if not path.is_file():
        raise CheckpointError(
            "{path} is missing: the model weights. Re-train or restore it.", path=path
        )
    with path.open("rb") as f:
        head = f.read(9)
    if weights_kind(head, path.stat().st_size) == "pickle":
        raise CheckpointError(
            "{path} is a pickle (a torch.save file), not safetensors; pickles can run code and "
            "are never loaded. Convert it with safetensors.torch.save_file(state_dict, ...)",
            path=path,
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
                    "{path} does not match config.json: missing {missing}, unexpected {extra}. "
                    "The weights and the config come from different runs; re-train.",
                    path=path,
                    missing=missing,
                    extra=extra,
                )
            for k in sorted(keys):
                shape = tuple(f.get_slice(k).get_shape())
                if shape != expected[k]:
                    raise CheckpointError(
                        "{path}: tensor {k} has shape {shape} but config.json implies "
                        "{expected}; the weights and the config do not belong together",
                        path=path,
                        k=k,
                        shape=shape,
                        expected=expected[k],
                    )
            for k in sorted(keys):
                tensors[k] = f.get_tensor(k)
    except CheckpointError:
        raise
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            "{path} is not a readable safetensors file ({reason}); it may be truncated. "
            "Restore it or re-train.",
            path=path,
            reason=exc,
        ) from exc
    for k, v in tensors.items():
        if not v.is_floating_point():
            raise CheckpointError(
                "{path}: tensor {k} has dtype {dtype}; expected floats",
                path=path,
                k=k,
                dtype=v.dtype,
            )
        if not torch.isfinite(v).all():
            raise CheckpointError(
                "{path}: tensor {k} holds NaN or infinite values; the run diverged. "
                "Re-train with a smaller learning rate.",
                path=path,
                k=k,
            )
    return tensors, dict(meta)


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load and validate a checkpoint folder. Raises CheckpointError for anything wrong.

    An imported-model folder (vae.json: format onnx-vae/1) is loaded by vae.onnx.load.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise CheckpointError(
            "{folder} is not a checkpoint folder (it does not exist)", folder=folder
        )
    from vae.onnx import is_onnx_folder

    if is_onnx_folder(folder):
        from vae.onnx.load import load_onnx_folder  # it imports this module

        return load_onnx_folder(folder)
    config = read_config(folder)
    model = VAE(config.model)
    tensors, meta = read_weights(folder / MODEL_FILE, model)
    model.load_state_dict(tensors)
    model.eval().requires_grad_(False)
    metrics = read_metrics(folder)
    shape = config.model.image_shape
    preview_x = np.zeros((0, *shape), np.uint8)
    preview_y = np.zeros((0,), np.int64)
    if (folder / PREVIEW_FILE).is_file():
        arrays = read_npz(folder / PREVIEW_FILE, ("images", "labels"))
        preview_x, preview_y = arrays["images"], arrays["labels"].astype(np.int64)
        if (
            preview_x.dtype != np.uint8
            or preview_x.shape[1:] != shape
            or len(preview_y) != len(preview_x)
        ):
            raise CheckpointError(
                "{path} holds images of shape {shape} "
                "({dtype}); "
                "expected uint8 (N, {expected}) with one label each",
                path=folder / PREVIEW_FILE,
                shape=preview_x.shape,
                dtype=preview_x.dtype,
                expected=", ".join(map(str, shape)),
            )
    snapshots: dict[str, np.ndarray] = {}
    if (folder / SNAPSHOTS_FILE).is_file():
        snapshots = read_npz(folder / SNAPSHOTS_FILE, ("epochs", "mu", "index"))
    try:
        epoch = int(meta.get("epoch", "0"))
    except ValueError:
        epoch = 0
    return Checkpoint(
        folder, model, config, metrics, read_history(folder), preview_x, preview_y, epoch, snapshots
    )


def is_finite_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
