"""Start `streamlit run` on a free port and drive Debian's Chromium: shared by tests and bench/.

A plain module (no pytest), so benchmarks can use the same helpers as the browser tests.
Screenshots and server logs go to ARTIFACTS, a temporary folder ($VAE_TEST_ARTIFACTS, default
<tmp>/vae-test-artifacts); nothing is written into the project. The README's pictures are
copied to docs/ only when $VAE_WRITE_DOCS is set (`make docs`), by `readme_picture`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
ARTIFACTS = Path(
    os.environ.get("VAE_TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "vae-test-artifacts"
)
WRITE_DOCS = "VAE_WRITE_DOCS"  # set (e.g. to 1) to update the README's pictures in docs/
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


# --- the Streamlit server -------------------------------------------------------------------


@dataclass
class Server:
    """A running `streamlit run SCRIPT`; its output goes to `log`."""

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
    checkpoint_dir: Path | str | None = None,
    env: dict[str, str] | None = None,
    script: str = "app.py",
) -> Server:
    """Start `streamlit run script` on a free port and wait until /_stcore/health answers."""
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / f"streamlit-{port}.log"
    environ = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if checkpoint_dir is not None:
        environ["VAE_CHECKPOINT_DIR"] = str(checkpoint_dir)
    environ.update(env or {})
    cmd = [
        sys.executable, "-m", "streamlit", "run", script,
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


# --- the browser ----------------------------------------------------------------------------


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless, from a started sync_playwright()."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


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


def webgl_scales(page: Any) -> list[float]:
    """Canvas pixels per device pixel of every WebGL plotly chart on the page's main part."""
    return [
        float(v)
        for v in page.locator('[data-testid="stMain"] canvas.gl-canvas-context').evaluate_all(
            "cs => cs.map((c) => c.width / (c.getBoundingClientRect().width * devicePixelRatio))"
        )
    ]


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as ARTIFACTS/<name>.png and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def readme_picture(shot: Path, name: str) -> Path:
    """The README's picture docs/<name>.png from a screenshot: copied there when $VAE_WRITE_DOCS
    is set (`make docs`), else left where it is. -> the path of the picture either way."""
    if not os.environ.get(WRITE_DOCS):
        return shot
    DOCS.mkdir(exist_ok=True)
    shutil.copyfile(shot, DOCS / f"{name}.png")
    return DOCS / f"{name}.png"
