"""A run folder's configuration, history and figures, read without torch (Overview, listing).

config.json becomes a validated RunConfig, history.jsonl a list and metrics.json a dict.
Loading the weights is vae.runfolder.checkpoint's, which imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vae.errors import Message
from vae.model.config import ConfigError, ModelConfig
from vae.runfolder.files import (
    CONFIG_FILE,
    FORMAT_VERSION,
    HISTORY_FILE,
    METRICS_FILE,
    CheckpointError,
    read_json_object,
    read_jsonl,
)
from vae.training.config import TrainConfig

__all__ = ["RunConfig", "read_config", "read_history", "read_metrics"]


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


def read_config(folder: Path) -> RunConfig:
    """Parse and validate config.json."""
    raw = read_json_object(folder / CONFIG_FILE, Message("the run's configuration"))
    version = raw.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CheckpointError("{path} has no valid format_version", path=folder / CONFIG_FILE)
    if version > FORMAT_VERSION:
        raise CheckpointError(
            "{name} was written in checkpoint format {version}, newer than this version "
            "understands ({format_version}); upgrade the app to open it",
            name=folder.name,
            version=version,
            format_version=FORMAT_VERSION,
        )
    if version < 1:
        raise CheckpointError(
            "{path} has an invalid format_version {version}",
            path=folder / CONFIG_FILE,
            version=version,
        )
    try:
        model = ModelConfig.from_dict(raw.get("model"))  # type: ignore[arg-type]
        train = TrainConfig.from_dict(raw.get("train", {}))
    except (ConfigError, TypeError) as exc:
        raise CheckpointError(
            "{path} is invalid: {reason}", path=folder / CONFIG_FILE, reason=exc
        ) from exc
    dataset = raw.get("dataset", train.dataset)
    classes = raw.get("classes", [])
    if not isinstance(dataset, str) or not isinstance(classes, list):
        raise CheckpointError(
            "{path}: dataset must be a string, classes a list", path=folder / CONFIG_FILE
        )
    return RunConfig(model, train, dataset, tuple(str(c) for c in classes))


def read_metrics(folder: Path) -> dict[str, Any]:
    """metrics.json as a dict; a missing file is no metrics yet."""
    path = folder / METRICS_FILE
    return read_json_object(path, Message("the final metrics")) if path.exists() else {}


def read_history(folder: Path) -> list[dict[str, Any]]:
    """history.jsonl as a list of dicts; a missing file is an empty history."""
    return read_jsonl(folder / HISTORY_FILE)
