"""CPU priority for a load test: the browsers stand in for the visitors' own machines."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


def _descendants(proc: Path, root: int) -> list[int]:
    """Processes started (at any depth) by process `root`."""
    parent: dict[int, int] = {}
    for stat in proc.glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parent[int(stat.parent.name)] = int(fields[1])
    found, todo = [], [root]
    while todo:
        parent_pid = todo.pop()
        kids = [pid for pid, ppid in parent.items() if ppid == parent_pid]
        found += kids
        todo += kids
    return found


@contextlib.contextmanager
def kept_nice(prefix: str, nice: int, every_s: float = 0.5) -> Iterator[None]:
    """While it runs, every thread of this process's descendants whose name starts with
    `prefix` is set to `nice` again and again (Linux; elsewhere nothing). Chromium sets its
    threads' priorities itself, some of them up, so one `nice` at launch does not hold."""
    proc = Path("/proc")
    if not nice or not proc.is_dir():
        yield
        return
    stop = threading.Event()

    def renice() -> None:
        while not stop.wait(every_s):
            for pid in _descendants(proc, os.getpid()):
                with contextlib.suppress(OSError, ValueError):
                    if not (proc / str(pid) / "comm").read_text().startswith(prefix):
                        continue
                    for task in (proc / str(pid) / "task").iterdir():
                        if os.getpriority(os.PRIO_PROCESS, int(task.name)) != nice:
                            os.setpriority(os.PRIO_PROCESS, int(task.name), nice)

    thread = threading.Thread(target=renice, name="renice", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
