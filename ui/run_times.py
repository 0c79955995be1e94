"""Server time per script run, for the load benchmark and tests: VAE_RUN_TIMES=FILE.

With the variable set, app.py wraps `navigation.run()` in `timed_run` and every script run
appends one JSON line to FILE: the page's url path ("" for the hidden home page that
forwards to /overview), the wall-clock start (Unix seconds), the seconds the page's run
took, a random token of the browser session, and how it ended: "ok", "rerun" (interrupted
by a newer rerun of the same session, or a switch_page), "stop" (st.stop, or Streamlit
stopped it: the session went away or a newer request replaced the run) or "error" (an
uncaught exception, which the page shows). A fragment's own reruns
do not pass through app.py and are not recorded. Unset (the default), nothing is measured
or written. `read_runs` parses the file for bench/classroom.py and tests/e2e.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

ENV = "VAE_RUN_TIMES"
SESSION_KEY = "run_times_session"  # this browser session's token in the file
_lock = threading.Lock()  # sessions run in threads of one process: one line at a time
# Streamlit's control flow, by class name (ui/streamlit_compat.py owns its internals).
_ENDINGS = {"RerunException": "rerun", "StopException": "stop"}


@dataclass(frozen=True)
class RunTime:
    """One script run as the server saw it."""

    page: str
    start: float  # time.time() at the start
    seconds: float
    session: str
    end: str  # "ok", "rerun", "stop" or "error"

    @property
    def finish(self) -> float:
        return self.start + self.seconds


@contextlib.contextmanager
def timed_run(page: str) -> Iterator[None]:
    """Time the page's run and append its line to $VAE_RUN_TIMES; without it, do nothing."""
    path = os.environ.get(ENV)
    if not path:
        yield
        return
    session = st.session_state.setdefault(SESSION_KEY, secrets.token_hex(4))
    start, t0 = time.time(), time.perf_counter()
    end = "error"
    try:
        yield
        end = "ok"
    except BaseException as exc:
        end = _ENDINGS.get(type(exc).__name__, "error")
        raise
    finally:
        line = {
            "page": page,
            "start": round(start, 4),
            "seconds": round(time.perf_counter() - t0, 5),
            "session": str(session),
            "end": end,
        }
        with contextlib.suppress(OSError), _lock, open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")


def read_runs(path: Path | str) -> list[RunTime]:
    """The runs recorded in a file written by `timed_run` (none when it does not exist)."""
    p = Path(path)
    if not p.is_file():
        return []
    runs = []
    for line in p.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            runs.append(RunTime(d["page"], d["start"], d["seconds"], d["session"], d["end"]))
    return runs
