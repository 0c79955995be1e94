"""Exact shortcuts for a decoder that is affine layers with ReLUs between (the project's MLP).

Such a decoder is piecewise affine in z: where no ReLU changes sign, the logits are J z + c.
Two consequences are used, both exact (up to float rounding), not approximations:

- Derivatives: the logits' Jacobian J is carried forward beside the values (two tangents in
  2-D, so one batched product per layer), and since each affine piece has zero curvature the
  Hessian of log p(x|z) in z is J^T diag(d^2 log p / dl^2) J, the Gauss-Newton form, exactly.
- Many codes near one reference code z0 (a local grid around a mode): with the ReLU pattern m
  of z0, relu(a) = m a + d, where d is non-zero only for the few units whose sign differs
  from z0's somewhere in the group. Then every layer's pre-activation is an affine function
  of [z, d_1, d_2, ...], a product with a short inner dimension (the flipped units) instead
  of the full layer width; a group whose flips are many falls back to the plain forward pass.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

FALLBACK = 0.5  # a group whose inner dimension exceeds this share of the layer width runs dense


class ReluDecoder:
    """The decoder's Linear layers, for a Linear, ReLU, ..., Linear decoder (else `of` is None)."""

    def __init__(self, layers: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        self.layers = layers  # (W (out, in), b (out,)), a ReLU between each two
        self.transposed = [w.T.contiguous() for w, _ in layers]  # (in, out)

    @staticmethod
    def of(decoder: nn.Module) -> ReluDecoder | None:
        mods = [m for m in decoder.modules() if not isinstance(m, nn.Sequential)]
        mods = [m for m in mods if not isinstance(m, nn.Unflatten)]
        if len(mods) < 3 or len(mods) % 2 == 0:
            return None
        for i, m in enumerate(mods):
            if not isinstance(m, nn.Linear if i % 2 == 0 else nn.ReLU):
                return None
        lins = [m for m in mods if isinstance(m, nn.Linear)]
        return ReluDecoder([(m.weight.detach(), m.bias.detach()) for m in lins])

    def logits_and_jacobian(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and their Jacobian in z. z (P, D) -> (P, O), (P, D, O)."""
        (w, b), rest = self.layers[0], self.layers[1:]
        a = z @ w.T + b  # (P, n)
        t = w.T.expand(len(z), *w.T.shape)  # (P, D, n) d a / d z
        for w, b in rest:
            on = (a > 0).to(a.dtype)
            stacked = torch.cat([(a * on)[:, None, :], t * on[:, None, :]], 1)  # (P, 1 + D, n)
            out = stacked @ w.T  # (P, 1 + D, n')
            a, t = out[:, 0] + b, out[:, 1:]
        return a, t

    def logits_and_backward(
        self, z: torch.Tensor
    ) -> tuple[torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]:
        """Logits (P, O) and the map from d/dlogits (P, O) to d/dz (P, D): backprop by hand."""
        masks = []
        a = z
        for i, (_, b) in enumerate(self.layers):
            if i:
                masks.append(a > 0)
                a = torch.relu(a)
            a = torch.addmm(b, a, self.transposed[i])

        def back(r: torch.Tensor) -> torch.Tensor:
            for i in range(len(self.layers) - 1, 0, -1):
                r = (r @ self.layers[i][0]) * masks[i - 1]
            return r @ self.layers[0][0]

        return a, back

    def logits_near(self, z: torch.Tensor, z0: torch.Tensor) -> torch.Tensor:
        """Logits at codes z (P, D) that lie near z0 (D,), by the flipped units only. (P, O)."""
        (w, b), rest = self.layers[0], self.layers[1:]
        x = z  # (P, r): the inputs the pre-activation is affine in
        mt = self.transposed[0]  # a = x @ mt + c, mt (r, n)
        a = torch.addmm(b, x, mt)
        c_a0 = torch.stack([b, torch.addmv(b, w, z0)], 1)  # (n, 2): c and a(z0)
        for k, (w, b) in enumerate(rest):
            on = c_a0[:, 1] > 0  # z0's pattern
            keep = on.to(a.dtype)
            flipped = ((a * (1.0 - 2.0 * keep)).amax(0) > 0).nonzero()[:, 0]  # sign * a > 0
            if mt.shape[0] + len(flipped) > FALLBACK * w.shape[1]:
                return self._dense_from(torch.relu(a), rest[k:])
            af = a[:, flipped]
            d = torch.where(on[flipped], torch.clamp(af, max=0.0).neg(), torch.clamp(af, min=0.0))
            wt = self.transposed[k + 1]
            mt = torch.cat([(mt * keep) @ wt, wt[flipped]], 0)  # (r + f, n')
            c_a0 = torch.addmm(b[:, None], w, c_a0 * keep[:, None])  # d is zero at z0
            x = torch.cat([x, d], 1)
            a = torch.addmm(c_a0[:, 0], x, mt)
        return a

    @staticmethod
    def _dense_from(
        h: torch.Tensor, layers: list[tuple[torch.Tensor, torch.Tensor]]
    ) -> torch.Tensor:
        for i, (w, b) in enumerate(layers):
            h = h @ w.T + b
            if i < len(layers) - 1:
                h = torch.relu(h)
        return h
