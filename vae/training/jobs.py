"""Training launched from the app: `python -m vae.train` child processes, VAE_MAX_JOBS at once.

Bookkeeping lives in CHECKPOINT_DIR/.jobs/ (hidden, so run pickers skip it):
  <run>.lock   an flock taken by the launcher and inherited by the child (pass_fds), so it is
               held from the moment the child exists until it exits, however it exits; the
               launcher closes its own copy at once. "Is it running" = a non-blocking flock
               on it fails. A killed child or a crashed server can never leave it held.
  <run>.json   the launch record: pid (also the process group), start time, planned epochs,
               whether a cancel was asked for, the launching browser session's token.
  <run>.log    the child's stdout and stderr.
  active.json  the run this server launched last; at most VAE_MAX_JOBS run at once per folder.
  launch.lock  held only while checking and spawning, so two requests never both start.
  queue/       requests waiting for a free slot (VAE_JOB_QUEUE), one <time>-<run>.json each;
               advance_queue starts them in order (the Training page as it polls, and
               ui/job_queue.py's thread when no page is open).
The run's own state comes from the status.json that vae.train writes; a run whose process
is gone while its status still says running was interrupted and resumes with --resume.
The server's settings (vae.training.server): VAE_READ_ONLY=1 refuses every action here
before anything is written; VAE_JOB_TIME_LIMIT gives each child --time-limit, which the
child enforces itself, so a job whose page or server is gone still stops at its limit.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vae.data import data_root
from vae.errors import Listing, Message, VAEError
from vae.runfolder.config import read_config
from vae.runfolder.files import read_record, write_json
from vae.training.jobrequest import FIELD_LABELS as FIELD_LABELS
from vae.training.jobrequest import JobRequest as JobRequest
from vae.training.jobrequest import JobRequestError as JobRequestError
from vae.training.jobrequest import check_run_name as check_run_name
from vae.training.jobrequest import new_run_name as new_run_name
from vae.training.jobrequest import validate_request as validate_request
from vae.training.jobstate import ACTIVE as ACTIVE
from vae.training.jobstate import JobStatus as JobStatus
from vae.training.jobstate import _children as _children
from vae.training.jobstate import _jobs
from vae.training.jobstate import active_job as active_job
from vae.training.jobstate import job_owner as job_owner
from vae.training.jobstate import job_status as job_status
from vae.training.jobstate import log_tail as log_tail
from vae.training.jobstate import running_jobs as running_jobs
from vae.training.jobstate import unfinished_runs as unfinished_runs
from vae.training.server import (
    READ_ONLY_ENV,
    job_nice,
    job_time_limit,
    max_jobs,
    queue_length,
    read_only,
)

_PROJECT = Path(__file__).resolve().parents[2]


class JobError(VAEError, RuntimeError):
    """A job cannot be started, resumed or cancelled; the message says why and what to do."""


# --- locks --------------------------------------------------------------------------------


def _flock(fd: int, seconds: float, message: str, /, **params: object) -> None:
    """Take an exclusive flock on fd, retrying for a few seconds; JobError(message) if not."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise JobError(message, **params) from exc
            time.sleep(0.01)


@contextlib.contextmanager
def _launch_lock(root: Path) -> Iterator[None]:
    _jobs(root).mkdir(parents=True, exist_ok=True)
    fd = os.open(_jobs(root) / "launch.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _flock(fd, 10.0, "another training request is being started; try again")
        yield
    finally:
        os.close(fd)


# --- actions ------------------------------------------------------------------------------


def _refuse_if_read_only() -> None:
    if read_only():
        raise JobError(
            "this server is read-only ({read_only_env}=1): training, resuming and cancelling "
            "are turned off, and nothing is written. Run the app without it to train.",
            read_only_env=READ_ONLY_ENV,
        )


def _refuse_if_busy(root: Path) -> None:
    busy = running_jobs(root)
    limit = max_jobs()
    if len(busy) >= limit:
        what = Listing(
            Message(
                "{name}, epoch {epoch} of {epochs}", name=b.name, epoch=b.epoch, epochs=b.epochs
            )
            for b in busy
        )
        one = Message("one runs") if limit == 1 else Message("{limit} run", limit=limit)
        waiting = len(queued_jobs(root))
        full = Message(" and the queue is full ({waiting} waiting)", waiting=waiting)
        # TRANSLATORS: {busy} is "a training job is" or "{n} jobs are"; {what} lists the
        # running jobs; {one} is "one runs" or "{limit} run"; {full} is empty or says the
        # queue is full.
        raise JobError(
            "{busy} already "
            "running ({what}); on this server {one} at a time{full}. Wait for it to finish.",
            busy=Message("a training job is")
            if len(busy) == 1
            else Message("{n} jobs are", n=len(busy)),
            what=what,
            one=one,
            full=full if waiting else "",
        )


def _queue(root: Path) -> Path:
    return _jobs(root) / "queue"


def queued_jobs(root: Path) -> list[dict[str, Any]]:
    """Requests waiting for a slot, first come first: {name, argv, epochs, owner, file}."""
    try:
        files = sorted(_queue(root).glob("*.json"))
    except OSError:
        return []
    found = [{**read_record(f), "file": f.name} for f in files]
    return [q for q in found if isinstance(q.get("name"), str)]


def queue_position(root: Path, name: str) -> int | None:
    """1 for the next request to start, None when `name` is not waiting."""
    names = [q["name"] for q in queued_jobs(root)]
    return names.index(name) + 1 if name in names else None


def advance_queue(root: Path) -> list[JobStatus]:
    """Start waiting requests, in order, while fewer than VAE_MAX_JOBS jobs run."""
    if read_only() or not queued_jobs(root):
        return []
    started = []
    with _launch_lock(root):
        for q in queued_jobs(root):
            if len(running_jobs(root)) >= max_jobs():
                break
            entry = _queue(root) / q["file"]
            if (root / q["name"]).exists():
                entry.unlink(missing_ok=True)
                continue
            argv = [str(a) for a in q.get("argv", [])]
            try:  # the entry leaves once the job's record is written: never in neither place
                job = _spawn(root, q["name"], argv, int(q.get("epochs", 0)), str(q.get("owner")))
            finally:
                entry.unlink(missing_ok=True)
            started.append(job)
    return started


def _spawn(root: Path, name: str, argv: list[str], epochs: int, owner: str) -> JobStatus:
    jobs = _jobs(root)
    limit, nice = job_time_limit(), job_nice()
    if limit is not None:
        argv = [*argv, f"--time-limit={limit:g}"]
    if nice:
        argv = [*argv, f"--nice={nice}"]
    fd = os.open(jobs / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # A status probe may hold the lock for a moment; a live child holds it for good.
        _flock(fd, 0.2, "a process for {name} is still running; wait for it", name=name)
        env = dict(os.environ, VAE_DATA_ROOT=str(data_root().resolve()))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT), env.get("PYTHONPATH")]))
        started = time.time()
        with open(jobs / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "vae.train", *argv],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: survives the page, cancels as one
                pass_fds=(fd,),  # the child now holds the lock for its whole life
                cwd=_PROJECT,
                env=env,
            )
    finally:
        os.close(fd)
    _children[proc.pid] = proc
    rec = {"pid": proc.pid, "started": started, "epochs": epochs, "argv": argv, "owner": owner}
    write_json(jobs / f"{name}.json", {**rec, "cancel_requested": False})
    write_json(jobs / "active.json", {"run": name})
    return JobStatus(name, "starting", epochs=epochs, pid=proc.pid, message=Message("starting"))


def start_job(req: JobRequest, root: Path, owner: str = "") -> JobStatus:
    """Validate the request and launch it. Raises JobRequestError (bad value) or JobError.

    `owner` is the launching browser session's token: only it may cancel the job.
    """
    _refuse_if_read_only()
    name, argv = validate_request(req, root)
    try:
        with _launch_lock(root):
            waiting = queued_jobs(root)
            if (root / name).exists() or name in {q["name"] for q in waiting}:
                raise JobRequestError("name", "a run named {name!r} exists already", name=name)
            if len(running_jobs(root)) >= max_jobs() and len(waiting) < queue_length():
                _queue(root).mkdir(exist_ok=True)
                rec = {"name": name, "argv": argv, "epochs": req.epochs, "owner": owner}
                write_json(_queue(root) / f"{time.time_ns():020d}-{name}.json", rec)
                where = Message("number {place} in the queue", place=len(waiting) + 1)
                return JobStatus(name, "queued", epochs=req.epochs, message=where)
            _refuse_if_busy(root)
            return _spawn(root, name, argv, req.epochs, owner)
    except OSError as exc:
        raise JobError(
            "could not start training in {root}: {reason}", root=root, reason=exc
        ) from exc


def resume_job(root: Path, name: str, epochs: int | None = None, owner: str = "") -> JobStatus:
    """Continue an interrupted or cancelled run from its last epoch (to `epochs` if given)."""
    _refuse_if_read_only()
    check_run_name(name)
    try:
        with _launch_lock(root):
            _refuse_if_busy(root)
            status = job_status(root, name)
            if not status.resumable:
                raise JobError(
                    "{name} cannot be resumed: it is {state}. {message}",
                    name=name,
                    state=status.state,
                    message=status.message,
                )
            planned = epochs if epochs is not None else read_config(root / name).train.epochs
            argv = [f"--out={(root / name).resolve()}", "--resume", f"--epochs={planned}"]
            return _spawn(root, name, argv, planned, owner)
    except OSError as exc:
        raise JobError("could not resume {name}: {reason}", name=name, reason=exc) from exc


def cancel_job(root: Path, name: str, owner: str | None = None) -> JobStatus:
    """Ask a running job to stop (SIGTERM to its process group); it keeps its last epoch.

    With `owner` (a browser session's token), only the session that launched the job may
    cancel it; without (the command line, the tests), any job may be cancelled.
    """
    _refuse_if_read_only()
    with _launch_lock(root):  # not while advance_queue is starting it
        for q in queued_jobs(root):  # a request still waiting leaves the queue
            if q["name"] == name:
                if owner is not None and str(q.get("owner")) != owner:
                    raise JobError(
                        "{name} was queued from another browser session; only it can cancel",
                        name=name,
                    )
                (_queue(root) / q["file"]).unlink(missing_ok=True)
                gone = Message("taken out of the queue before it started")
                return JobStatus(name, "cancelled", message=gone)
    status = job_status(root, name)
    if not status.active or status.pid is None:
        raise JobError(
            "{name} is not running (it is {state}); nothing to cancel",
            name=name,
            state=status.state,
        )
    if owner is not None and job_owner(root, name) != owner:
        raise JobError(
            "{name} was started from another browser session; only it can cancel", name=name
        )
    path = _jobs(root) / f"{name}.json"
    write_json(path, {**read_record(path), "cancel_requested": True})
    with contextlib.suppress(ProcessLookupError):
        os.killpg(int(status.pid), signal.SIGTERM)
    return JobStatus(name, "cancelling", status.epoch, status.epochs, pid=status.pid)


def wait(root: Path, name: str, timeout: float, poll: float = 0.2) -> JobStatus:
    """Poll until the run is no longer starting or running, or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    status = job_status(root, name)
    while status.active and time.monotonic() < deadline:
        time.sleep(poll)
        status = job_status(root, name)
    return status
