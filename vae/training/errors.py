"""What stops a training run: an error for a person, or a cancel (control flow)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from vae.errors import VAEError

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGALRM}


class TrainingError(VAEError, RuntimeError):
    """Training cannot start or cannot go on; the message says why."""


class Cancelled(Exception):
    """SIGTERM or SIGINT arrived: stop after writing the status (not an error)."""


class TimeLimit(Cancelled):
    """The run's --time-limit passed: stop as a cancel does, keeping the last complete epoch."""


@contextmanager
def stops_held() -> Iterator[None]:
    """Hold a cancel or the time limit until the block ends, so an epoch's files agree.

    A stop that arrives meanwhile is delivered (and raised) as soon as the block ends. Only
    the main thread receives Python's signal handlers, so elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
