"""The scrubber's frames: the preview images encoded after every epoch, in snapshots.npz.

Frame 0 is the untrained model; a resumed run keeps the frames up to its epoch and adds
the one a kill may have left out, so the Latent page's replay has every epoch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from vae.model.inputs import to_input
from vae.model.networks import VAE
from vae.runfolder.files import SNAPSHOTS_FILE, write_npz

if TYPE_CHECKING:
    from vae.training.loop import Run


def encode_snapshot(model: VAE, x: torch.Tensor, device: torch.device) -> np.ndarray:
    with torch.inference_mode():
        mu = model.encode(to_input(x, False).to(device))[0]
    return mu.cpu().numpy().astype(np.float16)  # (N, D)


def add_frame(run: Run, epoch: int) -> None:
    """Append one epoch's codes to the scrubber's snapshots and rewrite the file atomically."""
    mu = encode_snapshot(run.model, run.snap_x, run.device)
    run.snaps["epochs"] = np.append(run.snaps["epochs"], epoch)
    run.snaps["mu"] = np.concatenate([run.snaps["mu"], mu[None]])
    write_npz(run.out / SNAPSHOTS_FILE, **run.snaps)


def start_snapshots(run: Run, resume: bool) -> None:
    """The scrubber's frames: those kept from before a resume, or the untrained model's."""
    if not len(run.snap_x):
        return
    path = run.out / SNAPSHOTS_FILE
    if resume and path.exists():
        with np.load(path) as z:
            keep = z["epochs"] <= run.start_epoch
            run.snaps = {"epochs": z["epochs"][keep], "mu": z["mu"][keep], "index": z["index"]}
        if run.snaps["epochs"][-1] < run.start_epoch:  # killed before this epoch's frame
            add_frame(run, run.start_epoch)
    else:
        mu = encode_snapshot(run.model, run.snap_x, run.device)
        run.snaps = {"epochs": np.array([0]), "mu": mu[None], "index": np.arange(len(run.snap_x))}
        write_npz(path, **run.snaps)
