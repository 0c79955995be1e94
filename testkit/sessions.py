"""Many browser sessions on one server: the app's pages, walking them, the server's memory.

Shared by tests/e2e (the 5-session and rerun-flood tests) and bench/classroom.py.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testkit.browser import wait_for_app

MAIN = '[data-testid="stMain"]'
NAV_LINK = '[data-testid="stSidebarNav"] a'
EXCEPTION = '[data-testid="stException"]'


@dataclass(frozen=True)
class AppPage:
    """A page in the sidebar navigation: its url path, its link's title, words in its h1."""

    path: str
    title: str
    heading: str


PAGES = (
    AppPage("overview", "Overview", "variational autoencoder"),
    AppPage("training", "Training", "training"),
    AppPage("latent", "Latent space", "latent space"),
    AppPage("decoder", "Decoder", "decoder"),
    AppPage("reconstructions", "Reconstructions", "reconstructions"),
    AppPage("interpolate", "Interpolation", "interpolation"),
    AppPage("inference", "Inference", "inference"),  # its first part, the default tab
    AppPage("compare", "Compare models", "compare two models"),
    AppPage("lessons", "Lessons", "lessons"),
)


def click_page(page: Any, to: AppPage) -> None:
    """Click the page's sidebar link (a rerun of the same session, not a new page load)."""
    page.locator(NAV_LINK).filter(has_text=to.title).first.click()


def wait_page(page: Any, to: AppPage, timeout_ms: int) -> None:
    """Wait until the page's heading is drawn and its script has finished."""
    heading = re.compile(to.heading, re.I)
    page.locator(f"{MAIN} h1").filter(has_text=heading).first.wait_for(timeout=timeout_ms)
    wait_for_app(page, timeout_ms=timeout_ms)


def go_to(page: Any, to: AppPage, timeout_ms: int = 180_000) -> None:
    click_page(page, to)
    wait_page(page, to, timeout_ms)


def exceptions_shown(page: Any) -> list[str]:
    """The text of every exception box Streamlit shows on the page."""
    boxes = page.locator(EXCEPTION)
    return list(boxes.all_inner_texts()) if boxes.count() else []


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in the process group `pgid`, in MB (Linux /proc)."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            # Fields after the command name, which is in parentheses: state ppid pgrp ...
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
    return total_kb / 1024


class RssPeak:
    """`with RssPeak(pgid) as m:` samples the group's memory every `every_s` s; m.peak in MB."""

    def __init__(self, pgid: int, every_s: float = 0.5) -> None:
        self.pgid, self.every_s = pgid, every_s
        self.peak = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, group_rss_mb(self.pgid))
            self.samples += 1
            if self._stop.wait(self.every_s):
                return

    def __enter__(self) -> RssPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, group_rss_mb(self.pgid))


def settled_rss_mb(pgid: int, n: int = 3, gap_s: float = 1.0) -> float:
    """The median of n samples gap_s apart."""
    values = []
    for i in range(n):
        if i:
            time.sleep(gap_s)
        values.append(group_rss_mb(pgid))
    return sorted(values)[n // 2]
