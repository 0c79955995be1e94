"""Browser tests: a real `streamlit run app.py` server driven by Debian's Chromium via Playwright.

Fixtures: `app_url` (one server for the session), `start_app` (a server of your own, e.g. on
another VAE_CHECKPOINT_DIR, stopped after the test), `browser` and `page`.
Helpers (from testkit/browser.py, shared with bench/): `open_app`, `wait_for_app`,
`assert_no_exception`, `screenshot`, `start_server`.
Without Chromium or Playwright these tests skip, or fail when the CI variable is set.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.browser import (
    APP_BUSY_JS,
    APP_IDLE_JS,
    APP_LIMIT_MS,
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    START_LIMIT_S,
    Server,
    assert_no_exception,
    launch_chromium,
    open_app,
    readme_picture,
    screenshot,
    start_server,
    wait_for_app,
)

__all__ = [
    "APP_BUSY_JS",
    "APP_IDLE_JS",
    "APP_LIMIT_MS",
    "ARTIFACTS",
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "REPO",
    "START_LIMIT_S",
    "Server",
    "assert_no_exception",
    "open_app",
    "readme_picture",
    "screenshot",
    "start_server",
    "wait_for_app",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


# --- the Streamlit server -------------------------------------------------------------------


@pytest.fixture(scope="session")
def app_url() -> Iterator[str]:
    """Base URL of one app server for the whole session (default checkpoints)."""
    server = start_server()
    yield server.url
    server.stop()


@pytest.fixture
def start_app() -> Iterator[Callable[..., str]]:
    """Factory: start_app(checkpoint_dir=..., env={...}) -> base URL; stopped after the test."""
    servers: list[Server] = []

    def start(checkpoint_dir: Path | str | None = None, env: dict[str, str] | None = None) -> str:
        server = start_server(checkpoint_dir, env)
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:
        _unavailable(f"Playwright is not installed ({exc}); pip install playwright")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"{CHROMIUM} is missing; apt-get install chromium")
    pw = sync_playwright().start()
    try:
        chromium = launch_chromium(pw)
    except Error as exc:
        pw.stop()
        _unavailable(f"Chromium did not start: {str(exc).splitlines()[0]}")
    yield chromium
    chromium.close()
    pw.stop()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot is saved if the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(APP_LIMIT_MS)
    yield pg
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        with contextlib.suppress(Exception):  # the page may be gone; the failure is what counts
            screenshot(pg, f"failed-{request.node.name}")
    context.close()
