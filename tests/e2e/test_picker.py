"""The sidebar picker in a real browser shows the run that is selected, whatever changes on disk.

The picker's value travels between the browser and the server as its label (name, data set,
z, test -ELBO). A label that changes while the run is selected (its metrics rewritten, e.g.
when a job on it finishes) once made Streamlit fall back to the widget's default, the first
option, so the sidebar showed another run than the one selected.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from testkit.browser import REPO, assert_no_exception, open_app, wait_for_app

pytestmark = pytest.mark.e2e

MAIN = '[data-testid="stMain"]'
SIDEBAR = '[data-testid="stSidebar"]'
PICKER = f"{SIDEBAR} [data-testid='stSelectbox'] input"


def choose(page: Any, name: str) -> None:
    page.locator(PICKER).first.click()
    page.get_by_role("option").filter(has_text=name).first.click()
    wait_for_app(page, rerun=True)


def go(page: Any, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    page.locator(f"{MAIN} h1").first.wait_for()
    wait_for_app(page, rerun=True)


def test_picker_keeps_the_selected_run_when_its_label_changes(
    page: Any, start_app: Callable[..., str], tmp_path: Path
) -> None:
    for name in ("a-first", "b-second"):
        shutil.copytree(REPO / "checkpoints" / "digits-2d", tmp_path / name)
    app = start_app(tmp_path)
    open_app(page, f"{app}/overview")
    assert page.locator(PICKER).first.input_value().startswith("a-first ")
    choose(page, "b-second")
    assert page.locator(PICKER).first.input_value().startswith("b-second ")
    metrics = tmp_path / "b-second" / "metrics.json"
    for step in range(3):  # a new test -ELBO, as when a job on the run writes its figures
        data = json.loads(metrics.read_text())
        data["test_elbo"] = float(data["test_elbo"]) + 1.0
        metrics.write_text(json.dumps(data))
        go(page, "Decoder" if step % 2 == 0 else "Overview")
        shown = page.locator(PICKER).first.input_value()
        assert shown.startswith("b-second "), f"after a new label the picker shows {shown!r}"
        elbo = f"{data['test_elbo']:.1f}"
        assert elbo in shown, f"the picker shows a stale label {shown!r}"
        caption = page.locator(SIDEBAR).inner_text()
        assert f"b-second: digits, mlp with latent size 2, test −ELBO {data['test_elbo']:.2f}" in (
            caption
        ), caption
        assert "run=b-second" in page.url, page.url
    choose(page, "a-first")  # a choice still takes, and holds on the next page
    go(page, "Decoder")
    assert page.locator(PICKER).first.input_value().startswith("a-first ")
    assert "run=a-first" in page.url, page.url
    assert_no_exception(page)
