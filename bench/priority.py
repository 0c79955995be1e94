"""CPU priority for a load test: the browsers stand in for the visitors' own machines."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def kept_nice(prefix: str, nice: int, every_s: float = 0.25) -> Iterator[None]:
    """While it runs, every thread of the processes whose name starts with `prefix` is set to
    `nice` again and again (Linux; elsewhere nothing). Chromium sets its threads' priorities
    itself, some of them up, so one `nice` at launch does not hold."""
    proc = Path("/proc")
    if not nice or not proc.is_dir():
        yield
        return
    stop = threading.Event()

    def renice() -> None:
        while not stop.wait(every_s):
            for task in proc.glob("[0-9]*/task/[0-9]*"):
                with contextlib.suppress(OSError, ValueError):
                    comm = (task.parent.parent / "comm").read_text().strip()
                    if (
                        comm.startswith(prefix)
                        and os.getpriority(os.PRIO_PROCESS, int(task.name)) != nice
                    ):
                        os.setpriority(os.PRIO_PROCESS, int(task.name), nice)

    thread = threading.Thread(target=renice, name="renice", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
