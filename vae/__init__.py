"""The VAE core, grouped by concern; it never imports streamlit.

model/       the configuration, the network, the objectives, images as inputs
training/    TrainConfig (every default), the loop, the command line, jobs, evaluation
runfolder/   the checkpoint folder: file names, readers and writers, loading, listing runs
analysis/    what the pages show, computed (numpy out)
web/         what crosses to and from the browser: links, uploads, the decoder spec
onnx/        imported models: onnx-vae/1 folders checked, loaded with onnxruntime, exported
data.py      the data set registry
train.py, evaluate.py, export.py   the commands `python -m vae.train`, `vae.evaluate`, `vae.export`

The names below are imported on first use (PEP 562), not when the package is: a package
that imports its own submodules while another thread imports one of them directly (a
server's first sessions, all at once) can deadlock Python's import locks.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vae.data import Dataset, DatasetError, load_dataset
    from vae.errors import VAEError
    from vae.model.config import ConfigError, ModelConfig
    from vae.model.networks import VAE
    from vae.runfolder.checkpoint import Checkpoint, CheckpointError, load_checkpoint
    from vae.runfolder.config import RunConfig
    from vae.training.config import TrainConfig

_WHERE = {
    "VAE": "vae.model.networks",
    "Checkpoint": "vae.runfolder.checkpoint",
    "CheckpointError": "vae.runfolder.checkpoint",
    "ConfigError": "vae.model.config",
    "Dataset": "vae.data",
    "DatasetError": "vae.data",
    "ModelConfig": "vae.model.config",
    "RunConfig": "vae.runfolder.config",
    "TrainConfig": "vae.training.config",
    "VAEError": "vae.errors",
    "load_checkpoint": "vae.runfolder.checkpoint",
    "load_dataset": "vae.data",
}
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
    "VAEError",
    "load_checkpoint",
    "load_dataset",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'vae' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
