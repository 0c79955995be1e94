"""VAE: diagonal-Gaussian encoder q(z|x), standard-normal prior (Kingma & Welling 2013)."""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn

from vae.model.config import ModelConfig

MIN_LOG_SCALE = math.log(1e-3)  # floor of the Gaussian decoder's per-pixel sigma


def _mlp(widths: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(widths)):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class VAE(nn.Module):
    """Encoder -> (mu, logvar); reparameterised sample; decoder -> pixel logits.

    The decoder's output is always passed through a sigmoid to give the image mean:
    Bernoulli logits for grey-level or binary data, or the logit of the Gaussian mean
    (with a learned per-pixel log sigma) for real-valued data such as Frey Face.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c, h, w = config.image_shape
        z = config.latent_dim
        dims = list(config.hidden_dims)
        if config.arch == "mlp":
            self.encoder = nn.Sequential(nn.Flatten(), _mlp([c * h * w, *dims]), nn.ReLU())
            self.to_stats = nn.Linear(dims[-1], 2 * z)
            self.decoder = nn.Sequential(
                _mlp([z, *reversed(dims), c * h * w]), nn.Unflatten(1, (c, h, w))
            )
        else:
            down = 2 ** len(dims)
            fh, fw = h // down, w // down
            enc: list[nn.Module] = []
            for a, b in zip([c, *dims[:-1]], dims, strict=True):
                enc += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.ReLU()]
            enc.append(nn.Flatten())
            self.encoder = nn.Sequential(*enc)
            self.to_stats = nn.Linear(dims[-1] * fh * fw, 2 * z)
            dec: list[nn.Module] = [
                nn.Linear(z, dims[-1] * fh * fw),
                nn.ReLU(),
                nn.Unflatten(1, (dims[-1], fh, fw)),
            ]
            rev = [*reversed(dims), c]
            for i, (a, b) in enumerate(itertools.pairwise(rev)):
                dec.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))
                if i < len(rev) - 2:
                    dec.append(nn.ReLU())
            self.decoder = nn.Sequential(*dec)
        if config.likelihood == "gaussian":
            self.log_scale = nn.Parameter(torch.full((c, h, w), math.log(0.1)))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, H, W) in [0, 1] -> mu, logvar: (B, D)."""
        stats = self.to_stats(self.encoder(x))
        mu, logvar = stats.chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)

    @staticmethod
    def reparameterize(
        mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """z = mu + sigma * eps with eps ~ N(0, I): the reparameterisation trick (K&W Sec. 2.4).

        eps comes from `generator` when given, else from torch's global generator.
        """
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, D) -> decoder logits (B, C, H, W); sigmoid gives the image mean."""
        out: torch.Tensor = self.decoder(z)
        return out

    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, D) -> mean image (B, C, H, W) in [0, 1]."""
        return torch.sigmoid(self.decode(z))

    def pixel_log_scale(self) -> torch.Tensor:
        """Per-pixel log sigma of the Gaussian decoder, floored for stability. (C, H, W)"""
        return self.log_scale.clamp(min=MIN_LOG_SCALE)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """x: (B, C, H, W) -> logits (B, C, H, W), mu (B, D), logvar (B, D)."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar
