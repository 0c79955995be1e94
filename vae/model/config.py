"""A model's typed, frozen configuration (no YAML, no exec), and the checks configs share."""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from vae.errors import VAEError

ARCHS = ("mlp", "conv")
LIKELIHOODS = ("bernoulli", "gaussian")
MAX_LATENT = 64
MAX_PARAMETERS = 50_000_000  # about 200 MB of float32: refuse anything larger


class ConfigError(VAEError, ValueError):
    """A configuration value is invalid; the message names the field."""


def check(ok: bool, message: str, /, **params: object) -> None:
    """ConfigError(message, **params) unless ok (the values are formatted only then)."""
    if not ok:
        raise ConfigError(message, **params)


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v: Any) -> bool:
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
        check(
            self.arch in ARCHS,
            "arch must be one of {archs}, got {arch!r}",
            archs=", ".join(ARCHS),
            arch=self.arch,
        )
        check(
            self.likelihood in LIKELIHOODS,
            "likelihood must be one of {likelihoods}, got {likelihood!r}",
            likelihoods=", ".join(LIKELIHOODS),
            likelihood=self.likelihood,
        )
        check(
            is_int(self.latent_dim) and 1 <= self.latent_dim <= MAX_LATENT,
            "latent_dim must be a whole number from 1 to {max_latent}, got {latent_dim!r}",
            max_latent=MAX_LATENT,
            latent_dim=self.latent_dim,
        )
        shape = tuple(self.image_shape)
        check(
            len(shape) == 3 and all(is_int(s) and s > 0 for s in shape),
            "image_shape must be three positive whole numbers (C, H, W), got {image_shape!r}",
            image_shape=self.image_shape,
        )
        check(
            shape[0] in (1, 3),
            "image_shape channels must be 1 or 3, got {channels}",
            channels=shape[0],
        )
        check(
            all(s <= 256 for s in shape[1:]),
            "image_shape height and width must be at most 256, got {height}x{width}",
            height=shape[1],
            width=shape[2],
        )
        dims = tuple(self.hidden_dims)
        check(
            1 <= len(dims) <= 6 and all(is_int(d) and 1 <= d <= 8192 for d in dims),
            "hidden_dims must be 1 to 6 whole numbers from 1 to 8192, got {hidden_dims!r}",
            hidden_dims=self.hidden_dims,
        )
        if self.arch == "conv":
            factor = 2 ** len(dims)
            check(
                shape[1] % factor == 0 and shape[2] % factor == 0,
                "the conv architecture with {layers} layers needs height and width "
                "divisible by {factor}, got {height}x{width}; use --arch mlp or resize",
                layers=len(dims),
                factor=factor,
                height=shape[1],
                width=shape[2],
            )
        object.__setattr__(self, "image_shape", shape)
        object.__setattr__(self, "hidden_dims", dims)
        check(
            self.parameter_count() <= MAX_PARAMETERS,
            "this model would have {parameter_count:,} parameters, more than the "
            "limit of {max_parameters:,}; choose smaller hidden_dims",
            parameter_count=self.parameter_count(),
            max_parameters=MAX_PARAMETERS,
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
        return cls(**known(cls, d, "model"))


def known(cls: type, d: dict[str, Any], what: str) -> dict[str, Any]:
    if not isinstance(d, dict):
        raise ConfigError("the {what} section must be a JSON object", what=what)
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise ConfigError(
            "unknown {what} setting(s): {unknown}", what=what, unknown=", ".join(unknown)
        )
    return dict(d)
