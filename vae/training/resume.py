"""The resume state of a run (model and optimiser in one atomic file), and its repair.

Each epoch writes, in this order, resume.safetensors (with that epoch's history row), the
weights, then history.jsonl, so the history never runs ahead of the weights. A kill between
those writes is repaired when the run is resumed: the weights and the history are brought
up to the resume state before training goes on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from vae.model.networks import VAE
from vae.runfolder.checkpoint import save_model
from vae.runfolder.config import read_history
from vae.runfolder.files import HISTORY_FILE, RESUME_FILE, write_jsonl, write_tensors
from vae.training.errors import TrainingError


def save_resume(
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


def load_resume(
    out: Path, model: VAE, opt: torch.optim.Optimizer
) -> tuple[int, dict[str, Any] | None]:
    """Restore model and optimiser; returns the epoch and its history row (if any)."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    path = out / RESUME_FILE
    if not path.is_file():
        raise TrainingError(
            "{out} has no {resume_file} to resume from; start a new run",
            out=out,
            resume_file=RESUME_FILE,
        )
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


def resume_and_repair(
    out: Path, model: VAE, opt: torch.optim.Optimizer
) -> tuple[int, list[dict[str, Any]]]:
    """Restore the run in `out`; -> (its epoch, its history up to that epoch).

    A run killed after the resume state but before the weights or the history line is
    brought up to the resume state now, as the epoch loop may have nothing left to run.
    """
    epoch, last_row = load_resume(out, model, opt)
    history = [h for h in read_history(out) if h.get("epoch", 0) <= epoch]
    if last_row and (not history or history[-1].get("epoch", 0) < epoch):
        history.append(last_row)
        save_model(out, model, epoch)
        write_jsonl(out / HISTORY_FILE, history)
    return epoch, history
