"""Decoded codes kept for reuse across batches of images (the search's shared subgrid points)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch

CAPACITY = 65_536  # codes kept at most (~200 MB of MNIST logits); then decoding resumes


class CodeCache:
    """Logits and their row sums of softplus, by the exact bytes of each code."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.rows: dict[bytes, int] = {}
        self.logits: torch.Tensor | None = None  # (capacity so far, pixels)
        self.softplus: torch.Tensor | None = None  # (capacity so far,)
        self.used = 0

    def lookup(
        self,
        codes: np.ndarray,
        decode: Callable[[np.ndarray], tuple[torch.Tensor, torch.Tensor]],
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A table of logits (R, pixels) and softplus sums (R,), and each code's row of it (U,).

        codes (U, D) distinct; the misses are decoded (decode: codes -> logits, softplus sums)
        and kept while there is room, else all are decoded and returned on their own.
        """
        keys = [c.tobytes() for c in codes]
        miss = [i for i, k in enumerate(keys) if k not in self.rows]
        if miss and self.used + len(miss) > self.capacity:
            return (*decode(codes), torch.arange(len(codes)))
        if miss:
            logits, softplus = decode(codes[miss])
            self._grow(self.used + len(miss), logits.shape[1], logits.dtype)
            assert self.logits is not None and self.softplus is not None
            self.logits[self.used : self.used + len(miss)] = logits
            self.softplus[self.used : self.used + len(miss)] = softplus
            for j, i in enumerate(miss):
                self.rows[keys[i]] = self.used + j
            self.used += len(miss)
        assert self.logits is not None and self.softplus is not None
        return self.logits, self.softplus, torch.as_tensor([self.rows[k] for k in keys])

    def _grow(self, need: int, width: int, dtype: torch.dtype) -> None:
        size = 0 if self.logits is None else len(self.logits)
        if need <= size:
            return
        new = min(self.capacity, max(need, 2 * size, 4096))
        logits = torch.empty((new, width), dtype=dtype)
        softplus = torch.empty(new, dtype=dtype)
        if self.logits is not None and self.softplus is not None:
            logits[:size], softplus[:size] = self.logits, self.softplus
        self.logits, self.softplus = logits, softplus


@contextmanager
def sharing(model: object) -> Iterator[None]:
    """While it runs, a model with an empty `codes` slot (VAEModel) keeps decoded codes."""
    own = getattr(model, "codes", False) is None
    if own:
        setattr(model, "codes", CodeCache())  # noqa: B010
    try:
        yield
    finally:
        if own:
            setattr(model, "codes", None)  # noqa: B010
