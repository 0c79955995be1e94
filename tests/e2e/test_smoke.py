"""The app opens in a real browser: title, heading, sidebar, and no exception box."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from testkit.browser import assert_no_exception, open_app, screenshot

pytestmark = pytest.mark.e2e


def test_root_page_loads_with_its_heading(page: Any, app_url: str):
    open_app(page, app_url)
    assert_no_exception(page)
    assert "VAE" in page.title() or "Overview" in page.title(), page.title()
    heading = page.locator('[data-testid="stMain"] h1').first
    heading.wait_for()
    assert "variational autoencoder" in heading.inner_text().lower()
    assert page.locator('[data-testid="stSidebar"]').is_visible()
    assert screenshot(page, "smoke-root").stat().st_size > 10_000


def test_app_without_checkpoints_says_so(page: Any, start_app: Any, tmp_path: Path):
    url = start_app(checkpoint_dir=tmp_path)
    open_app(page, url)
    assert_no_exception(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "No usable checkpoints" in sidebar.inner_text()
    screenshot(page, "smoke-no-checkpoints")
