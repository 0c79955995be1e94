"""Latent-variable models for inference: a protocol, the project's VAE, a linear-Gaussian VAE.

Every model has the prior p(z) = N(0, I) (Kingma & Welling 2013, section 3), an encoder
q(z|x) = N(mu(x), diag exp(logvar(x))) and a likelihood p(x|z). Inputs x are float tensors
(for the project's VAE the images from `vae.evaluate.to_input`).
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import numpy as np
import torch
import torch.nn.functional as F

from vae.inference._deps import VAE
from vae.inference.codes import CodeCache
from vae.inference.relu import ReluDecoder

LOG_2PI = math.log(2 * math.pi)


@runtime_checkable
class LatentModel(Protocol):
    """What the inference code needs from a model: the encoder and log p(x|z)."""

    @property
    def latent_dim(self) -> int: ...

    @property
    def dtype(self) -> torch.dtype:
        """The floating type codes are evaluated in."""
        ...

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, ...) -> mu, logvar: (B, D)."""
        ...

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x_b | z_bs), differentiable in z. x (B, ...), z (B, S, D) -> (B, S)."""
        ...

    def log_likelihood_cross(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x_b | z_n) for every image against every code. x (B, ...), z (N, D) -> (B, N)."""
        ...


def softplus_sum(logits: torch.Tensor) -> torch.Tensor:
    """sum of softplus over the last axis. log(1 + exp(l)) is twice as fast as F.softplus and
    the same in float32 below l = 30 (exp cannot overflow); terms below 1e-7 are lost, < 1e-4
    nats in all, under the rounding of a float32 sum of 784 terms. (..., P) -> (...)."""
    if logits.numel() and float(logits.detach().max()) < 30.0:
        e = torch.exp(logits)
        return (e.add_(1.0).log_() if not e.requires_grad else torch.log(1.0 + e)).sum(-1)
    return F.softplus(logits).sum(-1)


def log_prior(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) summed over the last axis. (..., D) -> (...)."""
    return -0.5 * (z.pow(2).sum(-1) + z.shape[-1] * LOG_2PI)


def log_joint(model: LatentModel, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x, z) = log p(x|z) + log p(z). x (B, ...), z (B, S, D) -> (B, S)."""
    return model.log_likelihood(x, z) + log_prior(z)


class VAEModel:
    """The project's VAE seen as a LatentModel; log p(x|z) is the same sum as reconstruction_nll."""

    def __init__(self, vae: VAE) -> None:
        self.vae = vae.eval()
        self.likelihood = vae.config.likelihood
        p = next(vae.parameters())
        self.dtype, self.device = p.dtype, p.device
        self._decoded: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # last 2
        self.relu = ReluDecoder.of(vae.decoder)  # None: not a Linear-ReLU decoder
        self.codes: CodeCache | None = None  # decoded codes shared across batches, when set

    @property
    def latent_dim(self) -> int:
        return int(self.vae.config.latent_dim)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, H, W) -> mu, logvar: (B, D)."""
        with torch.no_grad():
            mu, logvar = self.vae.encode(x.to(self.device, self.dtype))
        return mu, logvar

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """-reconstruction_nll at S codes per image. x (B, C, H, W), z (B, S, D) -> (B, S).

        The same sum as reconstruction_nll's, written as x l - softplus(l) for Bernoulli
        (binary_cross_entropy_with_logits takes a third longer); one product per image.
        """
        b, s, d = z.shape
        logits = self.vae.decode(z.reshape(b * s, d).to(self.device, self.dtype))
        logits = logits.flatten(1).view(b, s, -1)  # (B, S, pixels)
        xf = x.to(self.device, self.dtype).flatten(1)  # (B, pixels)
        if self.likelihood == "bernoulli":
            xl = (logits @ xf[:, :, None])[..., 0]  # (B, S)
            return xl - softplus_sum(logits)
        return self._from_logits(
            xf[:, None].expand(b, s, -1).reshape(b * s, -1), logits.reshape(b * s, -1)
        ).view(b, s)

    def _from_logits(self, xf: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """log p(x|z) from the logits, per row. xf (P or 1, pixels), logits (P, pixels) -> (P,)."""
        if self.likelihood == "bernoulli":  # x l - softplus(l): binary_cross_entropy's sum
            xl = logits @ xf[0] if len(xf) == 1 else (xf * logits).sum(1)
            return xl - softplus_sum(logits)
        log_s = self.vae.pixel_log_scale().flatten()
        r = (xf - torch.sigmoid(logits)) * torch.exp(-log_s)
        return -(0.5 * r.pow(2) + log_s).sum(1) - 0.5 * LOG_2PI * log_s.numel()

    @torch.no_grad()
    def log_likelihood_near(self, x: torch.Tensor, z: torch.Tensor, z0: np.ndarray) -> torch.Tensor:
        """log p(x|z) of one image x (C, H, W) at codes z (P, D) near z0 (D,). -> (P,).

        For a Linear-ReLU decoder by ReluDecoder.logits_near (only the units that change sign
        between z0 and the codes), else by the plain decoder.
        """
        z = z.to(self.device, self.dtype)
        if self.relu is None:
            logits = self.vae.decode(z).flatten(1)
        else:
            logits = self.relu.logits_near(z, torch.as_tensor(z0, dtype=self.dtype))
        return self._from_logits(x.to(self.device, self.dtype).flatten()[None], logits)

    @torch.no_grad()
    def log_likelihood_pairs(self, x: torch.Tensor, img: np.ndarray, z: np.ndarray) -> torch.Tensor:
        """log p(x_img[p] | z_p) for (image, code) pairs; a code shared by pairs is decoded once.

        x (B, C, H, W), img (P,) indices into x, z (P, D) -> (P,). While `codes` holds a
        CodeCache (exact_log_px sets one), codes decoded for earlier batches are reused too.
        """
        xs = x.to(self.device, self.dtype).flatten(1)
        uz, inv = np.unique(z, axis=0, return_inverse=True)
        if self.likelihood != "bernoulli" or (self.codes is None and len(uz) == len(z)):
            logits = self._decode_codes(uz)[0][torch.as_tensor(inv.ravel())]
            return self._from_logits(xs[torch.as_tensor(img)], logits)
        if self.codes is None:
            logits, softplus = self._decode_codes(uz)
            at = inv.ravel()
        else:
            logits, softplus, rows = self.codes.lookup(uz, self._decode_codes)
            at = rows.numpy()[inv.ravel()]
        at_t = torch.as_tensor(at)
        out = -softplus[at_t]
        order = torch.as_tensor(np.argsort(img, kind="stable"))  # x . l by image: one product each
        counts = np.bincount(img, minlength=len(xs))
        ends = np.cumsum(counts)
        for i in np.nonzero(counts)[0]:
            mine = order[ends[i] - counts[i] : ends[i]]
            out[mine] += logits[at_t[mine]] @ xs[i]
        return out

    def _decode_codes(self, z: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        logits = self.vae.decode(torch.as_tensor(z, dtype=self.dtype, device=self.device))
        return logits.flatten(1), softplus_sum(logits.flatten(1))

    def _logit_derivatives(
        self, xf: torch.Tensor, logits: torch.Tensor, second: bool
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """d log p(x|z) / d logits and, when `second`, its second derivative (per pixel)."""
        m = torch.sigmoid(logits)
        if self.likelihood == "bernoulli":
            return xf - m, (-m * (1 - m) if second else None)
        w = torch.exp(-2.0 * self.vae.pixel_log_scale().flatten())
        dm = m * (1 - m)
        d2 = w * (-dm.pow(2) + (xf - m) * dm * (1 - 2 * m)) if second else None
        return w * (xf - m) * dm, d2

    def value_and_grad(
        self, x: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """log p(x_p|z_p) and its gradient in z by a hand-written backward pass, or None
        without a ReLU decoder. x (P, ...), z (P, D) -> (P,), (P, D)."""
        if self.relu is None:
            return None
        with torch.no_grad():
            logits, back = self.relu.logits_and_backward(z.to(self.device, self.dtype))
            xf = x.to(self.device, self.dtype).flatten(1)
            d1, _ = self._logit_derivatives(xf, logits, second=False)
            return self._from_logits(xf, logits), back(d1)

    def derivatives(
        self, x: torch.Tensor, z: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """log p(x_p|z_p), its gradient and exact Hessian in z, or None without a ReLU decoder.

        The logits' Jacobian J comes forward with the values (ReluDecoder); the decoder has no
        curvature, so the Hessian is J^T diag(d^2 log p / dl^2) J. x (P, ...), z (P, D).
        """
        if self.relu is None:
            return None
        with torch.no_grad():
            logits, jac = self.relu.logits_and_jacobian(z.to(self.device, self.dtype))
            xf = x.to(self.device, self.dtype).flatten(1)
            d1, d2 = self._logit_derivatives(xf, logits, second=True)
            assert d2 is not None
            value = self._from_logits(xf, logits)
            grad = torch.einsum("pdo,po->pd", jac, d1)
            hess = torch.einsum("pdo,peo->pde", jac * d2[:, None, :], jac)
        return value, grad, hess

    @torch.no_grad()
    def log_likelihood_cross(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Every image against every code as matrix products. x (B, C, H, W), z (N, D) -> (B, N).

        Bernoulli: log p(x|z) = sum_i x_i l_i - softplus(l_i), the same sum as
        binary_cross_entropy_with_logits, so x @ l^T - sum softplus(l). Gaussian on the
        sigmoid mean m with per-pixel sigma s: the square (x - m)^2 / s^2 expands into
        x^2 / s^2 - 2 x m / s^2 + m^2 / s^2, again one product. The decoder's output for the
        last two z tensors is kept, so a fixed grid (the same tensor object) is decoded only
        once, even when a view's grid comes between its uses.
        """
        xf = x.to(self.device, self.dtype).flatten(1)  # (B, P)
        hit = [d for d in self._decoded if d[0] is z]
        if hit:
            _, logits, softplus = hit[0]
        else:
            logits = self.vae.decode(z.to(self.device, self.dtype)).flatten(1)  # (N, P)
            softplus = softplus_sum(logits)  # (N,)
        self._decoded = [(z, logits, softplus), *[d for d in self._decoded if d[0] is not z][:1]]
        if self.likelihood == "bernoulli":
            return xf @ logits.T - softplus[None, :]
        mean = torch.sigmoid(logits)  # (N, P)
        log_s = self.vae.pixel_log_scale().flatten()  # (P,)
        w = torch.exp(-2.0 * log_s)  # (P,) 1 / s^2
        const = -(log_s.sum() + 0.5 * LOG_2PI * log_s.numel())
        quad = (xf.pow(2) * w).sum(1)[:, None] - 2.0 * (xf * w) @ mean.T + (mean.pow(2) @ w)[None]
        return const - 0.5 * quad


def as_latent_model(model: VAE | LatentModel) -> LatentModel:
    """Wrap the project's VAE; a LatentModel passes through."""
    return VAEModel(model) if isinstance(model, VAE) else model


class LinearGaussian:
    """p(z) = N(0, I), p(x|z) = N(Wz + b, sigma^2 I): posterior and evidence in closed form.

    The textbook linear-Gaussian latent model (probabilistic PCA, Tipping & Bishop 1999), used
    to check every approximation against the exact answer. Its encoder is deliberately not
    the best: the exact posterior mean moved by `shift` standard deviations, with the exact
    marginal variances diag(S), which are larger than the optimal diagonal ones 1 / diag(S^-1)
    when S has correlations, so both gaps are positive.
    """

    def __init__(self, w: torch.Tensor, b: torch.Tensor, sigma: float, shift: float = 0.5) -> None:
        self.w = w.double()  # (P, D)
        self.b = b.double()  # (P,)
        self.sigma = float(sigma)
        self.shift = float(shift)
        self.dtype = torch.float64
        d = self.w.shape[1]
        prec = torch.eye(d, dtype=torch.float64) + self.w.T @ self.w / self.sigma**2  # (D, D)
        self.post_cov = torch.linalg.inv(prec)  # S = (I + W^T W / sigma^2)^-1
        self.post_prec = prec

    @property
    def latent_dim(self) -> int:
        return int(self.w.shape[1])

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Exact p(z|x) = N(m, S), m = S W^T (x - b) / sigma^2. x (B, P) -> m (B, D), S (D, D)."""
        m = (x.double() - self.b) @ self.w @ self.post_cov / self.sigma**2  # S symmetric
        return m, self.post_cov

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) = log N(x; b, W W^T + sigma^2 I). x (B, P) -> (B,)."""
        p = self.w.shape[0]
        cov = self.w @ self.w.T + self.sigma**2 * torch.eye(p, dtype=torch.float64)
        dist = torch.distributions.MultivariateNormal(self.b, covariance_matrix=cov)
        return dist.log_prob(x.double())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The imperfect encoder: (m + shift * sqrt(diag S), log diag S). x (B, P) -> (B, D)."""
        m, s = self.posterior(x)
        sd = torch.sqrt(torch.diagonal(s))  # (D,)
        return m + self.shift * sd, torch.log(torch.diagonal(s)).expand_as(m).clone()

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log N(x_b; W z_bs + b, sigma^2 I). x (B, P), z (B, S, D) -> (B, S)."""
        mean = z.double() @ self.w.T + self.b  # (B, S, P)
        r = (x.double()[:, None, :] - mean) / self.sigma
        p = self.w.shape[0]
        return -0.5 * r.pow(2).sum(-1) - p * (math.log(self.sigma) + 0.5 * LOG_2PI)

    @torch.no_grad()
    def log_likelihood_cross(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Every x against every z. x (B, P), z (N, D) -> (B, N)."""
        return self.log_likelihood(x, z.double()[None].expand(x.shape[0], *z.shape))
