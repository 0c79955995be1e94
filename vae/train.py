"""Training loop over in-memory uint8 tensors; CLI `python -m vae.train`.

Every epoch appends to history.jsonl and rewrites the checkpoint atomically, so a kill at
any moment leaves the last complete epoch loadable, and --resume continues from it.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

import numpy as np
import torch

from vae.checkpoint import (
    MODEL_FILE,
    PREVIEW_FILE,
    SNAPSHOTS_FILE,
    RunConfig,
    read_config,
    read_history,
    save_model,
    write_json,
    write_jsonl,
    write_npz,
    write_tensors,
)
from vae.config import ModelConfig, TrainConfig
from vae.data import Dataset
from vae.evaluate import evaluate_model, to_input
from vae.models import VAE
from vae.objectives import elbo_terms

RESUME_FILE = "resume.safetensors"
STATUS_FILE = "status.json"
LOCK_FILE = ".lock"
PREVIEW_COUNT = 3000


class TrainingError(RuntimeError):
    """Training cannot start or cannot go on; the message says why."""


class Cancelled(Exception):
    """SIGTERM or SIGINT arrived: stop after writing the status."""


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


def _status(out: Path, **fields: Any) -> None:
    write_json(out / STATUS_FILE, {"pid": os.getpid(), "updated": time.time(), **fields})


def _save_resume(
    out: Path, model: VAE, opt: torch.optim.Optimizer, epoch: int, row: dict[str, Any] | None = None
) -> None:
    """Model and optimiser state in one atomic file, with the epoch's history row."""
    tensors = {f"model.{k}": v for k, v in model.state_dict().items()}
    state = opt.state_dict()
    for i, s in state["state"].items():
        for k, v in s.items():
            tensors[f"opt.{i}.{k}"] = v if torch.is_tensor(v) else torch.tensor(v)
    meta = {"epoch": str(epoch), "history_row": json.dumps(row) if row else ""}
    write_tensors(out / RESUME_FILE, tensors, meta)


def _load_resume(
    out: Path, model: VAE, opt: torch.optim.Optimizer
) -> tuple[int, dict[str, Any] | None]:
    """Restore model and optimiser; returns the epoch and its history row (if any)."""
    from safetensors.torch import load_file

    path = out / RESUME_FILE
    if not path.is_file():
        raise TrainingError(f"{out} has no {RESUME_FILE} to resume from; start a new run")
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
    epoch = int(meta.get("epoch", "0"))
    row = json.loads(meta["history_row"]) if meta.get("history_row") else None
    tensors = load_file(str(path))
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    state = opt.state_dict()
    opt_state: dict[int, dict[str, torch.Tensor]] = {}
    for k, v in tensors.items():
        if k.startswith("opt."):
            _, i, name = k.split(".", 2)
            opt_state.setdefault(int(i), {})[name] = v
    state["state"] = opt_state
    opt.load_state_dict(state)
    return epoch, row


def _encode_snapshot(model: VAE, x: torch.Tensor, device: torch.device) -> np.ndarray:
    with torch.inference_mode():
        mu = model.encode(to_input(x, False).to(device))[0]
    return mu.cpu().numpy().astype(np.float16)  # (N, D)


def _add_frame(out: Path, snaps: dict[str, np.ndarray], epoch: int, mu: np.ndarray) -> None:
    """Append one epoch's codes to the scrubber's snapshots and rewrite the file atomically."""
    snaps["epochs"] = np.append(snaps["epochs"], epoch)
    snaps["mu"] = np.concatenate([snaps["mu"], mu[None]])
    write_npz(out / SNAPSHOTS_FILE, **snaps)


def train(
    data: Dataset,
    model_cfg: ModelConfig,
    train_cfg: TrainConfig,
    out: Path,
    resume: bool = False,
    iwae_samples: int = 0,
    progress: Callable[[int, int], None] | None = None,
    log: TextIO = sys.stderr,
) -> dict[str, Any]:
    """Train, writing the checkpoint folder `out` after every epoch. Returns final metrics."""
    _check_fits(data, model_cfg, train_cfg)  # refuse before anything is written
    out.mkdir(parents=True, exist_ok=True)
    lock = open(out / LOCK_FILE, "w")  # noqa: SIM115 (held for the whole run)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        raise TrainingError(f"{out} is being written by another training job; wait for it") from exc
    try:
        return _train_locked(data, model_cfg, train_cfg, out, resume, iwae_samples, progress, log)
    finally:
        lock.close()


def _check_fits(data: Dataset, model_cfg: ModelConfig, cfg: TrainConfig) -> None:
    if data.image_shape != model_cfg.image_shape:
        raise TrainingError(
            f"{data.name} images are {data.image_shape}, model expects {model_cfg.image_shape}"
        )
    if cfg.batch_size > len(data.train_x):
        raise TrainingError(
            f"batch_size {cfg.batch_size} is larger than the {len(data.train_x)} "
            f"training images of {data.name}; choose at most {len(data.train_x)}"
        )


def _train_locked(
    data: Dataset,
    model_cfg: ModelConfig,
    cfg: TrainConfig,
    out: Path,
    resume: bool,
    iwae_samples: int,
    progress: Callable[[int, int], None] | None,
    log: TextIO,
) -> dict[str, Any]:
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    model = VAE(model_cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    run = RunConfig(model_cfg, cfg, data.name, data.classes)
    start_epoch, history = 0, []
    if resume:
        start_epoch, last_row = _load_resume(out, model, opt)
        history = [h for h in read_history(out) if h.get("epoch", 0) <= start_epoch]
        if last_row and (not history or history[-1].get("epoch", 0) < start_epoch):
            # Killed after the resume state, before the weights or the history line: bring
            # both up to it now, as the epoch loop may have nothing left to run.
            history.append(last_row)
            save_model(out, model, start_epoch)
            write_jsonl(out / "history.jsonl", history)
    elif (out / MODEL_FILE).exists() or (out / RESUME_FILE).exists():
        raise TrainingError(
            f"{out} already holds a run; pass --resume to continue it or choose another --out"
        )
    write_json(out / "config.json", run.to_dict())
    n_prev = min(PREVIEW_COUNT, len(data.test_x))
    write_npz(
        out / PREVIEW_FILE, images=data.test_x[:n_prev].numpy(), labels=data.test_y[:n_prev].numpy()
    )
    snap_x = data.test_x[: min(cfg.snapshot_points, n_prev)]
    snaps: dict[str, np.ndarray] = {}
    if len(snap_x) and resume and (out / SNAPSHOTS_FILE).exists():
        with np.load(out / SNAPSHOTS_FILE) as z:
            keep = z["epochs"] <= start_epoch
            snaps = {"epochs": z["epochs"][keep], "mu": z["mu"][keep], "index": z["index"]}
        if snaps["epochs"][-1] < start_epoch:  # killed before this epoch's frame was written
            _add_frame(out, snaps, start_epoch, _encode_snapshot(model, snap_x, device))
    elif len(snap_x):
        snaps = {
            "epochs": np.array([0]),
            "mu": _encode_snapshot(model, snap_x, device)[None],
            "index": np.arange(len(snap_x)),
        }
        write_npz(out / SNAPSHOTS_FILE, **snaps)
    if start_epoch == 0:
        _save_resume(out, model, opt, 0)  # first, so a kill in epoch 1 can still --resume
        save_model(out, model, 0)

    train_x = data.train_x.to(device)
    n = len(train_x)
    steps = math.ceil(n / cfg.batch_size)
    samples_seen = int(history[-1].get("samples_seen", 0)) if history else 0
    metrics: dict[str, Any] = {}
    for epoch in range(start_epoch, cfg.epochs):
        _status(out, state="running", epoch=epoch, epochs=cfg.epochs, step=0, steps=steps)
        torch.manual_seed(_epoch_seed(cfg.seed, epoch))
        beta = cfg.beta_at(epoch)
        lr = cfg.lr_at(epoch)
        for group in opt.param_groups:
            group["lr"] = lr
        model.train()
        t0 = time.perf_counter()
        last_status = t0
        perm = torch.randperm(n).to(device)
        total = 0.0
        for step in range(steps):
            idx = perm[step * cfg.batch_size : (step + 1) * cfg.batch_size]
            x = to_input(train_x[idx], cfg.binarize)
            loss = elbo_terms(model, x, beta)[0].mean()
            if not torch.isfinite(loss):
                raise TrainingError(
                    f"the loss became {loss.item()} at epoch {epoch + 1}, step {step + 1}; "
                    "training stopped and the last good checkpoint was kept. Lower --lr."
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            if progress:
                progress(step + 1, steps)
            if time.perf_counter() - last_status > 0.5:
                last_status = time.perf_counter()
                _status(
                    out, state="running", epoch=epoch, epochs=cfg.epochs, step=step + 1, steps=steps
                )
        seconds = time.perf_counter() - t0
        samples_seen += n
        test = evaluate_model(model, data.test_x, cfg.binarize, seed=cfg.seed)
        row = {
            "epoch": epoch + 1,
            "train_loss": total / n,
            "test_loss": test["test_elbo"],
            "recon": test["test_recon"],
            "kl": test["test_kl"],
            "seconds": seconds,
            "samples_seen": samples_seen,
            "beta": beta,
            "lr": lr,
        }
        history.append(row)
        # Order matters for a kill at any moment: the resume state (with this row) first,
        # then the weights, then the history, so history never runs ahead of the weights.
        _save_resume(out, model, opt, epoch + 1, row)
        save_model(out, model, epoch + 1)
        write_jsonl(out / "history.jsonl", history)
        if snaps:
            _add_frame(out, snaps, epoch + 1, _encode_snapshot(model, snap_x, device))
        metrics = {**test, "epoch": epoch + 1, "dataset": data.name}
        write_json(out / "metrics.json", metrics)
        print(
            f"epoch {epoch + 1}/{cfg.epochs}  train {row['train_loss']:.2f}  test "
            f"{row['test_loss']:.2f}  recon {row['recon']:.2f}  kl {row['kl']:.2f}  "
            f"({seconds:.1f}s)",
            file=log,
            flush=True,
        )
    if not metrics or iwae_samples:
        metrics = {
            **evaluate_model(model, data.test_x, cfg.binarize, iwae_samples, seed=cfg.seed),
            "epoch": cfg.epochs,
            "dataset": data.name,
        }
        write_json(out / "metrics.json", metrics)
    _status(out, state="finished", epoch=cfg.epochs, epochs=cfg.epochs, step=steps, steps=steps)
    return metrics


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise Cancelled(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    from vae.cli import parse_train_args
    from vae.data import DatasetError, load_dataset

    try:
        model_cfg, cfg, args = parse_train_args(argv)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    signal.signal(signal.SIGTERM, _on_signal)
    try:
        if args.resume:
            stored = read_config(out)
            model_cfg = stored.model
            cfg = replace(
                stored.train,
                epochs=args.epochs if args.epochs_given else stored.train.epochs,
                lr=args.lr if args.lr_given else stored.train.lr,
                lr_anneal_epochs=(
                    stored.train.lr_anneal_epochs
                    if args.lr_anneal_epochs is None
                    else args.lr_anneal_epochs
                ),
                device=cfg.device,
            )
        data = load_dataset(cfg.dataset, image_size=cfg.image_size, channels=cfg.channels)
        if data.image_shape != model_cfg.image_shape:
            model_cfg = replace(model_cfg, image_shape=data.image_shape)
        bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            bar = tqdm(total=0, unit="batch", leave=False)

        def progress(step: int, steps: int) -> None:
            if bar is not None:
                if bar.total != steps:
                    bar.reset(total=steps)
                bar.n = step
                bar.refresh() if step == steps or step % 20 == 0 else None

        train(data, model_cfg, cfg, out, args.resume, args.iwae_samples, progress)
        if bar is not None:
            bar.close()
    except (DatasetError, TrainingError, ValueError) as exc:
        if out.is_dir():
            _status(out, state="failed", message=str(exc))
        print(f"error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, TrainingError) else 2
    except (Cancelled, KeyboardInterrupt):
        _status(out, state="cancelled", message="cancelled; --resume continues from the last epoch")
        print("cancelled; the last complete epoch is kept (--resume continues)", file=sys.stderr)
        return 130
    except OSError as exc:
        print(
            f"error: could not write {out}: {exc}; the previous checkpoint is intact",
            file=sys.stderr,
        )
        return 1
    print(f"saved {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
