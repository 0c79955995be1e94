"""The VAE core, grouped by concern; it never imports streamlit.

model/       the configuration, the network, the objectives, images as inputs
training/    TrainConfig (every default), the loop, the command line, jobs, evaluation
runfolder/   the checkpoint folder: file names, readers and writers, loading, listing runs
analysis/    what the pages show, computed (numpy out)
web/         what crosses to and from the browser: links, uploads, the decoder spec
data.py      the data set registry
train.py, evaluate.py   the commands `python -m vae.train` and `python -m vae.evaluate`
"""

from vae.data import Dataset, DatasetError, load_dataset
from vae.errors import VAEError
from vae.model.config import ConfigError, ModelConfig
from vae.model.networks import VAE
from vae.runfolder.checkpoint import Checkpoint, CheckpointError, RunConfig, load_checkpoint
from vae.training.config import TrainConfig

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
