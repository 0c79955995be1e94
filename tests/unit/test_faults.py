"""Faults while training: a disk that fills up in the middle of writing a checkpoint.

The child is `python -m vae.train` with its writer made to fail with ENOSPC halfway through
the third weights file it writes, as a full disk would; the run keeps its last complete epoch,
loadable, and the job reads as failed with the reason (what the Training page shows).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from vae import load_checkpoint
from vae.runfolder.files import MODEL_FILE
from vae.training import jobs

ROOT = Path(__file__).resolve().parents[2]
# The child: vae.train, whose atomic writer runs out of space on the 3rd model.safetensors.
CHILD = f"""
import errno, sys
sys.path.insert(0, {str(ROOT)!r})
import vae.runfolder.files as files
real = files.atomic_write
count = {{"model": 0}}
def full_disk(path, write, mode="wb"):
    if path.name == {MODEL_FILE!r}:
        count["model"] += 1
        if count["model"] == 3:
            def half(f):
                f.write(b"\\0" * 1000)  # some bytes reach the temporary file, then the disk is full
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(path, half, mode)
    return real(path, write, mode)
files.atomic_write = full_disk
from vae.training.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_full_disk_mid_checkpoint_keeps_the_previous_epoch_and_says_why(tmp_path: Path) -> None:
    root = tmp_path / "checkpoints"
    jobs_dir = root / ".jobs"
    jobs_dir.mkdir(parents=True)
    run = root / "full"
    argv = [f"--out={run}", "--dataset=digits", "--hidden-dims=16", "--batch-size=256"]
    started = time.time()
    with open(jobs_dir / "full.log", "wb") as log:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, *argv, "--epochs=5"],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            timeout=300,
            check=False,
        )
    record = {"pid": 2**22 + 9, "started": started, "epochs": 5, "argv": argv}
    (jobs_dir / "full.json").write_text(json.dumps({**record, "cancel_requested": False}))
    log_text = (jobs_dir / "full.log").read_text()
    assert proc.returncode == 1, log_text
    assert "No space left on device" in log_text and "previous checkpoint is intact" in log_text
    ckpt = load_checkpoint(run)  # the last complete epoch, whole
    assert 1 <= ckpt.epoch < 5
    assert len((run / "history.jsonl").read_text().splitlines()) == ckpt.epoch
    assert not list(run.glob(".*.tmp"))  # the half-written file is gone
    status = jobs.job_status(root, "full")
    assert status.state == "failed", status
    assert "No space left on device" in str(status.message) and "intact" in str(status.message)
