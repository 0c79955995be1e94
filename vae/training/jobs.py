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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vae.data import data_root
from vae.errors import VAEError
from vae.runfolder.checkpoint import read_config
from vae.runfolder.files import HISTORY_FILE, RESUME_FILE, STATUS_FILE, read_record, write_json
from vae.training.jobrequest import FIELD_LABELS as FIELD_LABELS
from vae.training.jobrequest import JOBS_DIR
from vae.training.jobrequest import JobRequest as JobRequest
from vae.training.jobrequest import JobRequestError as JobRequestError
from vae.training.jobrequest import check_run_name as check_run_name
from vae.training.jobrequest import new_run_name as new_run_name
from vae.training.jobrequest import validate_request as validate_request

ACTIVE = ("starting", "running")
_PROJECT = Path(__file__).resolve().parents[2]
_children: dict[int, subprocess.Popen[bytes]] = {}


class JobError(VAEError, RuntimeError):
    """A job cannot be started, resumed or cancelled; the message says why and what to do."""


@dataclass(frozen=True)
class JobStatus:
    """A run's state: starting, running, finished, failed, cancelled or interrupted.

    cancel_job returns "cancelling"; the run reads as cancelled once its process has stopped.
    """

    name: str
    state: str
    epoch: int = 0  # completed epochs
    epochs: int = 0
    step: int = 0
    steps: int = 0
    message: str = ""
    resumable: bool = False
    pid: int | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def fraction(self) -> float:
        """Share of the planned work done, 0 to 1."""
        if self.state == "finished":
            return 1.0
        part = self.step / self.steps if self.steps and self.state == "running" else 0.0
        return min(1.0, (self.epoch + part) / self.epochs) if self.epochs else 0.0


# --- locks and records --------------------------------------------------------------------


def _jobs(root: Path) -> Path:
    return root / JOBS_DIR


def _lock_held(path: Path) -> bool:
    """True when another open file holds an flock on path (probing never blocks)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing also releases a lock this probe took
    return False


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


def _history_len(run: Path) -> int:
    try:
        return sum(1 for line in (run / HISTORY_FILE).read_text().splitlines() if line.strip())
    except OSError:
        return 0


def _log_error(root: Path, name: str) -> str:
    try:
        lines = (_jobs(root) / f"{name}.log").read_text(errors="replace").splitlines()
    except OSError:
        return ""
    errors = [line for line in lines if line.startswith("error:")]
    return errors[-1][len("error:") :].strip() if errors else ""


def _reap() -> None:
    for pid, proc in list(_children.items()):
        if proc.poll() is not None:
            del _children[pid]


# --- status -------------------------------------------------------------------------------


def job_status(root: Path, name: str) -> JobStatus:
    """The state of run `name` under root, from its launch record, lock and status.json."""
    _reap()
    run = root / name
    rec = read_record(_jobs(root) / f"{name}.json")
    st = read_record(run / STATUS_FILE)
    started = float(rec.get("started", 0.0))
    if rec and float(st.get("updated", 0.0)) < started - 1.0:
        st = {}  # left over from before this launch
    epochs = int(st.get("epochs", rec.get("epochs", 0)) or 0)
    done = _history_len(run)
    pid = rec.get("pid") if rec else st.get("pid")
    common: dict[str, Any] = {"epoch": done, "epochs": epochs, "pid": pid}
    state = st.get("state")
    if rec and _lock_held(_jobs(root) / f"{name}.lock") and state != "finished":
        if state == "running":
            return JobStatus(
                name, "running", **{**common, "epoch": int(st.get("epoch", done))},
                step=int(st.get("step", 0)), steps=int(st.get("steps", 0)),
            )  # fmt: skip
        return JobStatus(name, "starting", **common, message="starting the training process")
    if not rec and state == "running" and not _pid_is_training(st.get("pid")):
        state = None  # a command-line run whose process is gone
    elif not rec and state == "running":
        return JobStatus(name, "running", **common, message="started outside the app")
    if state == "finished":
        return JobStatus(name, "finished", **common)
    if state == "failed":
        return JobStatus(name, "failed", **common, message=str(st.get("message", "")))
    if state == "cancelled" or rec.get("cancel_requested"):
        return _stopped(run, name, "cancelled", common)
    error = _log_error(root, name) if rec and state is None else ""
    if error:
        return JobStatus(name, "failed", **common, message=error)
    return _stopped(run, name, "interrupted", common)


def _stopped(run: Path, name: str, state: str, common: dict[str, Any]) -> JobStatus:
    ok = (run / RESUME_FILE).is_file()
    message = (
        f"stopped after {common['epoch']} of {common['epochs']} epochs; resume continues from there"
        if ok
        else "stopped before its first epoch finished, so there is nothing to resume"
    )
    return JobStatus(name, state, **common, message=message, resumable=ok)


def _pid_is_training(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"vae.train" in cmd


def active_job(root: Path) -> JobStatus | None:
    """The job this checkpoint folder launched last, with its state; None if there is none."""
    name = read_record(_jobs(root) / "active.json").get("run")
    return job_status(root, name) if isinstance(name, str) and name else None


def unfinished_runs(root: Path) -> list[JobStatus]:
    """Runs launched here that were interrupted or cancelled and can be resumed."""
    try:
        names = sorted(p.stem for p in _jobs(root).glob("*.json") if p.name != "active.json")
    except OSError:
        return []
    found = [job_status(root, n) for n in names if (root / n).is_dir()]
    return [s for s in found if s.state in ("interrupted", "cancelled") and s.resumable]


def log_tail(root: Path, name: str, lines: int = 20) -> str:
    """The last lines the run's process printed."""
    try:
        text = (_jobs(root) / f"{name}.log").read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


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
