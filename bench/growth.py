"""Cost growth: the project trainer's epoch time and peak memory against data and latent size.

Each configuration trains in a process of its own (`python -m bench.growth N LATENT EPOCHS
THREADS`, which prints one JSON line), so its peak resident memory is its own. The peak is
reset (Linux /proc/self/clear_refs) after the data set is loaded, so it measures training:
the model, the optimiser, the batches and the per-epoch test evaluation.
"""

from __future__ import annotations

import gc
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.report import Section, cell, num, stat


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def worker(n: int, latent: int, epochs: int, threads: int) -> dict[str, Any]:
    import torch

    from bench.train_speed import BATCH, LR, MLP, subset
    from vae.data import load_dataset
    from vae.model.config import ModelConfig
    from vae.runfolder.config import read_history
    from vae.training.config import TrainConfig
    from vae.training.loop import train

    torch.set_num_threads(threads)
    full = load_dataset("mnist")
    data = subset(full, n, len(full.test_x))
    del full
    gc.collect()
    base = _status_mb("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
        reset = True
    except OSError:
        reset = False
    model = ModelConfig(arch="mlp", hidden_dims=MLP.hidden_dims, latent_dim=latent)
    cfg = TrainConfig(epochs=epochs, batch_size=BATCH, lr=LR, device="cpu", snapshot_points=0)
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        train(data, model, cfg, Path(tmp) / "run", log=io.StringIO())
        seconds = [float(row["seconds"]) for row in read_history(Path(tmp) / "run")]
    return {"seconds": seconds, "base_mb": base, "peak_mb": _status_mb("VmHWM"), "reset": reset}


def run_worker(n: int, latent: int, epochs: int, threads: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.growth", str(n), str(latent), str(epochs), str(threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[1:])} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def growth(sec: Section, sizes: list[int], latents: list[int], epochs: int) -> None:
    """Epoch time and training memory for each data set size (z = 20), then each latent size."""
    import torch

    threads = torch.get_num_threads()
    mid = sorted(sizes)[len(sizes) // 2]
    configs = [(n, 20) for n in sizes] + [(mid, z) for z in latents if z != 20]
    header = ["training images", "latent size", "seconds per epoch", "µs per image",
              "peak memory while training", "resident before training"]  # fmt: skip
    rows: list[list[str]] = []
    reset = True
    sec.add(
        f"784-400-z MLP, batch 128, the project's trainer on the CPU with {threads} thread(s), "
        f"{epochs} epochs per configuration (n = {epochs}), each configuration in a fresh "
        "process. Memory is the process's resident set: its peak while training, above what "
        "it held once the data was loaded, and what it held then (Python, torch, the data)."
    )
    for n, z in sorted(configs, key=lambda c: (c[1] != 20, c[0], c[1])):
        got = run_worker(n, z, epochs, threads)
        reset = reset and got["reset"]
        s = stat(got["seconds"])
        rows.append([
            f"{n:,}", str(z), cell(s, "s"), num(s.median / n * 1e6),
            f"+{num(got['peak_mb'] - got['base_mb'])} MB", f"{num(got['base_mb'])} MB",
        ])  # fmt: skip
    sec.table(header, rows)
    if not reset:
        sec.add("The peak could not be reset after loading the data: it includes the loading.")


if __name__ == "__main__":
    print(json.dumps(worker(*(int(a) for a in sys.argv[1:5]))))
