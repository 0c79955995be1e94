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

    A stop that arrives meanwhile is only noted, and sent again (to the handler there was
    before) as soon as the block ends. The kernel hands a process's signal to any of its
    threads, torch's included, but Python runs its handlers in the main thread, so the
    handlers are swapped rather than the signal mask. Only the main thread can do that, so
    elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    before = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    try:
        for s in STOP_SIGNALS:
            signal.signal(s, lambda signum, frame: arrived.append(signum))
        yield
    finally:
        for s, handler in before.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        for signum in dict.fromkeys(arrived):
            signal.raise_signal(signum)
