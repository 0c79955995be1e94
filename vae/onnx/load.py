"""load_onnx_folder: an `onnx-vae/1` folder as a Checkpoint every page can show."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch

from vae.data import DatasetError, load_dataset
from vae.errors import Message
from vae.onnx.adapter import (
    ImportedModelConfig,
    OnnxVAE,
    constant_log_scale,
    gaussian_log_scale,
    make_session,
)
from vae.onnx.checks import check_io, trial_run
from vae.onnx.graphs import read_graph
from vae.onnx.spec import (
    DECODER_FILE,
    ENCODER_FILE,
    FORMAT,
    IMAGES_FILE,
    MAX_IMAGES_BYTES,
    MAX_IMAGES_UNPACKED_BYTES,
    OnnxFolderError,
    VaeJson,
    folder_file,
    read_vae_json,
)
from vae.runfolder.checkpoint import Checkpoint
from vae.runfolder.config import RunConfig
from vae.training.config import TrainConfig
from vae.training.evaluate import evaluate_model

PREVIEW_COUNT = 3000
"""Images taken from the named data set's test split when the folder has no images.npz."""
_T = onnx.TensorProto
_FLOAT_TYPES = (_T.FLOAT, _T.FLOAT16, _T.DOUBLE, _T.BFLOAT16)
IMPORTED_MARK = "imported"
"""Key in the imported run's TrainConfig.extra: its value is the folder format, onnx-vae/1."""


def _read_images(folder: Path, spec: VaeJson) -> tuple[np.ndarray, np.ndarray]:
    """images.npz: uint8 (N, C, H, W) and labels (N,), read without pickle; labels optional."""
    path = folder_file(folder, IMAGES_FILE, MAX_IMAGES_BYTES, Message("the images to explore"))
    try:
        with zipfile.ZipFile(path) as zf:
            big = [i.filename for i in zf.infolist() if i.file_size > MAX_IMAGES_UNPACKED_BYTES]
        if big:
            raise OnnxFolderError(
                "{path}: {member} unpacks to more than {limit:,} bytes; keep fewer images",
                path=folder / IMAGES_FILE,
                member=big[0],
                limit=MAX_IMAGES_UNPACKED_BYTES,
            )
        with np.load(path, allow_pickle=False) as z:
            if "images" not in z.files:
                raise OnnxFolderError(
                    "{path} has no array named 'images'", path=folder / IMAGES_FILE
                )
            x = np.asarray(z["images"])
            y = np.asarray(z["labels"]) if "labels" in z.files else np.zeros(len(x), np.int64)
    except OnnxFolderError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise OnnxFolderError(
            "{path} could not be read ({reason}); write it with "
            "np.savez(path, images=uint8 (N, C, H, W), labels=int (N,))",
            path=folder / IMAGES_FILE,
            reason=exc,
        ) from exc
    shape = spec.image_shape
    if x.dtype != np.uint8 or x.ndim != 4 or tuple(x.shape[1:]) != shape or len(x) == 0:
        raise OnnxFolderError(
            "{path}: images are {dtype} {shape}; expected uint8 "
            "(N, {expected}) with N >= 1, pixel values 0..255",
            path=folder / IMAGES_FILE,
            dtype=x.dtype,
            shape=tuple(x.shape),
            expected=", ".join(map(str, shape)),
        )
    if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
        raise OnnxFolderError(
            "{path}: labels are {dtype} {shape}; expected integers of shape ({n},), one per image",
            path=folder / IMAGES_FILE,
            dtype=y.dtype,
            shape=tuple(y.shape),
            n=len(x),
        )
    if spec.classes and (y.min() < 0 or y.max() >= len(spec.classes)):
        raise OnnxFolderError(
            "{path}: labels run from {min} to {max}, but vae.json "
            "names {n} classes; labels must be 0..{last}",
            path=folder / IMAGES_FILE,
            min=y.min(),
            max=y.max(),
            n=len(spec.classes),
            last=len(spec.classes) - 1,
        )
    return np.ascontiguousarray(x), y.astype(np.int64)


def explored_images(folder: Path, spec: VaeJson, limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """images.npz, else the test split of vae.json's data set (first `limit`, 0: all)."""
    if (folder / IMAGES_FILE).exists() or (folder / IMAGES_FILE).is_symlink():
        x, y = _read_images(folder, spec)
    elif spec.dataset is None:
        raise OnnxFolderError(
            "{folder} has no {images_file} and vae.json names no dataset; add one of them "
            "so the pages have images to explore",
            folder=folder,
            images_file=IMAGES_FILE,
        )
    else:
        c, h, _ = spec.image_shape
        try:
            data = load_dataset(spec.dataset, image_size=h, channels=c)
        except DatasetError as exc:
            raise OnnxFolderError("{folder}: {reason}", folder=folder, reason=exc) from exc
        if data.image_shape != spec.image_shape:
            raise OnnxFolderError(
                "{folder}: {dataset} images are {image_shape}, vae.json says "
                "{expected}; fix image_shape or dataset",
                folder=folder,
                dataset=spec.dataset,
                image_shape=data.image_shape,
                expected=spec.image_shape,
            )
        x, y = data.test_x.numpy(), data.test_y.numpy()
    return (x[:limit], y[:limit]) if limit else (x, y)


def load_model(path: str | Path) -> OnnxVAE:
    """Check everything in the folder and return the model; OnnxFolderError if anything is off."""
    folder = Path(path)
    if not folder.is_dir():
        raise OnnxFolderError(
            "{folder} is not an imported-model folder (it does not exist)", folder=folder
        )
    spec = read_vae_json(folder)
    enc_graph = read_graph(folder, ENCODER_FILE)
    dec_graph = read_graph(folder, DECODER_FILE)
    has_scale = check_io(folder, spec, enc_graph, dec_graph)
    enc, dec = make_session(enc_graph), make_session(dec_graph)
    outs = trial_run(folder, spec, enc, dec)
    log_scale = gaussian_log_scale(spec, has_scale)
    if has_scale:
        log_scale = constant_log_scale(outs, spec.image_shape, folder / DECODER_FILE)
    count = sum(
        int(np.prod(t.dims))
        for g in (enc_graph, dec_graph)
        for t in g.graph.initializer
        if t.data_type in _FLOAT_TYPES  # weights, not the int64 shapes of Reshape and Split
    )
    config = ImportedModelConfig(
        image_shape=spec.image_shape,
        latent_dim=spec.latent_dim,
        likelihood=spec.likelihood,
        parameters=count,
    )
    return OnnxVAE(config, spec, enc, dec, dec_graph, log_scale, folder)


def run_config(model: OnnxVAE) -> RunConfig:
    """RunConfig of an imported model: no training; TrainConfig.extra carries the mark."""
    spec = model.spec
    c, h, _ = spec.image_shape
    name = spec.dataset or "imported"
    train = TrainConfig(
        dataset=name, epochs=0, image_size=h, channels=c, extra={IMPORTED_MARK: FORMAT}
    )
    return RunConfig(model.config, train, name, spec.classes)


def load_onnx_folder(path: str | Path, metrics: bool = True) -> Checkpoint:
    """Load and validate an imported folder as a Checkpoint; metrics on its preview images."""
    folder = Path(path)
    model = load_model(folder)
    limit = 0 if (folder / IMAGES_FILE).exists() else PREVIEW_COUNT
    x, y = explored_images(folder, model.spec, limit)
    figures: dict[str, Any] = {}
    if metrics:
        m = evaluate_model(model, torch.from_numpy(x))
        figures = {k: m[k] for k in ("test_elbo", "test_recon", "test_kl", "active_units")}
        figures["test_images"] = len(x)
    return Checkpoint(folder, model, run_config(model), figures, [], x, y, 0, {}, imported=True)


def evaluate_folder(path: str | Path, iwae_samples: int = 0, limit: int = 0) -> dict[str, Any]:
    """evaluate_model's figures for an imported folder on images.npz or the named test split."""
    folder = Path(path)
    model = load_model(folder)
    x, _ = explored_images(folder, model.spec, limit)
    return evaluate_model(model, torch.from_numpy(x), False, iwae_samples)


def is_imported(ckpt: Checkpoint) -> bool:
    """True for a Checkpoint that load_onnx_folder made (its model runs on onnxruntime)."""
    return ckpt.imported
