"""How a model is trained: TrainConfig, the one place that holds every training default.

The command line (vae.training.cli), the app's training form and its request
(vae.training.jobrequest) all read their defaults from TrainConfig's fields.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from vae.model.config import check, is_int, is_number, known

DEVICES = ("auto", "cpu", "cuda", "mps")


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
        check(
            isinstance(self.dataset, str) and self.dataset != "",
            "dataset must be a name such as mnist",
        )
        check(
            is_int(self.epochs) and 0 <= self.epochs <= 100_000,
            "epochs must be a whole number from 0 to 100000, got {epochs!r}",
            epochs=self.epochs,
        )
        check(
            is_int(self.batch_size) and 1 <= self.batch_size <= 65_536,
            "batch_size must be a whole number from 1 to 65536, got {batch_size!r}",
            batch_size=self.batch_size,
        )
        check(
            is_number(self.lr) and 0 < self.lr <= 10,
            "lr (learning rate) must be a finite number above 0 and at most 10, got {lr!r}",
            lr=self.lr,
        )
        check(
            is_number(self.beta) and 0 <= self.beta <= 1000,
            "beta must be a finite number from 0 to 1000, got {beta!r}",
            beta=self.beta,
        )
        check(
            is_int(self.warmup_epochs) and self.warmup_epochs >= 0,
            "warmup_epochs must be a whole number of at least 0, got {warmup_epochs!r}",
            warmup_epochs=self.warmup_epochs,
        )
        check(
            is_int(self.lr_anneal_epochs) and 0 <= self.lr_anneal_epochs <= self.epochs,
            "lr_anneal_epochs must be a whole number from 0 to epochs ({epochs!r}), "
            "got {lr_anneal_epochs!r}",
            epochs=self.epochs,
            lr_anneal_epochs=self.lr_anneal_epochs,
        )
        check(isinstance(self.binarize, bool), "binarize must be true or false")
        check(
            is_int(self.seed) and self.seed >= 0,
            "seed must be a whole number >= 0, got {seed!r}",
            seed=self.seed,
        )
        check(
            self.device in DEVICES,
            "device must be one of {devices}, got {device!r}",
            devices=", ".join(DEVICES),
            device=self.device,
        )
        check(
            is_int(self.image_size) and 4 <= self.image_size <= 256,
            "image_size must be a whole number from 4 to 256, got {image_size!r}",
            image_size=self.image_size,
        )
        check(
            self.channels in (1, 3),
            "channels must be 1 or 3, got {channels!r}",
            channels=self.channels,
        )
        check(
            is_int(self.snapshot_points) and 0 <= self.snapshot_points <= 10_000,
            "snapshot_points must be a whole number from 0 to 10000, got {snapshot_points!r}",
            snapshot_points=self.snapshot_points,
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
        return cls(**known(cls, d, "train"))


def default(name: str) -> Any:
    """TrainConfig's default for field `name` (e.g. default("epochs") == 10)."""
    for f in fields(TrainConfig):
        if f.name == name and f.default is not MISSING:
            return f.default
    raise KeyError(f"TrainConfig has no plain default named {name!r}")
