"""The training loop over in-memory uint8 tensors, in the steps a reader can follow.

`train` takes the folder's lock, then `prepare` (set-up, or resume and repair), then for each
epoch `run_epoch` (the optimiser steps, from `epoch_steps`) and `end_epoch` (evaluation and
the writes), then `finish`. Every epoch appends to history.jsonl and rewrites the checkpoint
atomically, so a kill at any moment leaves the last complete epoch loadable, and a resume
continues from it. The command line is vae.training.cli (`python -m vae.train`).
"""

from __future__ import annotations

import fcntl
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch

from vae.analysis import stored_samples
from vae.data import Dataset
from vae.model.config import ModelConfig
from vae.model.inputs import to_input
from vae.model.networks import VAE
from vae.model.objectives import elbo_terms
from vae.runfolder.checkpoint import save_model
from vae.runfolder.config import RunConfig
from vae.runfolder.files import (
    CONFIG_FILE,
    HISTORY_FILE,
    LOCK_FILE,
    METRICS_FILE,
    MODEL_FILE,
    PREVIEW_FILE,
    RESUME_FILE,
    STATUS_FILE,
    write_json,
    write_jsonl,
    write_npz,
)
from vae.training.config import TrainConfig
from vae.training.errors import Cancelled, TrainingError, stops_held
from vae.training.evaluate import evaluate_model
from vae.training.resume import resume_and_repair, save_resume
from vae.training.snapshots import add_frame, start_snapshots

__all__ = ["Cancelled", "TrainingError", "epoch_steps", "pick_device", "train"]

PREVIEW_COUNT = 3000
Progress = Callable[[int, int], None]


def pick_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise TrainingError("--device cuda was asked for but no CUDA GPU is available; use auto")
    if name == "mps" and not torch.backends.mps.is_available():
        raise TrainingError("--device mps was asked for but MPS is not available; use auto")
    return torch.device(name)


def _epoch_seed(seed: int, epoch: int) -> int:
    return seed * 1_000_003 + epoch


def write_status(out: Path, **fields: Any) -> None:
    """status.json: what this process is doing now (read by the app's job view)."""
    write_json(out / STATUS_FILE, {"pid": os.getpid(), "updated": time.time(), **fields})


@dataclass
class Run:
    """A run being trained: its model, optimiser and history, and what each epoch writes."""

    data: Dataset
    cfg: TrainConfig
    out: Path
    device: torch.device
    model: VAE
    opt: torch.optim.Optimizer
    start_epoch: int
    history: list[dict[str, Any]]
    snap_x: torch.Tensor  # (S, C, H, W) uint8: the preview images encoded after every epoch
    snaps: dict[str, np.ndarray]  # the scrubber's frames so far (empty: none)
    train_x: torch.Tensor  # (N, C, H, W) uint8 on the device
    samples_seen: int

    @property
    def steps(self) -> int:
        return math.ceil(len(self.train_x) / self.cfg.batch_size)


def prepare(
    data: Dataset, model_cfg: ModelConfig, cfg: TrainConfig, out: Path, resume: bool
) -> Run:
    """Build the model and optimiser, resume (and repair) or refuse to overwrite, and write
    the run's config, preview set and first snapshot; the untrained epoch-0 state of a new run
    is saved first, so a kill in epoch 1 can still resume."""
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    model = VAE(model_cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    start_epoch, history = 0, list[dict[str, Any]]()
    if resume:
        start_epoch, history = resume_and_repair(out, model, opt)
    elif (out / MODEL_FILE).exists() or (out / RESUME_FILE).exists():
        raise TrainingError(
            "{out} already holds a run; pass --resume to continue it or choose another --out",
            out=out,
        )
    write_json(out / CONFIG_FILE, RunConfig(model_cfg, cfg, data.name, data.classes).to_dict())
    n_prev = min(PREVIEW_COUNT, len(data.test_x))
    write_npz(
        out / PREVIEW_FILE, images=data.test_x[:n_prev].numpy(), labels=data.test_y[:n_prev].numpy()
    )
    run = Run(
        data, cfg, out, device, model, opt, start_epoch, history,
        snap_x=data.test_x[: min(cfg.snapshot_points, n_prev)], snaps={},
        train_x=data.train_x.to(device),
        samples_seen=int(history[-1].get("samples_seen", 0)) if history else 0,
    )  # fmt: skip
    start_snapshots(run, resume)
    if start_epoch == 0:
        save_resume(out, model, opt, 0)
        save_model(out, model, 0)
    return run


def epoch_steps(
    model: VAE,
    opt: torch.optim.Optimizer,
    train_x: torch.Tensor,
    batch_size: int,
    binarize: bool = False,
    beta: float = 1.0,
) -> Iterator[tuple[int, float]]:
    """One pass over train_x (N, C, H, W) uint8 in a random order, one Adam step per batch.

    Yields (images in the batch, its mean loss) per step. A loss that is not finite is
    yielded before any step is taken with it, and the pass ends there.
    """
    model.train()
    n = len(train_x)
    perm = torch.randperm(n).to(train_x.device)
    for start in range(0, n, batch_size):
        idx = perm[start : start + batch_size]
        x = to_input(train_x[idx], binarize)
        loss = elbo_terms(model, x, beta)[0].mean()
        if not torch.isfinite(loss):
            yield len(idx), loss.item()
            return
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        yield len(idx), loss.item()


def run_epoch(run: Run, epoch: int, progress: Progress | None) -> dict[str, Any]:
    """Train one 0-based epoch; -> the training part of its history row."""
    cfg, steps = run.cfg, run.steps
    write_status(run.out, state="running", epoch=epoch, epochs=cfg.epochs, step=0, steps=steps)
    torch.manual_seed(_epoch_seed(cfg.seed, epoch))
    beta, lr = cfg.beta_at(epoch), cfg.lr_at(epoch)
    for group in run.opt.param_groups:
        group["lr"] = lr
    t0 = time.perf_counter()
    last_status, total = t0, 0.0
    batches = epoch_steps(run.model, run.opt, run.train_x, cfg.batch_size, cfg.binarize, beta)
    for step, (size, loss) in enumerate(batches):
        if not math.isfinite(loss):
            raise TrainingError(
                "the loss became {loss} at epoch {epoch}, step {step}; "
                "training stopped and the last good checkpoint was kept. Lower --lr.",
                loss=loss,
                epoch=epoch + 1,
                step=step + 1,
            )
        total += loss * size
        if progress:
            progress(step + 1, steps)
        if time.perf_counter() - last_status > 0.5:
            last_status = time.perf_counter()
            write_status(
                run.out, state="running", epoch=epoch, epochs=cfg.epochs, step=step + 1, steps=steps
            )
    n = len(run.train_x)
    run.samples_seen += n
    seconds = time.perf_counter() - t0
    return {"train_loss": total / n, "seconds": seconds, "beta": beta, "lr": lr}


def end_epoch(run: Run, epoch: int, trained: dict[str, Any], log: TextIO) -> dict[str, Any]:
    """Evaluate after a 0-based epoch and write it; -> the run's metrics after it.

    Order matters for a kill at any moment: the resume state (with this row) first, then
    the weights, then the history, so history never runs ahead of the weights. A cancel or
    the time limit is held until the writes end, so a stopped run's files agree.
    """
    cfg, out = run.cfg, run.out
    test = evaluate_model(run.model, run.data.test_x, cfg.binarize, seed=cfg.seed)
    row = {
        "epoch": epoch + 1,
        "train_loss": trained["train_loss"],
        "test_loss": test["test_elbo"],
        "recon": test["test_recon"],
        "kl": test["test_kl"],
        "seconds": trained["seconds"],
        "samples_seen": run.samples_seen,
        "beta": trained["beta"],
        "lr": trained["lr"],
    }
    run.history.append(row)
    metrics = {**test, "epoch": epoch + 1, "dataset": run.data.name}
    with stops_held():  # a cancel or the time limit waits for the epoch's last write
        save_resume(out, run.model, run.opt, epoch + 1, row)
        save_model(out, run.model, epoch + 1)
        write_jsonl(out / HISTORY_FILE, run.history)
        if run.snaps:
            add_frame(run, epoch + 1)
        write_json(out / METRICS_FILE, metrics)
    print(
        f"epoch {epoch + 1}/{cfg.epochs}  train {row['train_loss']:.2f}  test "
        f"{row['test_loss']:.2f}  recon {row['recon']:.2f}  kl {row['kl']:.2f}  "
        f"({row['seconds']:.1f}s)",
        file=log,
        flush=True,
    )
    return metrics


def finish(run: Run, metrics: dict[str, Any], iwae_samples: int) -> dict[str, Any]:
    """The final metrics (evaluated now when no epoch ran or IWAE is asked for); status done."""
    cfg = run.cfg
    if not metrics or iwae_samples:
        metrics = {
            **evaluate_model(run.model, run.data.test_x, cfg.binarize, iwae_samples, seed=cfg.seed),
            "epoch": cfg.epochs,
            "dataset": run.data.name,
        }
        write_json(run.out / METRICS_FILE, metrics)
    stored_samples.store(run.out, run.model)  # the Overview's first samples, drawn without torch
    steps = run.steps
    write_status(
        run.out, state="finished", epoch=cfg.epochs, epochs=cfg.epochs, step=steps, steps=steps
    )
    return metrics


def train(
    data: Dataset,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    out: Path,
    resume: bool = False,
    iwae_samples: int = 0,
    progress: Progress | None = None,
    log: TextIO = sys.stderr,
) -> dict[str, Any]:
    """Train, writing the checkpoint folder `out` after every epoch. Returns final metrics."""
    _check_fits(data, model_cfg, train_cfg)  # refuse before anything is written
    out.mkdir(parents=True, exist_ok=True)
    lock = open(out / LOCK_FILE, "w")  # noqa: SIM115 (held for the whole run)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        raise TrainingError(
            "{out} is being written by another training job; wait for it", out=out
        ) from exc
    try:
        run = prepare(data, model_cfg, train_cfg, out, resume)
        metrics: dict[str, Any] = {}
        for epoch in range(run.start_epoch, train_cfg.epochs):
            metrics = end_epoch(run, epoch, run_epoch(run, epoch, progress), log)
        return finish(run, metrics, iwae_samples)
    finally:
        lock.close()


def _check_fits(data: Dataset, model_cfg: ModelConfig, cfg: TrainConfig) -> None:
    if data.image_shape != model_cfg.image_shape:
        raise TrainingError(
            "{name} images are {image_shape}, model expects {expected}",
            name=data.name,
            image_shape=data.image_shape,
            expected=model_cfg.image_shape,
        )
    if cfg.batch_size > len(data.train_x):
        raise TrainingError(
            "batch_size {batch_size} is larger than the {n} "
            "training images of {name}; choose at most {n}",
            batch_size=cfg.batch_size,
            n=len(data.train_x),
            name=data.name,
        )
