"""What stops a training run: an error for a person, or a cancel (control flow)."""

from __future__ import annotations

from vae.errors import VAEError


class TrainingError(VAEError, RuntimeError):
    """Training cannot start or cannot go on; the message says why."""


class Cancelled(Exception):
    """SIGTERM or SIGINT arrived: stop after writing the status (not an error)."""


class TimeLimit(Cancelled):
    """The run's --time-limit passed: stop as a cancel does, keeping the last complete epoch."""
