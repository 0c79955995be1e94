"""The `onnx-vae/1` folder: vae.json, the files it may hold, their size caps and path checks."""

from __future__ import annotations

import json
import math
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vae.errors import Message
from vae.model.config import LIKELIHOODS, MAX_LATENT
from vae.runfolder.files import CheckpointError

FORMAT = "onnx-vae/1"
VAE_JSON = "vae.json"
ENCODER_FILE = "encoder.onnx"
DECODER_FILE = "decoder.onnx"
IMAGES_FILE = "images.npz"
DECODER_OUTPUTS = ("logits", "mean")

MAX_VAE_JSON_BYTES = 1024 * 1024
"""vae.json above 1 MiB is refused: the real thing is a few hundred bytes."""
MAX_GRAPH_BYTES = 64 * 1024 * 1024
"""An encoder.onnx or decoder.onnx (the graph, weights inline or not) above 64 MiB is refused."""
MAX_EXTERNAL_BYTES = 512 * 1024 * 1024
"""All external weight data of one graph above 512 MiB (128M float32 values) is refused."""
MAX_IMAGES_BYTES = 64 * 1024 * 1024
"""images.npz above 64 MiB on disk is refused."""
MAX_IMAGES_UNPACKED_BYTES = 256 * 1024 * 1024
"""An images.npz member that would unpack to more than 256 MiB is refused (a zip bomb)."""


class OnnxFolderError(CheckpointError):
    """An imported-model folder is invalid; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class VaeJson:
    """The contents of vae.json, validated."""

    image_shape: tuple[int, int, int]  # (C, H, W)
    latent_dim: int
    likelihood: str
    decoder_output: str
    classes: tuple[str, ...] = ()
    dataset: str | None = None
    gaussian_sigma: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON object written to vae.json."""
        d: dict[str, Any] = {
            "format": FORMAT,
            "image_shape": list(self.image_shape),
            "latent_dim": self.latent_dim,
            "likelihood": self.likelihood,
            "decoder_output": self.decoder_output,
        }
        if self.classes:
            d["classes"] = list(self.classes)
        if self.dataset is not None:
            d["dataset"] = self.dataset
        if self.gaussian_sigma is not None:
            d["gaussian_sigma"] = self.gaussian_sigma
        return d


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _field_error(path: Path, name: str, problem: Message) -> OnnxFolderError:
    return OnnxFolderError(
        "{path}: field {name!r} {problem}. Fix vae.json (format {format}).",
        path=path,
        name=name,
        problem=problem,
        format=FORMAT,
    )


def parse_vae_json(raw: Any, path: Path) -> VaeJson:
    """Validate a decoded vae.json object; OnnxFolderError names the first bad field."""
    if not isinstance(raw, dict):
        raise OnnxFolderError(
            "{path} must hold a JSON object with the fields of {format}", path=path, format=FORMAT
        )
    if raw.get("format") != FORMAT:
        raise _field_error(
            path,
            "format",
            Message("must be {format!r}, got {got!r}", format=FORMAT, got=raw.get("format")),
        )
    for name in ("image_shape", "latent_dim", "likelihood", "decoder_output"):
        if name not in raw:
            raise _field_error(path, name, Message("is missing"))
    shape = raw["image_shape"]
    if not (
        isinstance(shape, list) and len(shape) == 3 and all(_is_int(s) and s > 0 for s in shape)
    ):
        raise _field_error(
            path,
            "image_shape",
            Message("must be [C, H, W] positive integers: {shape!r}", shape=shape),
        )
    if shape[0] not in (1, 3) or max(shape[1:]) > 256:
        raise _field_error(
            path, "image_shape", Message("needs 1 or 3 channels, H, W <= 256: {shape}", shape=shape)
        )
    d = raw["latent_dim"]
    if not (_is_int(d) and 1 <= d <= MAX_LATENT):
        raise _field_error(
            path,
            "latent_dim",
            Message("must be an integer from 1 to {max_latent}: {d!r}", max_latent=MAX_LATENT, d=d),
        )
    lik = raw["likelihood"]
    if lik not in LIKELIHOODS:
        raise _field_error(
            path,
            "likelihood",
            Message(
                "must be one of {choices}: {likelihood!r}",
                choices=list(LIKELIHOODS),
                likelihood=lik,
            ),
        )
    out = raw["decoder_output"]
    if out not in DECODER_OUTPUTS:
        raise _field_error(
            path,
            "decoder_output",
            Message(
                "must be one of {choices}: {output!r}",
                choices=list(DECODER_OUTPUTS),
                output=out,
            ),
        )
    classes = raw.get("classes", [])
    if not (isinstance(classes, list) and all(isinstance(c, str) for c in classes)):
        raise _field_error(path, "classes", Message("must be a list of strings"))
    dataset = raw.get("dataset")
    if dataset is not None and not (isinstance(dataset, str) and dataset):
        raise _field_error(
            path,
            "dataset",
            Message("must be a data set name such as 'mnist': {dataset!r}", dataset=dataset),
        )
    sigma = raw.get("gaussian_sigma")
    if sigma is not None:
        ok = isinstance(sigma, (int, float)) and not isinstance(sigma, bool)
        if lik != "gaussian" or not ok or not (math.isfinite(sigma) and sigma > 0):
            raise _field_error(
                path,
                "gaussian_sigma",
                Message("must be a positive number, and only for gaussian: {sigma!r}", sigma=sigma),
            )
        sigma = float(sigma)
    return VaeJson((shape[0], shape[1], shape[2]), d, lik, out, tuple(classes), dataset, sigma)


def folder_file(folder: Path, name: str, cap: int, what: Message) -> Path:
    """folder/name as a regular file inside the folder (no symlink out), at most cap bytes."""
    path = folder / name
    root = folder.resolve()
    real = path.resolve()
    if real != root and root not in real.parents:
        raise OnnxFolderError(
            "{path} points outside the folder (to {real}); copy the file into the folder "
            "instead of linking to it",
            path=path,
            real=real,
        )
    try:
        st = real.stat()
    except OSError as exc:
        raise OnnxFolderError(
            "{path} is missing: {what}. Add it to the folder.", path=path, what=what
        ) from exc
    if not stat.S_ISREG(st.st_mode):
        raise OnnxFolderError("{path} is not a regular file: {what}", path=path, what=what)
    if st.st_size > cap:
        raise OnnxFolderError(
            "{path} is {size:,} bytes, above the limit of {cap:,} for {what}; "
            "export a smaller model",
            path=path,
            size=st.st_size,
            cap=cap,
            what=what,
        )
    return real


def read_vae_json(folder: str | Path) -> VaeJson:
    """Read and validate folder/vae.json."""
    folder = Path(folder)
    path = folder_file(folder, VAE_JSON, MAX_VAE_JSON_BYTES, Message("the model description"))
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise OnnxFolderError(
            "{path} is not valid JSON ({reason}); fix it", path=folder / VAE_JSON, reason=exc
        ) from exc
    return parse_vae_json(raw, folder / VAE_JSON)


def is_onnx_folder(path: str | Path) -> bool:
    """True when path is a folder holding a vae.json (valid or not): an imported model."""
    p = Path(path)
    return p.is_dir() and (p / VAE_JSON).exists()
