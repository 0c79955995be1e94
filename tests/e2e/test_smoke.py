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


def test_an_idle_overview_fetches_the_chart_code_so_the_first_chart_needs_no_download(
    page: Any, app_url: str
):
    """ui.streamlit_compat.prefetch_charts: Streamlit's plotly module, loaded while idle."""
    from ui.streamlit_compat import chart_module

    name = chart_module()
    assert name is not None  # Streamlit still ships its plotly chart as one module
    open_app(page, f"{app_url}/overview")
    assert not page.locator('[data-testid="stPlotlyChart"]').count()  # no chart on this page
    loaded = "(n) => performance.getEntriesByType('resource').some((e) => e.name.endsWith(n))"
    page.wait_for_function(loaded, arg=name, timeout=30_000)
    entries = "() => performance.getEntriesByType('resource').length"
    before = page.evaluate(entries)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Training").click()
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=60_000)
    assert_no_exception(page)
    fetched = page.evaluate(
        f"() => performance.getEntriesByType('resource').slice({before}).map((e) => e.name)"
    )
    assert not any(n.endswith(name) for n in fetched)  # the chart came from the module loaded
