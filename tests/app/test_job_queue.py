"""ui/job_queue.py: a queued request starts when the slot frees, with no Training page open."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.unit.test_server import START_TIMEOUT, request, root, wait_running  # noqa: F401
from ui import job_queue
from vae.training import jobs


def test_the_servers_thread_starts_a_queued_request_when_the_slot_frees(
    root: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(job_queue, "POLL_SECONDS", 0.2)
    monkeypatch.setenv("VAE_JOB_QUEUE", "1")
    ready = [True]  # the warm-up's imports are done (ui.warmup.libraries_ready)
    monkeypatch.setattr(job_queue, "libraries_ready", lambda: ready[0])
    first = jobs.start_job(request(epochs=500, name="running"), root, owner="alice")
    assert first.state == "starting"
    second = jobs.start_job(request(epochs=1, name="waiting"), root, owner="bob")
    assert second.state == "queued"
    job_queue.keep_queue_moving(root)
    wait_running(root, "running")
    time.sleep(1.0)  # several looks while the slot is taken: nothing starts
    assert jobs.queue_position(root, "waiting") == 1 and not (root / "waiting").exists()
    ready[0] = False  # a fresh server importing torch: the thread starts nothing meanwhile
    jobs.cancel_job(root, "running", owner="alice")  # alice closes her tab; no one polls
    assert jobs.wait(root, "running", timeout=60).state == "cancelled"
    time.sleep(1.0)
    assert jobs.queue_position(root, "waiting") == 1 and not (root / "waiting").exists()
    ready[0] = True
    deadline = time.monotonic() + 30
    while jobs.queued_jobs(root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert jobs.queued_jobs(root) == []
    assert jobs.job_owner(root, "waiting") == "bob"
    assert jobs.wait(root, "waiting", timeout=START_TIMEOUT).state == "finished"


def test_a_look_at_a_folder_without_a_queue_starts_nothing(tmp_path: Path) -> None:
    job_queue.keep_queue_moving(tmp_path / "not-made-yet")
    assert job_queue.advance_all() == 0
    assert not (tmp_path / "not-made-yet").exists()
