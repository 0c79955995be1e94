"""A shared server: read-only mode writes nothing, another session's job cannot be cancelled
here, and a checkpoint folder that cannot be written is said before anything starts."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests.app.conftest import APP, PAGES, app, texts
from tests.app.conftest_jobs import button, drawn_one, no_jobs_left
from vae.training import jobs
from vae.training.jobs import JobRequest

__all__ = ["no_jobs_left"]  # a fixture, imported to be used
TRAINING = PAGES / "training.py"
EVERY_PAGE = ("overview", "training", "latent", "decoder", "reconstructions", "interpolate")


def files(*roots: Path) -> dict[str, tuple[int, int]]:
    """Every path under the roots with its modification time (ns) and size."""
    out = {}
    for root in roots:
        for p in root.rglob("*"):
            info = p.lstat()
            out[str(p)] = (info.st_mtime_ns, info.st_size)
    return out


def test_read_only_mode_writes_no_file_on_any_page(
    ckpt_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    monkeypatch.setenv("VAE_READ_ONLY", "1")
    before = files(ckpt_dir, private_tmp)
    at = app(APP).run()
    for page in EVERY_PAGE:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, page
    at.switch_page("pages/compare.py").run()
    assert not at.exception
    at.switch_page("pages/reconstructions.py").run()  # an upload is processed in memory
    at.file_uploader(key="recon_upload").set_value(("one.png", drawn_one(), "image/png")).run()
    assert not at.exception and not at.error, texts(at.error)
    with pytest.raises(jobs.JobError, match="read-only"):  # a request straight to the core
        jobs.start_job(JobRequest(dataset="digits", epochs=1, name="sneaky"), ckpt_dir)
    assert files(ckpt_dir, private_tmp) == before
    assert not (ckpt_dir / ".jobs").exists()


def test_read_only_training_page_has_no_form_and_still_shows_the_curves(
    ckpt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAE_READ_ONLY", "1")
    at = app(TRAINING, checkpoint="digits-3d").run()
    assert not at.exception
    assert at.subheader[0].value == "How digits-3d learned"
    assert len(at.get("plotly_chart")) == 1
    assert "read-only (VAE_READ_ONLY=1)" in texts(at.info), texts(at.info)
    assert not [b for b in at.button if b.label in ("Start training", "Resume")]
    assert not at.text_input  # no form fields


def test_another_sessions_job_shows_what_it_is_but_no_cancel_button(no_jobs_left: Path) -> None:
    root = no_jobs_left
    req = JobRequest(dataset="digits", hidden_dims="16", epochs=500, batch_size=256, name="theirs")
    jobs.start_job(req, root, owner="another-browser")
    at = app(TRAINING).run()
    assert not at.exception
    assert any(m.value.endswith("theirs: starting") or m.value.endswith("theirs: running")
               for m in at.markdown), [m.value for m in at.markdown]  # fmt: skip
    assert not [b for b in at.button if b.label == "Cancel training"]
    assert "started from another browser session" in texts(at.caption)
    # The session that started it sees the button, and its cancel works.
    mine = app(TRAINING, training_owner="another-browser").run()
    button(mine, "Cancel training").click().run()
    assert not mine.exception
    assert jobs.wait(root, "theirs", timeout=60).state == "cancelled"


def test_a_checkpoint_folder_that_is_not_writable_is_said_before_anything_starts(
    ckpt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, **kw: False if Path(p) == ckpt_dir else real(p, mode, **kw)
    )
    at = app(TRAINING).run()
    assert not at.exception
    assert f"The checkpoint folder `{ckpt_dir}` is not writable" in texts(at.error)
    assert not [b for b in at.button if b.label == "Start training"]
    assert not (ckpt_dir / ".jobs").exists()


HOSTILE = ["../../etc/passwd", "%2e%2e%2f", "\x00", "x" * 5000, "-1", "1e999", "nan", "<script>"]
PARAM_PAGES = [
    ("decoder", "z"),
    ("latent", "view"),
    ("compare", "vs"),
    ("inference", "image"),
    ("inference", "part"),
    ("overview", "run"),
    ("interpolate", "run"),
]


@pytest.mark.parametrize(("page", "param"), PARAM_PAGES)
def test_hostile_values_in_every_link_parameter_leave_the_page_alive(
    ckpt_dir: Path, page: str, param: str
) -> None:
    for value in HOSTILE:
        at = app(APP)
        at.query_params.update({"run": "digits-2d", param: value})
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, param, value[:20], [e.value for e in at.exception])
        assert at.title, (page, param, value[:20])
        shown = texts(at.warning) + texts(at.error) + texts(at.info)
        assert value not in shown or len(value) < 20, "a long value is echoed back in full"


def test_a_request_beyond_the_limit_shows_its_place_in_the_queue(
    no_jobs_left: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = no_jobs_left
    monkeypatch.setenv("VAE_JOB_QUEUE", "3")
    req = JobRequest(dataset="digits", hidden_dims="16", epochs=500, batch_size=256, name="theirs")
    jobs.start_job(req, root, owner="another-browser")
    at = app(TRAINING).run()
    at.text_input(key="training_hidden").set_value("16")
    at.text_input(key="training_name").set_value("waiting")
    button(at, "Start training").click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert "Queued, number 1: waiting (yours)" in texts(at.caption), texts(at.caption)
    assert jobs.queue_position(root, "waiting") == 1 and not (root / "waiting").exists()
    jobs.cancel_job(root, "waiting")
