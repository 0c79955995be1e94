"""The classroom server's settings: read-only mode, jobs at once, the per-job time limit, owners.

Real `python -m vae.train` children on tiny digits runs, as in test_jobs.py.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from vae import load_checkpoint
from vae.training import jobs
from vae.training.jobs import JobError, JobRequest, JobRequestError
from vae.training.server import (
    ServerSettingError,
    job_nice,
    job_time_limit,
    max_jobs,
    queue_length,
    read_only,
)

TINY = {"dataset": "digits", "hidden_dims": "16", "batch_size": 256, "latent_dim": 2}
START_TIMEOUT = 120.0  # a cold `import torch` on a busy machine can take a while


def request(**kw: object) -> JobRequest:
    return JobRequest(**{**TINY, **kw})  # type: ignore[arg-type]


def files(root: Path) -> dict[str, int]:
    """Every path under root with its modification time (ns)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


def wait_running(root: Path, name: str, epochs_done: int = 0) -> jobs.JobStatus:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        status = jobs.job_status(root, name)
        if status.state == "running" and status.epoch >= epochs_done:
            return status
        assert status.state in jobs.ACTIVE, status
        time.sleep(0.1)
    raise AssertionError(f"{name} never ran")


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for env in ("READ_ONLY", "MAX_JOBS", "JOB_TIME_LIMIT", "JOB_QUEUE", "JOB_NICE"):
        monkeypatch.delenv(f"VAE_{env}", raising=False)
    jobs._children.clear()
    out = tmp_path / "checkpoints"
    yield out
    for status in jobs.running_jobs(out):
        jobs.cancel_job(out, status.name)
        jobs.wait(out, status.name, timeout=60)


# --- settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "on"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_read_only_values(value: str, on: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAE_READ_ONLY", value)
    assert read_only() is on


def test_job_settings_parse_and_refuse_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAE_MAX_JOBS", raising=False)
    monkeypatch.delenv("VAE_JOB_TIME_LIMIT", raising=False)
    assert (max_jobs(), job_time_limit()) == (1, None)
    monkeypatch.setenv("VAE_MAX_JOBS", "3")
    monkeypatch.setenv("VAE_JOB_TIME_LIMIT", "90")
    assert (max_jobs(), job_time_limit()) == (3, 90.0)
    monkeypatch.setenv("VAE_JOB_TIME_LIMIT", "0")
    assert job_time_limit() is None
    assert queue_length() == 0
    monkeypatch.setenv("VAE_JOB_QUEUE", "-2")
    with pytest.raises(ServerSettingError, match="VAE_JOB_QUEUE"):
        queue_length()
    monkeypatch.delenv("VAE_JOB_QUEUE")
    for env, bad in (("VAE_MAX_JOBS", "0"), ("VAE_MAX_JOBS", "two"), ("VAE_JOB_TIME_LIMIT", "-1")):
        monkeypatch.setenv(env, bad)
        with pytest.raises(ServerSettingError, match=env):
            max_jobs() if env == "VAE_MAX_JOBS" else job_time_limit()
        monkeypatch.delenv(env)


def test_job_nice_parses_and_refuses_bad_values(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("VAE_JOB_NICE", raising=False)
    assert job_nice() == 10
    monkeypatch.setenv("VAE_JOB_NICE", "0")
    assert job_nice() == 0
    for bad in ("20", "-1", "low"):
        monkeypatch.setenv("VAE_JOB_NICE", bad)
        with pytest.raises(ServerSettingError, match="VAE_JOB_NICE"):
            job_nice()
    from vae.training.cli import main

    assert main(["--dataset", "digits", "--out", "unused", "--nice", "20"]) == 2
    assert "--nice must be from 0 to 19, got 20" in capsys.readouterr().err


def test_a_job_runs_below_the_servers_cpu_priority(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    for setting, lower in ((None, 10), ("0", 0)):
        if setting is not None:
            monkeypatch.setenv("VAE_JOB_NICE", setting)
        name = f"nice-{lower}"
        start = jobs.start_job(request(epochs=500, name=name), root)
        argv = json.loads((root / ".jobs" / f"{name}.json").read_text())["argv"]
        assert ("--nice=10" in argv) is (lower == 10) and not any(
            a.startswith("--nice=0") for a in argv
        )
        wait_running(root, name)
        assert start.pid is not None
        assert os.getpriority(os.PRIO_PROCESS, start.pid) == min(19, mine + lower)
        jobs.cancel_job(root, name)
        assert jobs.wait(root, name, timeout=60).state == "cancelled"


# --- read-only ------------------------------------------------------------------------------


def test_read_only_refuses_every_action_and_writes_nothing(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = root / "kept"
    run.mkdir(parents=True)
    (run / "status.json").write_text(json.dumps({"state": "cancelled"}))
    before = files(root)
    monkeypatch.setenv("VAE_READ_ONLY", "1")
    for action in (
        lambda: jobs.start_job(request(epochs=1), root),
        lambda: jobs.resume_job(root, "kept"),
        lambda: jobs.cancel_job(root, "kept"),
    ):
        with pytest.raises(JobError, match="read-only"):
            action()
    assert files(root) == before
    assert not (root / ".jobs").exists()


# --- jobs at once, owners, the time limit ---------------------------------------------------


def test_max_jobs_allows_that_many_at_once_and_refuses_the_next(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAE_MAX_JOBS", "2")
    a = jobs.start_job(request(epochs=500, name="job-a"), root, owner="alice")
    b = jobs.start_job(request(epochs=500, name="job-b"), root, owner="bob")
    with pytest.raises(JobError, match=r"2 jobs are already running \(job-a.*job-b.*2 run at"):
        jobs.start_job(request(epochs=1, name="job-c"), root)
    assert not (root / "job-c").exists()
    assert {s.name for s in jobs.running_jobs(root)} == {a.name, b.name}
    # Only the session that started a job may cancel it.
    with pytest.raises(JobError, match="another browser session"):
        jobs.cancel_job(root, "job-a", owner="bob")
    assert jobs.job_status(root, "job-a").active
    assert jobs.cancel_job(root, "job-a", owner="alice").state == "cancelling"
    assert jobs.wait(root, "job-a", timeout=60).state == "cancelled"
    # A slot is free again.
    monkeypatch.setenv("VAE_MAX_JOBS", "2")
    c = jobs.start_job(request(epochs=500, name="job-c"), root)
    assert c.state == "starting"


def test_time_limit_stops_the_job_keeping_its_last_complete_epoch(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAE_JOB_TIME_LIMIT", "20")  # from launch, imports included
    start = jobs.start_job(request(epochs=100_000, name="limited"), root, owner="gone")
    record = json.loads((root / ".jobs" / "limited.json").read_text())
    assert "--time-limit=20" in record["argv"]
    wait_running(root, "limited", epochs_done=1)
    # No one watches it (the session is gone): the child stops itself at the limit.
    status = jobs.wait(root, start.name, timeout=START_TIMEOUT)
    assert status.state == "timed out", status
    assert "time limit of 20 s" in str(status.message) and status.resumable
    assert 1 <= status.epoch < 100_000
    ckpt = load_checkpoint(root / "limited")
    lines = (root / "limited" / "history.jsonl").read_text().splitlines()
    assert ckpt.epoch == len(lines) == status.epoch
    assert any(s.name == "limited" for s in jobs.unfinished_runs(root))


def test_requests_beyond_the_limit_wait_in_a_queue_and_start_in_order(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAE_JOB_QUEUE", "2")
    first = jobs.start_job(request(epochs=500, name="q-first"), root, owner="alice")
    assert first.state == "starting"
    second = jobs.start_job(request(epochs=500, name="q-second"), root, owner="bob")
    third = jobs.start_job(request(epochs=1, name="q-third"), root, owner="carol")
    assert (second.state, str(second.message)) == ("queued", "number 1 in the queue")
    assert (third.state, str(third.message)) == ("queued", "number 2 in the queue")
    with pytest.raises(JobError, match=r"queue is full \(2 waiting\)"):
        jobs.start_job(request(epochs=1, name="q-fourth"), root)
    with pytest.raises(JobRequestError, match="exists already"):  # a waiting name is taken
        jobs.start_job(request(epochs=1, name="q-second"), root)
    assert not (root / "q-second").exists() and not (root / "q-fourth").exists()
    assert jobs.advance_queue(root) == []  # no free slot yet
    # Only the session that queued a request may take it out.
    with pytest.raises(JobError, match="another browser session"):
        jobs.cancel_job(root, "q-third", owner="bob")
    jobs.cancel_job(root, "q-first", owner="alice")
    assert jobs.wait(root, "q-first", timeout=60).state == "cancelled"
    (started,) = jobs.advance_queue(root)
    assert started.name == "q-second" and jobs.job_owner(root, "q-second") == "bob"
    assert jobs.queue_position(root, "q-third") == 1
    assert jobs.cancel_job(root, "q-third", owner="carol").state == "cancelled"
    assert jobs.queued_jobs(root) == []
