"""Training from the browser: a 1-epoch job on `digits` finishes and joins the picker; a second
request while one runs is refused with a clear message.

One app server for the module, on a temporary checkpoint folder holding a copy of digits-2d.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.browser import REPO, assert_no_exception, open_app, screenshot, start_server
from vae.training import jobs

pytestmark = pytest.mark.e2e

MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
FINISH_LIMIT_MS = 240_000


@pytest.fixture(scope="module")
def ckpt_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("training-flow")
    shutil.copytree(REPO / "checkpoints" / "digits-2d", root / "digits-2d")
    return root


@pytest.fixture(scope="module")
def app(ckpt_root: Path) -> Iterator[str]:
    """The app on ckpt_root; any job left running is cancelled afterwards."""
    server = start_server(ckpt_root)
    yield server.url
    server.stop()
    active = jobs.active_job(ckpt_root)
    if active is not None and active.active:
        jobs.cancel_job(ckpt_root, active.name)
        jobs.wait(ckpt_root, active.name, timeout=60)


def open_training(page: Any, url: str) -> None:
    open_app(page, f"{url}/training")
    page.locator(f"{MAIN} h1").filter(has_text="Training").first.wait_for()
    page.locator(".st-key-training_name input").wait_for()


def fill_form(page: Any, name: str, epochs: int, hidden: str = "32") -> None:
    """Fill the training form (digits, latent size 2) and press Start training."""
    dataset = page.locator(".st-key-training_dataset input")
    assert "digits" in (dataset.input_value() or dataset.get_attribute("value") or "")
    for key, value in (
        ("training_hidden", hidden),
        ("training_latent", "2"),
        ("training_epochs", str(epochs)),
        ("training_name", name),
    ):
        field = page.locator(f".st-key-{key} input")
        field.fill(value)
        field.press("Tab")
    page.get_by_role("button", name="Start training").click()


def picker_options(page: Any) -> list[str]:
    """The labels the sidebar's checkpoint picker offers."""
    box = page.locator(f"{SIDEBAR} [data-testid='stSelectbox'] input").first
    box.click()
    options = page.get_by_role("option")
    options.first.wait_for()
    labels = options.all_inner_texts()
    page.keyboard.press("Escape")
    return labels


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_one_epoch_job_finishes_and_joins_the_picker(page: Any, app: str, ckpt_root: Path) -> None:
    open_training(page, app)
    assert any("digits-2d" in label for label in picker_options(page))
    name = unique("e2e-one")
    fill_form(page, name, epochs=1)
    done = page.locator(MAIN).get_by_text(f"{name} finished 1 epochs")
    done.first.wait_for(timeout=FINISH_LIMIT_MS)
    assert_no_exception(page)
    # The run is on disk, whole, and the picker lists it once the page has redrawn.
    assert (ckpt_root / name / "model.safetensors").is_file()
    lines = (ckpt_root / name / "history.jsonl").read_text().splitlines()
    assert len(lines) == 1, lines
    deadline = time.monotonic() + 60
    while not any(name in label for label in picker_options(page)):
        assert time.monotonic() < deadline, f"{name} never appeared in the picker"
        page.wait_for_timeout(1000)
    screenshot(page, "training-finished")
    # Selecting it makes it the model every page uses.
    page.get_by_role("button", name=f"Select {name}").click()
    page.locator(SIDEBAR).get_by_text(f"{name}: digits").first.wait_for()
    assert_no_exception(page)


def test_second_job_while_one_runs_is_refused(page: Any, app: str, ckpt_root: Path) -> None:
    active = jobs.active_job(ckpt_root)
    assert active is None or not active.active, f"a job is still running: {active}"
    open_training(page, app)
    first = unique("e2e-long")
    fill_form(page, first, epochs=5000)  # far longer than this test: cancelled below
    heading = page.locator(MAIN).get_by_text(f"{first}: ").first
    heading.wait_for()
    assert "starting" in heading.inner_text() or "running" in heading.inner_text()

    second = unique("e2e-second")
    fill_form(page, second, epochs=1)
    alert = page.locator(f"{MAIN} [data-testid='stAlert']").filter(has_text="already running")
    alert.first.wait_for()
    text = alert.first.inner_text()
    assert first in text and "one runs at a time" in text, text
    assert not (ckpt_root / second).exists(), "the refused job wrote a folder"
    status = jobs.active_job(ckpt_root)
    assert status is not None and status.name == first and status.active
    assert_no_exception(page)
    screenshot(page, "training-second-refused")

    page.get_by_role("button", name="Cancel training").click()
    page.locator(MAIN).get_by_text(f"{first} was cancelled").first.wait_for(timeout=90_000)
    assert not jobs.job_status(ckpt_root, first).active
    assert_no_exception(page)
