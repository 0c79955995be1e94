"""The Overview's first prior samples, stored with a checkpoint so its first draw needs no torch.

The Overview decodes 64 codes z ~ N(0, I) drawn with seed 0 (`prior_codes`). `store` writes
those pictures to samples.npz with what they were made from: the SHA-256 of the weights file
and of config.json, the seed and the epoch. `read_cover` gives the run's configuration,
figures and those pictures, read without torch, only when both files are still the ones they
were made from; a stale or missing file gives None (the page then loads the model and
decodes), a malformed one raises CheckpointError. Training writes the file when a run
finishes; scripts/store_samples.py writes it for existing runs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vae.analysis.pictures import to_pixels
from vae.runfolder.config import RunConfig, read_config, read_metrics
from vae.runfolder.files import (
    CONFIG_FILE,
    MODEL_FILE,
    SAMPLES_FILE,
    CheckpointError,
    file_sha256,
    meta_entry,
    read_meta_entry,
    read_npz,
    write_npz,
)

if TYPE_CHECKING:
    from vae.model.networks import VAE

FORMAT = 1
COUNT = 64  # the Overview's 8 × 8 tiles
SEED = 0  # the Overview's first draw


def prior_codes(latent_dim: int, seed: int, count: int = COUNT) -> np.ndarray:
    """The Overview's draw number `seed`: (count, latent_dim) codes from N(0, I), float64."""
    return np.random.default_rng(seed).standard_normal((count, latent_dim))


@dataclass(frozen=True)
class Cover:
    """What the Overview shows of a run, read from its files: no weights loaded, no torch."""

    path: Path
    config: RunConfig
    metrics: dict[str, Any]
    epoch: int
    samples: np.ndarray  # (COUNT, C, H, W) uint8: draw SEED, decoded
    imported: bool = False  # imported models have no stored samples

    @property
    def name(self) -> str:
        return self.path.name


def _source(run: Path) -> dict[str, str]:
    return {
        "weights_sha256": file_sha256(run / MODEL_FILE),
        "config_sha256": file_sha256(run / CONFIG_FILE),
    }


def store(run: Path, model: VAE) -> None:
    """Decode draw SEED with `model` (the weights in run's model.safetensors) into samples.npz.

    Decoded on the CPU in eval mode, as the app decodes, on a copy of the model; the epoch is
    the weights file's own.
    """
    from safetensors import safe_open

    from vae.analysis.explore import decode

    with safe_open(str(run / MODEL_FILE), framework="np") as f:
        written = (f.metadata() or {}).get("epoch", "0")
    epoch = int(written) if written.isdigit() else 0  # as load_checkpoint reads it

    cpu = copy.deepcopy(model).cpu().eval()
    pixels = to_pixels(decode(cpu, prior_codes(cpu.config.latent_dim, SEED)))
    meta = {"format": FORMAT, "seed": SEED, "count": COUNT, "epoch": epoch, **_source(run)}
    write_npz(run / SAMPLES_FILE, meta=meta_entry(meta), images=pixels)


def read_cover(run: Path) -> Cover | None:
    """The run's Cover when its samples.npz matches its weights and configuration, else None.

    Raises CheckpointError for a malformed samples.npz, config.json or metrics.json.
    """
    run = Path(run)
    path = run / SAMPLES_FILE
    if not path.is_file() or not (run / MODEL_FILE).is_file():
        return None
    arrays = read_npz(path, ("meta", "images"))
    meta, pixels = read_meta_entry(arrays["meta"], path.name), arrays["images"]
    if meta.get("format") != FORMAT or meta.get("seed") != SEED or meta.get("count") != COUNT:
        return None
    if any(meta.get(k) != v for k, v in _source(run).items()):
        return None  # the weights or the configuration changed since: decode afresh
    config = read_config(run)
    shape = (COUNT, *config.model.image_shape)
    if pixels.dtype != np.uint8 or pixels.shape != shape:
        raise CheckpointError(
            "{name} holds {dtype} images of shape {got}; expected uint8 {expected}",
            name=path.name,
            dtype=pixels.dtype,
            got=pixels.shape,
            expected=shape,
        )
    epoch = meta.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise CheckpointError("{name}: its epoch must be a whole number", name=path.name)
    return Cover(run, config, read_metrics(run), epoch, pixels)
