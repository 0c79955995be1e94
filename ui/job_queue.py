"""Queued training requests start when a slot frees, whether or not a Training page is open.

The Training page starts the next request as it polls; when no one has it open (the
requester closed the tab, the class moved on, the server restarted), one daemon thread per
server process, started by the first page run, looks at each checkpoint folder's queue
every few seconds and starts what fits
(vae.training.jobs.advance_queue, under the folder's launch lock, so several processes
sharing a folder start each request once). Looking is a directory listing; in read-only
mode it starts nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from ui.warmup import libraries_ready
from vae.training import jobs

log = logging.getLogger(__name__)
POLL_SECONDS = 3.0

_lock = threading.Lock()
_roots: set[Path] = set()
_thread: threading.Thread | None = None
_logged: dict[Path, float] = {}  # a folder whose queue failed: when that was last logged
LOG_EVERY_S = 300.0


def advance_all() -> int:
    """Start what fits from every watched folder's queue; -> the number of jobs started."""
    with _lock:
        roots = sorted(_roots)
    started = 0
    for root in roots:
        try:
            if jobs.queued_jobs(root):
                started += len(jobs.advance_queue(root))
        except Exception:  # the next look tries again; the Training page shows the problem
            if time.monotonic() - _logged.get(root, -LOG_EVERY_S) >= LOG_EVERY_S:
                _logged[root] = time.monotonic()
                log.warning("the training queue of %s could not be advanced", root, exc_info=True)
    return started


def _watch() -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if libraries_ready():  # starting a job may import torch: not while the warm-up does
            advance_all()


def keep_queue_moving(root: Path) -> None:
    """Watch root's queue from now on (the thread starts on the first call)."""
    global _thread
    with _lock:
        _roots.add(Path(root))
        if _thread is None:
            _thread = threading.Thread(target=_watch, name="vae-job-queue", daemon=True)
            _thread.start()
