"""Training launched from the app: one `python -m vae.train` child process at a time.

Bookkeeping lives in CHECKPOINT_DIR/.jobs/ (hidden, so run pickers skip it):
  <run>.lock   an flock taken by the launcher and inherited by the child (pass_fds), so it is
               held from the moment the child exists until it exits, however it exits; the
               launcher closes its own copy at once. "Is it running" = a non-blocking flock
               on it fails. A killed child or a crashed server can never leave it held.
  <run>.json   the launch record: pid (also the process group), start time, planned epochs,
               whether a cancel was asked for.
  <run>.log    the child's stdout and stderr.
  active.json  the run this server launched last; one job may run at a time per folder.
  launch.lock  held only while checking and spawning, so two requests never both start.
The run's own state comes from the status.json that vae.train writes; a run whose process
is gone while its status still says running was interrupted and resumes with --resume.
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

from vae.data import data_root
from vae.errors import VAEError
from vae.runfolder.checkpoint import read_config
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
from vae.training.jobstate import job_status as job_status
from vae.training.jobstate import log_tail as log_tail
from vae.training.jobstate import unfinished_runs as unfinished_runs

_PROJECT = Path(__file__).resolve().parents[2]


class JobError(VAEError, RuntimeError):
    """A job cannot be started, resumed or cancelled; the message says why and what to do."""


# --- locks --------------------------------------------------------------------------------


def _flock(fd: int, seconds: float, message: str) -> None:
    """Take an exclusive flock on fd, retrying for a few seconds; JobError(message) if not."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise JobError(message) from exc
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


def _refuse_if_busy(root: Path) -> None:
    busy = active_job(root)
    if busy is not None and busy.active:
        raise JobError(
            f"a training job is already running ({busy.name}, epoch {busy.epoch} of "
            f"{busy.epochs}); only one runs at a time. Wait for it to finish or cancel it."
        )


def _spawn(root: Path, name: str, argv: list[str], epochs: int) -> JobStatus:
    jobs = _jobs(root)
    fd = os.open(jobs / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        # A status probe may hold the lock for a moment; a live child holds it for good.
        _flock(fd, 0.2, f"a process for {name} is still running; wait for it")
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
    rec = {"pid": proc.pid, "started": started, "epochs": epochs, "argv": argv}
    write_json(jobs / f"{name}.json", {**rec, "cancel_requested": False})
    write_json(jobs / "active.json", {"run": name})
    return JobStatus(name, "starting", epochs=epochs, pid=proc.pid, message="starting")


def start_job(req: JobRequest, root: Path) -> JobStatus:
    """Validate the request and launch it. Raises JobRequestError (bad value) or JobError."""
    name, argv = validate_request(req, root)
    try:
        with _launch_lock(root):
            _refuse_if_busy(root)
            if (root / name).exists():
                raise JobRequestError("name", f"a run named {name!r} exists already")
            return _spawn(root, name, argv, req.epochs)
    except OSError as exc:
        raise JobError(f"could not start training in {root}: {exc}") from exc


def resume_job(root: Path, name: str, epochs: int | None = None) -> JobStatus:
    """Continue an interrupted or cancelled run from its last epoch (to `epochs` if given)."""
    check_run_name(name)
    try:
        with _launch_lock(root):
            _refuse_if_busy(root)
            status = job_status(root, name)
            if not status.resumable:
                raise JobError(f"{name} cannot be resumed: it is {status.state}. {status.message}")
            planned = epochs if epochs is not None else read_config(root / name).train.epochs
            argv = [f"--out={(root / name).resolve()}", "--resume", f"--epochs={planned}"]
            return _spawn(root, name, argv, planned)
    except OSError as exc:
        raise JobError(f"could not resume {name}: {exc}") from exc


def cancel_job(root: Path, name: str) -> JobStatus:
    """Ask a running job to stop (SIGTERM to its process group); it keeps its last epoch."""
    status = job_status(root, name)
    if not status.active or status.pid is None:
        raise JobError(f"{name} is not running (it is {status.state}); nothing to cancel")
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
