"""The VAE core: models, objectives, data, training, checkpoints, exploration. No UI code."""

from vae.checkpoint import Checkpoint, CheckpointError, RunConfig, load_checkpoint
from vae.config import ConfigError, ModelConfig, TrainConfig
from vae.data import Dataset, DatasetError, load_dataset
from vae.models import VAE

__all__ = [
    "VAE",
    "Checkpoint",
    "CheckpointError",
    "ConfigError",
    "Dataset",
    "DatasetError",
    "ModelConfig",
    "RunConfig",
    "TrainConfig",
    "load_checkpoint",
    "load_dataset",
]
