"""vae.training.jobs: form validation, and real `python -m vae.train` children on tiny runs."""

from __future__ import annotations

import json
import math
import os
import signal
import time
from pathlib import Path

import pytest

from vae import load_checkpoint
from vae.training import jobs
from vae.training.jobs import JobError, JobRequest, JobRequestError

TINY = {"dataset": "digits", "hidden_dims": "16", "batch_size": 256, "latent_dim": 2}
START_TIMEOUT = 120.0  # a cold `import torch` on a busy machine can take a while


def request(**kw: object) -> JobRequest:
    return JobRequest(**{**TINY, **kw})  # type: ignore[arg-type]


def wait_until(pred, timeout: float = START_TIMEOUT):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    jobs._children.clear()
    return tmp_path / "checkpoints"


# --- validation (no process started) ------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"latent_dim": 0}, "latent_dim", "from 1 to 64"),
        ({"latent_dim": 10**6}, "latent_dim", "got 1000000"),
        ({"latent_dim": 2.5}, "latent_dim", "whole number"),
        ({"epochs": -1}, "epochs", "got -1"),
        ({"lr": math.nan}, "lr", "finite"),
        ({"lr": 0.0}, "lr", "above 0"),
        ({"beta": math.inf}, "beta", "finite"),
        ({"epochs": 0}, "epochs", "at least 1 epoch"),
        ({"warmup_epochs": -1}, "warmup_epochs", "at least 0"),
        ({"lr_anneal_epochs": 11}, "lr_anneal_epochs", "from 0 to epochs (10)"),
        ({"lr_anneal_epochs": 1.5}, "lr_anneal_epochs", "whole number"),
        ({"batch_size": 5000}, "batch_size", "1500 training images"),
        ({"batch_size": 0}, "batch_size", "from 1"),
        ({"dataset": "imagenet"}, "dataset", "unknown data set"),
        ({"dataset": "folder:/etc"}, "dataset", "unknown data set"),
        ({"hidden_dims": "a,b"}, "hidden_dims", "whole numbers"),
        ({"hidden_dims": "8192,8192,8192"}, "hidden_dims", "parameters"),
        ({"arch": "conv", "hidden_dims": "8,8,8,8"}, "arch", "divisible"),
        ({"name": "../escape"}, "name", "letters, digits"),
        ({"name": "/etc"}, "name", "letters, digits"),
        ({"name": "a b"}, "name", "letters, digits"),
        ({"name": ".hidden"}, "name", "letters, digits"),
    ],
)
def test_bad_values_are_refused_naming_the_field(
    root: Path, values: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(JobRequestError) as info:
        jobs.validate_request(request(**values), root)
    assert info.value.field == field
    assert str(info.value).startswith(jobs.FIELD_LABELS[field] + ":")
    assert words in str(info.value)
    assert not root.exists()  # nothing was created


def test_dataset_not_on_disk_is_refused(root: Path, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VAE_DATA_ROOT", str(tmp_path / "empty"))
    monkeypatch.setattr("torchvision.datasets.MNIST.download", lambda self: None)
    with pytest.raises(JobRequestError) as info:
        jobs.validate_request(request(dataset="mnist"), root)
    assert info.value.field == "dataset" and "not on disk" in str(info.value)


def test_existing_name_is_refused_and_generated_names_are_fresh(root: Path) -> None:
    (root / "taken").mkdir(parents=True)
    with pytest.raises(JobRequestError, match="exists already"):
        jobs.validate_request(request(name="taken"), root)
    name, argv = jobs.validate_request(request(), root)
    assert name.startswith("digits-2d-") and f"--out={root.resolve() / name}" in argv
    assert not [a for a in argv if a.startswith(("--warmup", "--lr-anneal"))]  # 0: CLI default
    _, argv = jobs.validate_request(request(warmup_epochs=2, lr_anneal_epochs=3), root)
    assert {"--warmup-epochs=2", "--lr-anneal-epochs=3"} <= set(argv)


def test_no_job_state(root: Path) -> None:
    assert jobs.active_job(root) is None
    assert jobs.unfinished_runs(root) == []
    with pytest.raises(JobRequestError):
        jobs.resume_job(root, "../x")


# --- real child processes ----------------------------------------------------------------


def read_history(run: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_launch_runs_to_finished_and_a_second_request_is_refused(root: Path) -> None:
    status = jobs.start_job(request(epochs=2, name="first"), root)
    assert status.state == "starting" and status.pid
    with pytest.raises(JobError, match="already running"):
        jobs.start_job(request(epochs=1, name="second"), root)
    assert not (root / "second").exists()
    done = jobs.wait(root, "first", timeout=START_TIMEOUT)
    assert done.state == "finished", jobs.log_tail(root, "first")
    assert done.epoch == 2 and done.fraction == 1.0
    assert [row["epoch"] for row in read_history(root / "first")] == [1, 2]
    assert load_checkpoint(root / "first").epoch == 2
    active = jobs.active_job(root)
    assert active is not None and active.name == "first" and active.state == "finished"
    with pytest.raises(JobRequestError, match="exists already"):
        jobs.start_job(request(epochs=1, name="first"), root)


@pytest.mark.slow
def test_cancel_stops_the_process_group_and_reads_cancelled(root: Path) -> None:
    jobs.start_job(request(epochs=100_000, name="long"), root)
    wait_until(lambda: jobs.job_status(root, "long").epoch >= 1)
    running = jobs.job_status(root, "long")
    assert running.state == "running" and running.epochs == 100_000
    assert 0 < running.fraction < 0.01
    assert jobs.cancel_job(root, "long").state == "cancelling"
    stopped = jobs.wait(root, "long", timeout=60)
    assert stopped.state == "cancelled" and stopped.resumable
    assert json.loads((root / "long" / "status.json").read_text())["state"] == "cancelled"
    with pytest.raises(JobError, match="not running"):
        jobs.cancel_job(root, "long")
    assert [s.name for s in jobs.unfinished_runs(root)] == ["long"]


@pytest.mark.slow
def test_kill_9_reads_interrupted_and_resumes_to_the_planned_epochs(root: Path) -> None:
    jobs.start_job(request(epochs=100_000, name="victim"), root)
    wait_until(lambda: jobs.job_status(root, "victim").epoch >= 1)
    pid = jobs.job_status(root, "victim").pid
    assert isinstance(pid, int)
    os.kill(pid, signal.SIGKILL)
    jobs._children.clear()  # as after a server restart: only the files are left
    status = wait_until(lambda: (s := jobs.job_status(root, "victim")).state != "running" and s)
    assert status.state == "interrupted" and status.resumable, status
    assert json.loads((root / "victim" / "status.json").read_text())["state"] == "running"
    done_epochs = len(read_history(root / "victim"))
    assert done_epochs >= 1 and status.epoch == done_epochs
    resumed = jobs.resume_job(root, "victim", epochs=done_epochs + 1)  # the lock was not stale
    assert resumed.state == "starting"
    final = jobs.wait(root, "victim", timeout=START_TIMEOUT)
    assert final.state == "finished", jobs.log_tail(root, "victim")
    history = read_history(root / "victim")
    assert [row["epoch"] for row in history] == list(range(1, done_epochs + 2))
    assert load_checkpoint(root / "victim").epoch == done_epochs + 1
    with pytest.raises(JobError, match="cannot be resumed"):
        jobs.resume_job(root, "victim")
