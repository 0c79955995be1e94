"""Typed, frozen configuration for models and training runs (no YAML, no exec)."""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

ARCHS = ("mlp", "conv")
LIKELIHOODS = ("bernoulli", "gaussian")
DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_LATENT = 64
MAX_PARAMETERS = 50_000_000  # about 200 MB of float32: refuse anything larger
FORMAT_VERSION = 1


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the field."""


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ConfigError(message)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a VAE: encoder/decoder family, image shape, latent size, likelihood."""

    arch: str = "mlp"
    image_shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W)
    latent_dim: int = 2
    hidden_dims: tuple[int, ...] = (512, 256)  # MLP widths, or conv channels
    likelihood: str = "bernoulli"

    def __post_init__(self) -> None:
        _check(self.arch in ARCHS, f"arch must be one of {', '.join(ARCHS)}, got {self.arch!r}")
        _check(
            self.likelihood in LIKELIHOODS,
            f"likelihood must be one of {', '.join(LIKELIHOODS)}, got {self.likelihood!r}",
        )
        _check(
            _is_int(self.latent_dim) and 1 <= self.latent_dim <= MAX_LATENT,
            f"latent_dim must be a whole number from 1 to {MAX_LATENT}, got {self.latent_dim!r}",
        )
        shape = tuple(self.image_shape)
        _check(
            len(shape) == 3 and all(_is_int(s) and s > 0 for s in shape),
            f"image_shape must be three positive whole numbers (C, H, W), got {self.image_shape!r}",
        )
        _check(shape[0] in (1, 3), f"image_shape channels must be 1 or 3, got {shape[0]}")
        _check(
            all(s <= 256 for s in shape[1:]),
            f"image_shape height and width must be at most 256, got {shape[1]}x{shape[2]}",
        )
        dims = tuple(self.hidden_dims)
        _check(
            1 <= len(dims) <= 6 and all(_is_int(d) and 1 <= d <= 8192 for d in dims),
            f"hidden_dims must be 1 to 6 whole numbers from 1 to 8192, got {self.hidden_dims!r}",
        )
        if self.arch == "conv":
            factor = 2 ** len(dims)
            _check(
                shape[1] % factor == 0 and shape[2] % factor == 0,
                f"the conv architecture with {len(dims)} layers needs height and width "
                f"divisible by {factor}, got {shape[1]}x{shape[2]}; use --arch mlp or resize",
            )
        object.__setattr__(self, "image_shape", shape)
        object.__setattr__(self, "hidden_dims", dims)
        _check(
            self.parameter_count() <= MAX_PARAMETERS,
            f"this model would have {self.parameter_count():,} parameters, more than the "
            f"limit of {MAX_PARAMETERS:,}; choose smaller hidden_dims",
        )

    @property
    def input_size(self) -> int:
        c, h, w = self.image_shape
        return c * h * w

    def parameter_count(self) -> int:
        """Number of weights the model will have, computed without building it."""
        c, h, w = self.image_shape
        z = self.latent_dim
        dims = self.hidden_dims
        if self.arch == "mlp":
            widths = [self.input_size, *dims]
            enc = sum(a * b + b for a, b in itertools.pairwise(widths))
            enc += dims[-1] * 2 * z + 2 * z
            dec = z * dims[-1] + dims[-1]
            rev = [*reversed(dims), self.input_size]
            dec += sum(a * b + b for a, b in itertools.pairwise(rev))
        else:
            chans = [c, *dims]
            conv = sum(a * b * 16 + b for a, b in itertools.pairwise(chans))
            flat = dims[-1] * (h // 2 ** len(dims)) * (w // 2 ** len(dims))
            enc = conv + flat * 2 * z + 2 * z
            dec = conv - sum(chans[1:]) + sum(chans[:-1]) + z * flat + flat
        extra = self.input_size if self.likelihood == "gaussian" else 0
        return enc + dec + extra

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["image_shape"] = list(self.image_shape)
        d["hidden_dims"] = list(self.hidden_dims)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelConfig:
        return cls(**_known(cls, d, "model"))


@dataclass(frozen=True)
class TrainConfig:
    """How a model is trained: data, optimiser, schedule, seed, device."""

    dataset: str = "mnist"
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    beta: float = 1.0
    warmup_epochs: int = 0
    lr_anneal_epochs: int = 0  # the last N epochs lower lr along a half cosine
    binarize: bool = False
    seed: int = 0
    device: str = "auto"
    image_size: int = 28  # only for folder: datasets
    channels: int = 1  # only for folder: datasets
    snapshot_points: int = 1000  # preview points encoded after each epoch (0: none)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(
            isinstance(self.dataset, str) and self.dataset != "",
            "dataset must be a name such as mnist",
        )
        _check(
            _is_int(self.epochs) and 0 <= self.epochs <= 100_000,
            f"epochs must be a whole number from 0 to 100000, got {self.epochs!r}",
        )
        _check(
            _is_int(self.batch_size) and 1 <= self.batch_size <= 65_536,
            f"batch_size must be a whole number from 1 to 65536, got {self.batch_size!r}",
        )
        _check(
            _is_number(self.lr) and 0 < self.lr <= 10,
            f"lr (learning rate) must be a finite number above 0 and at most 10, got {self.lr!r}",
        )
        _check(
            _is_number(self.beta) and 0 <= self.beta <= 1000,
            f"beta must be a finite number from 0 to 1000, got {self.beta!r}",
        )
        _check(
            _is_int(self.warmup_epochs) and self.warmup_epochs >= 0,
            f"warmup_epochs must be a whole number of at least 0, got {self.warmup_epochs!r}",
        )
        _check(
            _is_int(self.lr_anneal_epochs) and 0 <= self.lr_anneal_epochs <= self.epochs,
            f"lr_anneal_epochs must be a whole number from 0 to epochs ({self.epochs!r}), "
            f"got {self.lr_anneal_epochs!r}",
        )
        _check(isinstance(self.binarize, bool), "binarize must be true or false")
        _check(
            _is_int(self.seed) and self.seed >= 0,
            f"seed must be a whole number >= 0, got {self.seed!r}",
        )
        _check(
            self.device in DEVICES,
            f"device must be one of {', '.join(DEVICES)}, got {self.device!r}",
        )
        _check(
            _is_int(self.image_size) and 4 <= self.image_size <= 256,
            f"image_size must be a whole number from 4 to 256, got {self.image_size!r}",
        )
        _check(self.channels in (1, 3), f"channels must be 1 or 3, got {self.channels!r}")
        _check(
            _is_int(self.snapshot_points) and 0 <= self.snapshot_points <= 10_000,
            f"snapshot_points must be a whole number from 0 to 10000, got {self.snapshot_points!r}",
        )

    def beta_at(self, epoch: int) -> float:
        """KL weight for a 0-based epoch under linear warm-up (Bowman et al. 2016)."""
        if self.warmup_epochs <= 0:
            return self.beta
        return self.beta * min(1.0, (epoch + 1) / self.warmup_epochs)

    def lr_at(self, epoch: int) -> float:
        """Learning rate for a 0-based epoch: constant, then over the last lr_anneal_epochs
        epochs a half cosine towards 0 (epoch i of n gets lr * (1 + cos(pi * i / (n + 1))) / 2,
        i = 1..n), a function of the epoch alone, so a resumed run follows the same schedule."""
        start = self.epochs - self.lr_anneal_epochs
        if self.lr_anneal_epochs <= 0 or epoch < start:
            return self.lr
        i = epoch - start + 1
        return self.lr * 0.5 * (1.0 + math.cos(math.pi * i / (self.lr_anneal_epochs + 1)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        return cls(**_known(cls, d, "train"))


def _known(cls: type, d: dict[str, Any], what: str) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise ConfigError(f"the {what} section must be a JSON object")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise ConfigError(f"unknown {what} setting(s): {', '.join(unknown)}")
    return dict(d)
