"""VAEs written outside vae/model/ (the canonical PyTorch example's style) and their export.

What a user of the app does with their own model, as the tests do it: torch.onnx.export of
the encoder and the decoder with external data, a vae.json and an images.npz.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class FcEncoder(nn.Module):
    """The canonical PyTorch VAE example's encoder: fc1, then fc21 (mu) and fc22 (logvar)."""

    def __init__(self, pixels: int = 784, hidden: int = 400, latent: int = 20) -> None:
        super().__init__()
        self.pixels = pixels
        self.fc1 = nn.Linear(pixels, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h1 = F.relu(self.fc1(x.view(-1, self.pixels)))
        return self.fc21(h1), self.fc22(h1)


class FcDecoder(nn.Module):
    """The canonical example's decoder: fc3, fc4 and a sigmoid, so it outputs the mean."""

    def __init__(
        self, shape: tuple[int, int, int] = (1, 28, 28), hidden: int = 400, latent: int = 20
    ) -> None:
        super().__init__()
        self.shape = shape
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, int(np.prod(shape)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3)).view(-1, *self.shape)


class ConvEncoder(nn.Module):
    """A small convolutional encoder: two stride-2 convolutions and one linear head."""

    def __init__(self, latent: int = 4) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, stride=2, padding=1)  # 28 -> 14
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)  # 14 -> 7
        self.head = nn.Linear(16 * 7 * 7, 2 * latent)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.c2(F.relu(self.c1(x))))
        mu, logvar = self.head(torch.flatten(h, 1)).chunk(2, dim=1)
        return mu, logvar


class ConvDecoder(nn.Module):
    """A small transposed-convolution decoder that outputs logits."""

    def __init__(self, latent: int = 4) -> None:
        super().__init__()
        self.fc = nn.Linear(latent, 16 * 7 * 7)
        self.d1 = nn.ConvTranspose2d(16, 8, 4, stride=2, padding=1)  # 7 -> 14
        self.d2 = nn.ConvTranspose2d(8, 1, 4, stride=2, padding=1)  # 14 -> 28

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.fc(z)).reshape(-1, 16, 7, 7)
        return self.d2(F.relu(self.d1(h)))


def torch_export(module: nn.Module, example: torch.Tensor, path: Path, names: list[str]) -> None:
    """What a user runs: torch.onnx.export with a free batch axis and external data."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(), (example,), str(path), input_names=names[:1], output_names=names[1:],
            dynamic_shapes=({0: torch.export.Dim("batch")},), external_data=True, verbose=False,
        )  # fmt: skip


def write_vae_json(folder: Path, **fields: Any) -> None:
    """vae.json: a Bernoulli model with logits unless `fields` say otherwise."""
    body = {"format": "onnx-vae/1", "likelihood": "bernoulli", "decoder_output": "logits"}
    (folder / "vae.json").write_text(json.dumps({**body, **fields}), encoding="utf-8")


def write_images(
    folder: Path, shape: tuple[int, ...], n: int = 16, seed: int = 0, classes: int = 3
) -> np.ndarray:
    """images.npz of n random uint8 images, labels cycling over `classes`."""
    x = np.random.default_rng(seed).integers(0, 256, (n, *shape), dtype=np.uint8)
    np.savez(folder / "images.npz", images=x, labels=np.arange(n) % classes)
    return x


def export_vae(
    folder: Path,
    encoder: nn.Module,
    decoder: nn.Module,
    shape: tuple[int, int, int],
    latent: int,
    images: np.ndarray | int = 64,
    labels: np.ndarray | None = None,
    **fields: Any,
) -> Path:
    """A new folder with encoder.onnx, decoder.onnx (external data), vae.json and images.npz.

    images: uint8 (N, C, H, W) to explore, or a count of random ones; `fields` go to vae.json.
    """
    folder.mkdir(parents=True)
    torch_export(encoder, torch.rand(2, *shape), folder / "encoder.onnx", ["x", "mu", "logvar"])
    torch_export(decoder, torch.randn(2, latent), folder / "decoder.onnx", ["z", "x"])
    write_vae_json(folder, image_shape=list(shape), latent_dim=latent, **fields)
    if isinstance(images, int):
        write_images(folder, shape, n=images)
    else:
        y = np.zeros(len(images), np.int64) if labels is None else labels
        np.savez(folder / "images.npz", images=images, labels=y)
    return folder
