"""The Training page: history curves, the form's refusals, a job from the form, resumable runs."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from tests.app.conftest import PAGES, app, texts
from tests.app.conftest_jobs import button, history, no_jobs_left, plotly_spec, rerun_until
from tests.conftest import run_python
from vae.runfolder.runs import list_runs
from vae.training import jobs

__all__ = ["no_jobs_left"]  # a fixture, imported to be used
PAGE = PAGES / "training.py"
SUBMIT = "Start training"


def test_history_curves_have_one_point_per_epoch(ckpt_dir: Path) -> None:
    at = app(PAGE, checkpoint="digits-3d").run()
    assert not at.exception
    assert at.subheader[0].value == "How digits-3d learned"
    spec = plotly_spec(at)
    rows = history(ckpt_dir / "digits-3d")
    series = {t["name"]: t for t in spec["data"]}
    keys = {"train −ELBO": "train_loss", "test −ELBO": "test_loss"}
    keys |= {"test reconstruction": "recon", "test KL": "kl"}
    assert set(series) == set(keys)
    for name, key in keys.items():
        assert series[name]["x"] == [1, 2]
        assert series[name]["y"] == pytest.approx([r[key] for r in rows])
    titles = [a["text"] for a in spec["layout"]["annotations"]]
    assert titles == ["−ELBO (nats/image)", "Reconstruction (nats)", "KL (nats)"]
    kl_axis = series["test KL"].get("yaxis", "y").replace("y", "yaxis")
    assert spec["layout"][kl_axis]["rangemode"] == "nonnegative"  # a KL is never below 0
    assert "rangemode" not in spec["layout"]["yaxis2"]  # a Gaussian's reconstruction can be


@pytest.mark.parametrize(
    ("widget", "value", "label"),
    [
        ("training_latent", 0, "Latent size"),
        ("training_latent", 1_000_000, "Latent size"),
        ("training_epochs", -1, "Epochs"),
        ("training_lr", 0.0, "Learning rate"),
        ("training_batch", 5000, "Batch size"),
        ("training_beta", -1.0, "β (KL weight)"),
        ("training_name", "../outside", "Run name"),
        ("training_hidden", "64,x", "Hidden layers"),
        ("training_anneal", 25, "Learning-rate anneal epochs"),
    ],
)
def test_the_form_refuses_bad_values_naming_the_field(
    ckpt_dir: Path, widget: str, value: object, label: str
) -> None:
    at = app(PAGE).run()
    if widget in ("training_name", "training_hidden"):
        at.text_input(key=widget).set_value(value)
    else:
        at.number_input(key=widget).set_value(value)
    button(at, SUBMIT).click().run()
    assert not at.exception
    assert texts(at.error).startswith(f"{label}: "), texts(at.error)
    assert sorted(p.name for p in ckpt_dir.iterdir()) == ["digits-2d", "digits-3d"]


@pytest.mark.slow
def test_a_job_from_the_form_finishes_and_can_be_selected(no_jobs_left: Path) -> None:
    root = no_jobs_left
    at = app(PAGE).run()
    at.number_input(key="training_epochs").set_value(2)
    at.number_input(key="training_batch").set_value(256)
    at.number_input(key="training_anneal").set_value(1)
    at.text_input(key="training_hidden").set_value("16")
    at.text_input(key="training_name").set_value("from-form")
    button(at, SUBMIT).click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert any(m.value.endswith("from-form: starting") for m in at.markdown)

    at.text_input(key="training_name").set_value("second")  # a second request is refused
    button(at, SUBMIT).click().run()
    assert "already running" in texts(at.error) and "from-form" in texts(at.error)
    assert not (root / "second").exists()

    rerun_until(at, lambda at: any("finished" in s.value for s in at.success))
    assert not at.exception
    assert [r["epoch"] for r in history(root / "from-form")] == [1, 2]
    assert [r["lr"] for r in history(root / "from-form")] == pytest.approx(
        [1e-3, 5e-4]
    )  # annealed last epoch
    assert "from-form" in [r.name for r in list_runs(root) if r.ok]
    assert len(plotly_spec(at, 1)["data"][0]["x"]) == 2  # the live curves, one point per epoch
    button(at, "Select from-form").click().run()
    assert at.session_state["checkpoint"] == "from-form"
    assert at.subheader[0].value == "How from-form learned"


def interrupted_run(root: Path, name: str = "halted") -> None:
    """A run whose process died mid-epoch, as the app finds it after a server restart."""
    shutil.copytree(root / "digits-2d", root / name)
    now = time.time()
    status = {"pid": 1, "updated": now, "state": "running", "epoch": 2, "epochs": 5}
    (root / name / "status.json").write_text(json.dumps({**status, "step": 3, "steps": 15}))
    (root / ".jobs").mkdir()
    record = {"pid": 2**22 + 7, "started": now - 60, "epochs": 5, "cancel_requested": False}
    (root / ".jobs" / f"{name}.json").write_text(json.dumps(record))
    (root / ".jobs" / "active.json").write_text(json.dumps({"run": name}))


@pytest.mark.slow
def test_an_interrupted_run_is_shown_as_such_and_resumes(no_jobs_left: Path) -> None:
    root = no_jobs_left
    interrupted_run(root)
    at = app(PAGE).run()
    assert not at.exception
    assert any(m.value.endswith("halted: interrupted") for m in at.markdown)
    assert "stopped after 2 of 5 epochs" in texts(at.warning)
    button(at, "Resume").click().run()
    assert not at.exception and not at.error, texts(at.error)
    assert jobs.job_status(root, "halted").state in ("starting", "running", "finished")
    rerun_until(at, lambda at: any("finished" in s.value for s in at.success))
    assert json.loads((root / "halted" / "status.json").read_text())["state"] == "finished"


def test_in_korean_a_timed_out_runs_notice_is_korean(no_jobs_left: Path) -> None:
    """status.json keeps the message as a template and values, so the page can translate it."""
    from vae.errors import Message

    root = no_jobs_left
    interrupted_run(root)
    limit = Message("stopped at the time limit of {limit:g} s", limit=20.0)
    status = json.loads((root / "halted" / "status.json").read_text())
    status |= {"state": "timed-out", "message": str(limit), "note": limit.record()}
    (root / "halted" / "status.json").write_text(json.dumps(status))
    assert str(jobs.job_status(root, "halted").message) == (
        "stopped at the time limit of 20 s after 2 of 5 epochs; resume continues from there"
    )
    at = app()
    at.query_params["lang"] = "ko"
    at.switch_page("pages/training.py").run()
    assert not at.exception, at.exception
    shown = texts(at.warning)
    assert "20초" in shown and "5 에폭 중 2" in shown, shown
    assert "time limit" not in shown and "resume continues" not in shown


def test_the_training_page_draws_a_history_without_importing_torch(ckpt_dir):
    """Its first visit does not wait for torch (the warm-up imports it after the cold start)."""
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({str(PAGES / 'training.py')!r}, default_timeout=120)\n"
        "at.session_state['checkpoint'] = 'digits-3d'\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "print(len(at.get('plotly_chart')), 'torch' in sys.modules)\n"
    )
    assert run_python(code).split()[-2:] == ["1", "False"]  # the curves, no torch
