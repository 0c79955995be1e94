"""A flood of reruns from one session does not starve the others (issue 18).

Session A clicks the Inference die's "Throws n" step-up button every 30 ms (each click a full
rerun request, most of them interrupting the run before) while session B walks five pages
through the sidebar. B's pages must all finish drawing without an exception (generous
timeouts, no timing asserted) and the server must stay up. The server's own record of its
runs (VAE_RUN_TIMES, ui/run_times.py) shows that A's reruns went on before, during and after
B's runs.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest

from testkit.browser import REPO, Server, assert_no_exception, open_app, start_server, wait_for_app
from testkit.sessions import PAGES, go_to
from ui.run_times import ENV, read_runs

pytestmark = pytest.mark.e2e

DIE = "The die: Bayes by hand"
STEP_UP = '.st-key-throws [data-testid="stNumberInputStepUp"]'
CLICKS = 100
# Click the step-up button every `ms` until window.stopFlood(); window.floodClicks counts.
FLOOD_JS = """([sel, ms]) => {
    window.floodClicks = 0;
    const timer = setInterval(() => {
        const b = document.querySelector(sel);
        if (b) { b.click(); window.floodClicks += 1; }
    }, ms);
    window.stopFlood = () => clearInterval(timer);
}"""
WALK = ("latent", "decoder", "reconstructions", "overview", "lessons")
LIMIT_MS = 300_000


@pytest.fixture(scope="module")
def flood_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    times = tmp_path_factory.mktemp("flood") / "runs.jsonl"
    srv = start_server(REPO / "checkpoints", env={ENV: str(times)})
    yield srv, times
    srv.stop()


def new_page(browser: Any) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(LIMIT_MS)
    return page


def test_a_rerun_flood_does_not_starve_another_session(
    browser: Any, flood_server: tuple[Server, Path]
) -> None:
    server, times = flood_server
    flooder, other = new_page(browser), new_page(browser)
    open_app(flooder, server.url)  # the root first: a fresh server runs every page via app.py
    open_app(flooder, f"{server.url}/inference?part={quote_plus(DIE)}")
    flooder.locator(STEP_UP).wait_for()
    # Compare's table imports pandas before the flood: a first import of pandas in one
    # session while plotly checks for it in another is a separate, open bug (README).
    open_app(other, f"{server.url}/compare")
    before = read_runs(times)
    flooder_session = next(r.session for r in reversed(before) if r.page == "inference")
    other_session = before[-1].session  # its Compare page, the last run so far
    assert flooder_session != other_session

    started = time.time()
    flooder.evaluate(FLOOD_JS, [STEP_UP, 30])
    try:
        flooder.wait_for_function("(n) => window.floodClicks >= n", arg=10)
        for path in WALK:
            go_to(other, next(p for p in PAGES if p.path == path), LIMIT_MS)
            assert_no_exception(other)
        flooder.wait_for_function("(n) => window.floodClicks >= n", arg=CLICKS)
        flooder.wait_for_timeout(2000)  # and on after the other's last page
    finally:
        flooder.evaluate("() => window.stopFlood()")
    clicks = flooder.evaluate("() => window.floodClicks")
    wait_for_app(flooder, rerun=True, timeout_ms=LIMIT_MS)
    assert_no_exception(flooder)
    assert_no_exception(other)
    assert server.process.poll() is None, "the server died"
    with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=30) as r:
        assert r.status == 200

    runs = [r for r in read_runs(times) if r.start >= started]
    assert not [r for r in runs if r.end == "error"], "a run ended in an uncaught exception"
    mine = [r for r in runs if r.session == other_session]
    theirs = [r for r in runs if r.session == flooder_session]
    assert {r.page for r in mine if r.end == "ok"} == set(WALK), mine
    assert clicks >= CLICKS and len(theirs) >= 10, (clicks, len(theirs))
    # The flood went on around the other session's runs: reruns of A before and after them.
    first, last = min(r.start for r in mine), max(r.finish for r in mine)
    assert any(r.start < first for r in theirs) and any(r.start > last for r in theirs), (
        f"A's reruns from {min(r.start for r in theirs) - started:.1f} s to "
        f"{max(r.start for r in theirs) - started:.1f} s; B's runs {first - started:.1f} s to "
        f"{last - started:.1f} s"
    )
