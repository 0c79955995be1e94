"""Training speed: the project's trainer against the canonical PyTorch recipe, in the same run.

The canonical recipe is the PyTorch VAE example: torchvision MNIST with `ToTensor` through a
`DataLoader` (shuffled; one worker with pinned memory on CUDA, none on the CPU), Adam 1e-3,
batch 128, and the Bernoulli cross-entropy of the sigmoid output plus the closed-form KL,
summed over the batch. Both sides use the same model class (vae.model.networks.VAE), the same seed
for its initial weights, and the same test figure (vae.training.evaluate.evaluate_model on the MNIST
test set).
"""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from bench.report import Section, cell, num, ratios, stat
from vae.data import Dataset, data_root, load_dataset
from vae.model.config import ModelConfig
from vae.model.networks import VAE
from vae.runfolder.config import read_history
from vae.training.config import TrainConfig
from vae.training.evaluate import evaluate_model
from vae.training.loop import epoch_steps, train

MLP = ModelConfig(arch="mlp", hidden_dims=(400,), latent_dim=20)
CONV = ModelConfig(arch="conv", hidden_dims=(32, 64), latent_dim=20)
BATCH = 128
LR = 1e-3
SEED = 0


def subset(data: Dataset, n_train: int, n_test: int) -> Dataset:
    """The first n_train training and n_test test images of a data set."""
    return Dataset(
        data.name,
        data.train_x[:n_train].clone(),
        data.train_y[:n_train].clone(),
        data.test_x[:n_test].clone(),
        data.test_y[:n_test].clone(),
        data.classes,
    )


@dataclass
class Project:
    """The project's trainer, vae.training.loop.train, run one epoch per call (resuming the run)."""

    data: Dataset
    model_cfg: ModelConfig
    device: str
    out: Path
    epochs: int = 0

    def epoch(self) -> tuple[float, float]:
        """Train one more epoch. -> (training seconds of that epoch, test -ELBO after it)."""
        self.epochs += 1
        cfg = TrainConfig(
            dataset="mnist",
            epochs=self.epochs,
            batch_size=BATCH,
            lr=LR,
            seed=SEED,
            device=self.device,
            snapshot_points=0,
        )
        train(self.data, self.model_cfg, cfg, self.out, resume=self.epochs > 1, log=io.StringIO())
        row = read_history(self.out)[-1]
        return float(row["seconds"]), float(row["test_loss"])


def project_steps(model: VAE, train_x: torch.Tensor) -> Iterator[int]:
    """The trainer's own steps (vae.training.loop.epoch_steps), epoch after epoch: one yield
    per optimiser step, the images in the step."""
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    while True:
        for size, _ in epoch_steps(model, opt, train_x, BATCH):
            yield size


@dataclass
class Canonical:
    """The PyTorch VAE example's data path and loss around the same model class."""

    model_cfg: ModelConfig
    device: torch.device
    n_train: int | None = None
    model: VAE = field(init=False)

    def __post_init__(self) -> None:
        from torch.utils.data import DataLoader, Subset
        from torchvision import datasets, transforms

        ds = datasets.MNIST(
            str(data_root()), train=True, download=False, transform=transforms.ToTensor()
        )
        if self.n_train is not None:
            ds = Subset(ds, range(self.n_train))
        cuda = self.device.type == "cuda"  # one worker with pinned memory on CUDA, none on the CPU
        self.loader = DataLoader(
            ds, batch_size=BATCH, shuffle=True, num_workers=1 if cuda else 0, pin_memory=cuda
        )
        torch.manual_seed(SEED)
        self.model = VAE(self.model_cfg).to(self.device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=LR)

    def steps(self) -> Iterator[int]:
        """One yield per optimiser step, epoch after epoch: images in the step."""
        while True:
            self.model.train()
            for x, _ in self.loader:
                x = x.to(self.device)
                self.opt.zero_grad()
                logits, mu, logvar = self.model(x)
                bce = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum")
                kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
                loss = bce + kld
                loss.backward()
                loss.item()
                self.opt.step()
                yield len(x)

    def epoch(self) -> float:
        """Seconds for one pass over the loader."""
        steps, left = self.steps(), len(self.loader)
        t0 = time.perf_counter()
        while left:
            next(steps)
            left -= 1
        return time.perf_counter() - t0


def _side_by_side(
    data: Dataset, model_cfg: ModelConfig, device: str, epochs: int
) -> tuple[list[float], list[float], float, float]:
    """Alternate project and canonical epochs. -> (project s, canonical s, both test -ELBO)."""
    canon = Canonical(model_cfg, torch.device(device), n_train=len(data.train_x))
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        proj = Project(data, model_cfg, device, Path(tmp) / "run")
        p_s, c_s, p_elbo = [], [], float("nan")
        for _ in range(epochs):
            s, p_elbo = proj.epoch()
            p_s.append(s)
            c_s.append(canon.epoch())
    c_elbo = float(evaluate_model(canon.model, data.test_x, seed=SEED)["test_elbo"])
    return p_s, c_s, p_elbo, c_elbo


def throughput(
    sec: Section,
    device: str,
    mlp_images: int | None,
    epochs: int,
    conv_images: int,
    conv_epochs: int,
) -> None:
    """Section 1: seconds per epoch, images/s, the ratio, and test -ELBO after the same epochs."""
    full = load_dataset("mnist")
    label = f"on {device.upper()}"
    data = full if mlp_images is None else subset(full, mlp_images, len(full.test_x))
    n = len(data.train_x)
    p_s, c_s, p_elbo, c_elbo = _side_by_side(data, MLP, device, epochs)
    r = ratios(p_s, c_s)
    sec.add(
        f"**784-400-20 MLP {label}**, {'full ' if mlp_images is None else ''}MNIST "
        f"({n:,} training images per epoch), batch {BATCH}, "
        f"Adam {LR:g}; {epochs} epochs each, project and canonical epochs alternating "
        "(n = epochs; the ratio is taken per pair of epochs)."
    )
    sec.table(
        ["", "project (vae.training.loop.train)", "canonical (DataLoader + ToTensor)", "ratio"],
        [
            ["seconds per epoch", cell(stat(p_s), "s"), cell(stat(c_s), "s"), cell(r)],
            [
                "images per second",
                cell(stat([n / s for s in p_s])),
                cell(stat([n / s for s in c_s])),
                "speed-up " + cell(ratios(c_s, p_s)),
            ],
            [
                f"test −ELBO after {epochs} epochs (nats)",
                f"{p_elbo:.2f}",
                f"{c_elbo:.2f}",
                f"difference {p_elbo - c_elbo:+.2f}",
            ],
        ],
    )
    sec.goal(
        f"Epoch time, project / canonical (MLP, {device})",
        "≤ 0.4",
        cell(r),
        r.median <= 0.4,
    )
    sec.goal(
        f"Test −ELBO after {epochs} epochs, project vs canonical ({device})",
        "project ≤ canonical",
        f"{p_elbo:.2f} vs {c_elbo:.2f} nats",
        p_elbo <= c_elbo,
    )
    part = subset(full, conv_images, 1000)
    p_s, c_s, _, _ = _side_by_side(part, CONV, device, conv_epochs)
    r = ratios(p_s, c_s)
    n = len(full.train_x)
    sec.add(
        f"**Convolutional model {label}** (channels {CONV.hidden_dims}, latent {CONV.latent_dim}), "
        f"throughput only, on the first {conv_images:,} training images per epoch, "
        f"{conv_epochs} epochs each, alternating. Seconds per full {n:,}-image epoch are "
        "computed from the images per second."
    )
    sec.table(
        ["", "project", "canonical", "ratio"],
        [
            [
                "images per second",
                cell(stat([conv_images / s for s in p_s])),
                cell(stat([conv_images / s for s in c_s])),
                "speed-up " + cell(ratios(c_s, p_s)),
            ],
            [
                f"seconds per {n:,}-image epoch",
                cell(stat([s * n / conv_images for s in p_s]), "s"),
                cell(stat([s * n / conv_images for s in c_s]), "s"),
                cell(r),
            ],
        ],
    )


def quality(sec: Section, device: str, marks: list[float], slice_s: float = 2.0) -> None:
    """Section 2: test -ELBO reached after `marks` seconds of training, project vs canonical.

    Both train in alternating slices of about slice_s seconds, each on its own clock (test
    evaluations are not counted), so load from other work falls on both alike. The project
    side runs the trainer's inner loop so that the clock can stop mid-epoch.
    """
    data = load_dataset("mnist")
    dev = torch.device(device)
    torch.manual_seed(SEED)
    p_model = VAE(MLP).to(dev)
    canon = Canonical(MLP, dev)
    sides = {
        "project": (p_model, project_steps(p_model, data.train_x.to(dev))),
        "canonical": (canon.model, canon.steps()),
    }
    clock = dict.fromkeys(sides, 0.0)
    seen = dict.fromkeys(sides, 0)
    found: dict[str, list[tuple[float, float, float]]] = {k: [] for k in sides}
    end = marks[-1]
    while any(clock[k] < end for k in sides):
        for name, (model, steps) in sides.items():
            stop = min(end, clock[name] + slice_s)
            while clock[name] < stop:
                t0 = time.perf_counter()
                seen[name] += next(steps)
                clock[name] += time.perf_counter() - t0
                if len(found[name]) < len(marks) and clock[name] >= marks[len(found[name])]:
                    elbo = float(evaluate_model(model, data.test_x, seed=SEED)["test_elbo"])
                    found[name].append((clock[name], elbo, seen[name] / len(data.train_x)))
                    model.train()
    rows = []
    for i, m in enumerate(marks):
        (_, pe, pep), (_, ce, cep) = found["project"][i], found["canonical"][i]
        p_cell, c_cell = f"{pe:.2f} ({num(pep)} epochs)", f"{ce:.2f} ({num(cep)} epochs)"
        rows.append([f"{num(m)} s", p_cell, c_cell, f"{pe - ce:+.2f}"])
    sec.add(
        f"784-400-20 MLP on {device.upper()}, full MNIST, batch {BATCH}, Adam {LR:g}. Test "
        "−ELBO in nats on the 10 000-image test set (lower is better) after each amount of "
        f"training time; the two sides trained in alternating slices of about {num(slice_s)} s, "
        "each on its own clock (evaluation not counted). The project side is the trainer's "
        "inner loop (vae.training.loop.epoch_steps, the trainer's own steps), so that the clock "
        "can stop mid-epoch. "
        "One run of each (n = 1): the interleaving, not repeats, keeps it fair."
    )
    sec.table(["training time", "project", "canonical", "project − canonical"], rows)
    last_p, last_c = found["project"][-1][1], found["canonical"][-1][1]
    sec.goal(
        f"Test −ELBO after {num(end)} s of training ({device})",
        "project ≤ canonical",
        f"{last_p:.2f} vs {last_c:.2f} nats",
        last_p <= last_c,
    )
