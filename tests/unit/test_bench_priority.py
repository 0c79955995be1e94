"""bench/priority.py: the load test lowers the priority of its own browsers, and no one else's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.priority import _descendants, kept_nice

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc only")


def test_descendants_are_found_at_every_depth_and_strangers_are_not() -> None:
    child = subprocess.Popen(["sh", "-c", "sleep 30 & wait"])  # a child with a child of its own
    try:
        deadline = time.monotonic() + 10
        found: list[int] = []
        while len(found) < 2 and time.monotonic() < deadline:
            found = _descendants(Path("/proc"), os.getpid())
            time.sleep(0.05)
        assert child.pid in found and len(found) >= 2
        assert os.getppid() not in found and os.getpid() not in found
    finally:
        subprocess.run(["pkill", "-P", str(child.pid)], check=False)
        child.kill()
        child.wait()


def test_kept_nice_lowers_every_thread_of_a_named_descendant(tmp_path: Path) -> None:
    script = "import threading, time; threading.Thread(target=time.sleep, args=(30,)).start(); "
    script += "time.sleep(30)"
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    runner = tmp_path / "nicetarget"  # a name no other process has: only it is reniced
    runner.symlink_to(sys.executable)
    child = subprocess.Popen([str(runner), "-c", script])
    try:
        with kept_nice("nicetarget", 7, every_s=0.05):
            deadline = time.monotonic() + 10
            tasks = list((Path("/proc") / str(child.pid) / "task").iterdir())
            while time.monotonic() < deadline:
                tasks = list((Path("/proc") / str(child.pid) / "task").iterdir())
                nice = {os.getpriority(os.PRIO_PROCESS, int(t.name)) for t in tasks}
                if len(tasks) >= 2 and nice == {7}:
                    break
                time.sleep(0.05)
            assert len(tasks) >= 2 and nice == {7}
        assert os.getpriority(os.PRIO_PROCESS, 0) == mine  # the bench's own process is left alone
    finally:
        child.kill()
        child.wait()
