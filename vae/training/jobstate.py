"""What a run launched from the app is doing: its JobStatus, read from the launch record in
CHECKPOINT_DIR/.jobs/, the lock its process holds, and the status.json it writes (see
vae.training.jobs for the bookkeeping files). Reading never blocks and never starts anything.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vae.errors import Message
from vae.runfolder.files import HISTORY_FILE, RESUME_FILE, STATUS_FILE, read_record
from vae.training.jobrequest import JOBS_DIR

ACTIVE = ("starting", "running")
_children: dict[int, subprocess.Popen[bytes]] = {}  # launched by this process, not yet reaped


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
    message: Message = field(default_factory=lambda: Message.verbatim(""))  # str(): the English
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
            _children.pop(pid, None)


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
        return JobStatus(
            name, "starting", **common, message=Message("starting the training process")
        )
    if not rec and state == "running" and not _pid_is_training(st.get("pid")):
        state = None  # a command-line run whose process is gone
    elif not rec and state == "running":
        return JobStatus(name, "running", **common, message=Message("started outside the app"))
    if state == "finished":
        return JobStatus(name, "finished", **common)
    if state == "failed":
        return JobStatus(name, "failed", **common, message=_written(st) or Message.verbatim(""))
    if state == "timed-out":
        limit = _written(st) or Message("stopped at the server's time limit")
        return _stopped(run, name, "timed out", common, limit)
    if state == "cancelled" or rec.get("cancel_requested"):
        return _stopped(run, name, "cancelled", common)
    # A process gone without a final status (none, or "running": e.g. the disk filled up, so
    # not even the status could be written) failed if its log ends with an error.
    error = _log_error(root, name) if rec and state in (None, "running") else ""
    if error:
        return JobStatus(name, "failed", **common, message=Message.verbatim(error))
    return _stopped(run, name, "interrupted", common)


def _written(status: dict[str, Any]) -> Message | None:
    """The message a run's process wrote into status.json (`note`, else its English text)."""
    note = Message.from_record(status.get("note"))
    text = str(status.get("message") or "")
    return note if note is not None else Message.verbatim(text) if text else None


def _stopped(
    run: Path, name: str, state: str, common: dict[str, Any], why: Message | None = None
) -> JobStatus:
    ok = (run / RESUME_FILE).is_file()
    why = why or Message("stopped")
    message = (
        Message(
            "{why} after {epoch} of {epochs} epochs; resume continues from there",
            why=why,
            epoch=common["epoch"],
            epochs=common["epochs"],
        )
        if ok
        else Message(
            "{why} before its first epoch finished, so there is nothing to resume", why=why
        )
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


def running_jobs(root: Path) -> list[JobStatus]:
    """Every job launched on this checkpoint folder that is starting or running now."""
    try:
        names = sorted(p.stem for p in _jobs(root).glob("*.json") if p.name != "active.json")
    except OSError:
        return []
    return [s for s in (job_status(root, n) for n in names) if s.active]


def job_owner(root: Path, name: str) -> str:
    """The token of the browser session that launched the job ("" if none was recorded)."""
    return str(read_record(_jobs(root) / f"{name}.json").get("owner", ""))


def unfinished_runs(root: Path) -> list[JobStatus]:
    """Runs launched here that were interrupted or cancelled and can be resumed."""
    try:
        names = sorted(p.stem for p in _jobs(root).glob("*.json") if p.name != "active.json")
    except OSError:
        return []
    found = [job_status(root, n) for n in names if (root / n).is_dir()]
    stopped = ("interrupted", "cancelled", "timed out")
    return [s for s in found if s.state in stopped and s.resumable]


def log_tail(root: Path, name: str, lines: int = 20) -> str:
    """The last lines the run's process printed."""
    try:
        text = (_jobs(root) / f"{name}.log").read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
