"""Browser tests: a real `streamlit run app.py` server driven by Debian's Chromium via Playwright.

Fixtures: `app_url` (one server for the session), `start_app` (a server of your own, e.g. on
another VAE_CHECKPOINT_DIR, stopped after the test), `browser` and `page`.
Helpers: `open_app`, `wait_for_app`, `assert_no_exception`, `screenshot`.
Without Chromium or Playwright these tests skip, or fail when the CI variable is set.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
START_LIMIT_S = 240  # importing torch on a busy 2-core machine is slow
APP_LIMIT_MS = 120_000

# The script has finished (stApp reports notRunning), the main block is drawn, no running icon.
APP_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !!document.querySelector('[data-testid="stMain"]')
        && !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
        && !document.querySelector('[data-testid="stStatusWidgetRunningManIcon"]');
}"""
APP_BUSY_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !app || app.getAttribute('data-test-script-state') !== 'notRunning';
}"""


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


@dataclass
class Server:
    """A running `streamlit run app.py`; its output goes to `log`."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
            except ProcessLookupError:
                pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _log_tail(log: Path, chars: int = 3000) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return text[-chars:]


def start_server(
    checkpoint_dir: Path | str | None = None, env: dict[str, str] | None = None
) -> Server:
    """Start the app on a free port and wait until /_stcore/health answers."""
    port = _free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"streamlit-{port}.log"
    environ = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if checkpoint_dir is not None:
        environ["VAE_CHECKPOINT_DIR"] = str(checkpoint_dir)
    environ.update(env or {})
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=REPO, env=environ, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + START_LIMIT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{_log_tail(log)}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=5) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"streamlit did not answer in {START_LIMIT_S} s:\n{_log_tail(log)}")
        time.sleep(0.25)


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
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
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


# --- helpers --------------------------------------------------------------------------------


def wait_for_app(page: Any, rerun: bool = False, timeout_ms: int = APP_LIMIT_MS) -> None:
    """Wait until Streamlit has finished running the script and drawn the main block.

    After an interaction pass rerun=True: it first gives the rerun a moment to start.
    """
    if rerun:
        with contextlib.suppress(Exception):  # the rerun may already be over
            page.wait_for_function(APP_BUSY_JS, timeout=3000)
    page.wait_for_function(APP_IDLE_JS, timeout=timeout_ms)


def open_app(page: Any, url: str) -> None:
    """Go to a URL of the app and wait for it to finish running."""
    page.goto(url)
    wait_for_app(page)


def assert_no_exception(page: Any) -> None:
    """Fail with the text of every exception box Streamlit shows on the page."""
    boxes = page.locator('[data-testid="stException"]')
    if boxes.count():
        texts = "\n---\n".join(boxes.all_inner_texts())
        raise AssertionError(f"the page shows {boxes.count()} exception(s):\n{texts}")


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as test-artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
