"""Every page's first and later visits, per shipped checkpoint, against a trivial nine-page app.

One app server started cold. For each checkpoint, a fresh browser context (a new visitor)
opens /overview?run=NAME, then clicks every page's sidebar link in turn (its first visits
with that model), then walks them all again (later visits). A visit is timed in the page
(performance.now()) from the click to the first moment the page is interactive and stays so
for SETTLE_MS: the script idle, the page's heading and address shown, every visible plotly
chart drawn, picture loaded, table and in-browser decoder drawn. The Overview's visit is a
page load, timed from the navigation's start. The server's own time for the page's script
runs comes from VAE_RUN_TIMES (ui/run_times.py). bench/trivial_pages.py, walked the same
way in the same run, is the reference.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.browser import checkpoint_dir, chromium
from bench.report import Section, num
from testkit.browser import APP_IDLE_JS, APP_LIMIT_MS, Server, start_server
from testkit.sessions import PAGES, AppPage, click_page, exceptions_shown
from ui.run_times import ENV, read_runs

TRIVIAL = "bench/trivial_pages.py"
SETTLE_MS = 200  # interactive this long without a break: nothing was still to come
POLL_MS = 20  # setTimeout polling: rAF polling takes CPU from a server on the same cores
FIRST_GOAL_S, LATER_GOAL_S = 1.5, 0.5
PAUSE_S, PAUSE_RUNS = 3.0, 2  # a reader's pause before each click, walked for 2 checkpoints

# Resolves with ms from t0 (the next click, or 0 = the navigation's start) to the start of
# the first SETTLE_MS-long stretch in which the page is interactive; -1 past limitMs.
VISIT_JS = f"""([path, heading, settleMs, limitMs, fromLoad]) => {{
    const idle = {APP_IDLE_JS};
    const re = new RegExp(heading, "i");
    const shown = (e) => e.getClientRects().length > 0;
    const deep = (root, sel, out) => {{
        root.querySelectorAll(sel).forEach((e) => out.push(e));
        root.querySelectorAll("*").forEach((e) => e.shadowRoot && deep(e.shadowRoot, sel, out));
        return out;
    }};
    const ready = () => {{
        if (!idle() || !location.pathname.endsWith("/" + path)) return false;
        const main = document.querySelector('[data-testid="stMain"]');
        const h1 = main && Array.from(main.querySelectorAll("h1")).some((h) =>
            re.test(h.textContent));
        if (!h1) return false;
        const all = (sel, ok) => Array.from(main.querySelectorAll(sel)).filter(shown).every(ok);
        return all('[data-testid="stPlotlyChart"]', (e) => !!e.querySelector(".main-svg"))
            && all('[data-testid="stDataFrame"]', (e) => !!e.querySelector("canvas"))
            && !Array.from(main.querySelectorAll('[data-testid="stSkeleton"]')).some(shown)
            && Array.from(document.images).filter(shown).every(
                (i) => i.complete && i.naturalWidth > 0)
            && deep(main, ".ld-root", []).every((e) => Number(e.dataset.frames || 0) > 0);
    }};
    let t0 = fromLoad ? 0 : null;
    let since = null;
    if (!fromLoad)
        document.addEventListener("click", () => {{ t0 = performance.now(); }},
            {{ capture: true, once: true }});
    window.benchVisit = new Promise((resolve) => {{
        const tick = () => {{
            const now = performance.now();
            if (t0 !== null) {{
                if (ready()) {{
                    since ??= now;
                    if (now - since >= settleMs) return resolve(since - t0);
                }} else since = null;
                if (now - t0 > limitMs) return resolve(-1);
            }}
            setTimeout(tick, {POLL_MS});
        }};
        tick();
    }});
}}"""


@dataclass(frozen=True)
class Visit:
    checkpoint: str
    page: str  # url path
    later: bool
    seconds: float  # click (or navigation start) to interactive
    server_s: float | None  # the page's script runs in that time, per VAE_RUN_TIMES
    shown: tuple[str, ...]  # exception boxes on the page


class Walker:
    """One server, one browser: visits of its pages, with the server's own times."""

    def __init__(self, browser: Any, server: Server, times: Path | None) -> None:
        self.browser, self.server, self.times = browser, server, times
        self.page: Any = None
        self.missed: list[str] = []

    def _server_s(self, path: str, t0: float, t1: float) -> float | None:
        if self.times is None:
            return None
        runs = [r for r in read_runs(self.times) if t0 - 0.05 <= r.start <= t1]
        return sum(r.seconds for r in runs if r.page == path) if runs else 0.0

    def _visit(self, name: str, to: AppPage, later: bool, load: str | None) -> Visit:
        args = [to.path, to.heading, SETTLE_MS, APP_LIMIT_MS, load is not None]
        wall0 = time.time()
        if load is not None:
            self.page.goto(load, wait_until="commit")
        self.page.evaluate(VISIT_JS, args)
        if load is None:
            click_page(self.page, to)
        ms = float(self.page.evaluate("() => window.benchVisit"))
        wall1 = time.time()
        if ms < 0:
            self.missed.append(f"{name} {to.path}")
            ms = (wall1 - wall0) * 1000
        shown = tuple(t.splitlines()[0] for t in exceptions_shown(self.page))
        return Visit(name, to.path, later, ms / 1000, self._server_s(to.path, wall0, wall1), shown)

    def walk(self, name: str, query: str = "", pause_s: float = 0.0) -> list[Visit]:
        """A new visitor: the Overview loaded, every other page clicked, then all again.

        With `pause_s`, the visitor stays that long on each page before the next click.
        """
        if self.page is not None:
            self.page.context.close()
        self.page = self.browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        self.page.set_default_timeout(APP_LIMIT_MS)
        url = f"{self.server.url}/{PAGES[0].path}{query}"
        out = [self._visit(name, PAGES[0], False, url)]
        for later, pages in ((False, PAGES[1:]), (True, PAGES)):
            for to in pages:
                time.sleep(pause_s)
                out.append(self._visit(name, to, later, None))
        return out

    def close(self) -> None:
        if self.page is not None:
            self.page.context.close()
        self.server.stop()


def runs_to_walk(count: int | None) -> list[str]:
    """The checkpoints that load, by name; the first `count` of them (None: all)."""
    from vae.runfolder.runs import list_runs

    names = sorted(r.name for r in list_runs() if r.ok)
    if not names:
        raise RuntimeError(f"no checkpoint loads from {checkpoint_dir()}")
    return names[:count]


def start(browser: Any, script: str, times: Path | None) -> Walker:
    env = {ENV: str(times)} if times is not None else {}
    return Walker(browser, start_server(checkpoint_dir(), env=env, script=script), times)


def med_max(values: Sequence[float]) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return num(values[0])
    return f"{num(statistics.median(values))} / {num(max(values))}"


def page_visits(sec: Section, count: int | None) -> None:
    """The trivial nine-page app's walk, then the app's walk for `count` checkpoints."""
    names = runs_to_walk(count)
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        times = Path(tmp) / "runs.jsonl"
        ref = start(browser, TRIVIAL, None)
        try:
            ref_visits = [v for i in range(min(3, len(names))) for v in ref.walk(f"trivial {i}")]
        finally:
            ref.close()
        app = start(browser, "app.py", times)
        try:
            visits: list[Visit] = []
            for name in names:
                visits += app.walk(name, f"?run={name}")
                print(f"[bench] pages: {name} walked", flush=True)
            paused = [v for n in names[:PAUSE_RUNS] for v in app.walk(n, f"?run={n}", PAUSE_S)]
        finally:
            app.close()
        missed = ref.missed + app.missed
    report(sec, names, visits, ref_visits, missed)
    report_paused(sec, visits, paused)


def report_paused(sec: Section, visits: Sequence[Visit], paused: Sequence[Visit]) -> None:
    """The same walk in a new tab with a reader's pause: what the browser's idle time buys."""
    names = sorted({v.checkpoint for v in paused})
    rows = [
        [p.title]
        + [
            med_max(
                [
                    v.seconds
                    for v in vs
                    if v.page == p.path and not v.later and v.checkpoint in names
                ]
            )
            for vs in (visits, paused)
        ]
        for p in PAGES[1:]
    ]
    sec.add(
        f"The first {len(names)} checkpoints walked again, each in a new browser context (a "
        f"new tab: nothing of the app loaded in it) by a visitor who stays {num(PAUSE_S)} s on "
        "each page before clicking the next, as a reader does. The server has these models "
        "loaded by then, so this shows the browser's side: while it idles on the Overview it "
        "loads the chart code (ui.streamlit_compat.prefetch_charts) that the first page with "
        "a chart otherwise loads on the click. First visits, median / max, in seconds:"
    )
    sec.table(["page", "clicking at once (above)", f"after a {num(PAUSE_S)} s pause"], rows)


def _secs(vs: Sequence[Visit], page: str, later: bool) -> list[float]:
    return [v.seconds for v in vs if v.page == page and v.later == later]


def _server(vs: Sequence[Visit], page: str, later: bool) -> list[float]:
    return [
        v.server_s for v in vs if v.page == page and v.later == later and v.server_s is not None
    ]


def report(
    sec: Section,
    names: Sequence[str],
    visits: Sequence[Visit],
    ref: Sequence[Visit],
    missed: Sequence[str],
) -> None:
    cold = visits[0]
    first = [v for v in visits[1:] if not v.later]  # the cold start is not a first visit
    later = [v for v in visits if v.later]
    sec.add(
        f"One `streamlit run app.py` started cold; for each of the {len(names)} checkpoints "
        f"({', '.join(names)}), a new browser context opens `/overview?run=NAME` (a page load, "
        "timed from the navigation's start), clicks every other page's sidebar link in turn "
        "(first visits with that model), then walks all nine again (later visits). Each visit "
        "is timed in the page from the click to the start of the first "
        f"{SETTLE_MS} ms during which it is interactive: the script idle, the page's address "
        "and heading shown, every visible plotly chart drawn (`.main-svg`), every visible "
        "picture loaded, every table's canvas and the in-browser decoder's first frame drawn. "
        "“Server” is the page's own script runs in that time, as app.py records them "
        f"(VAE_RUN_TIMES). The first checkpoint's Overview is the cold start "
        f"({num(cold.seconds)} s from the page load, server {num(cold.server_s or 0)} s: the "
        "app's imports), not counted as a first visit. The reference is "
        "bench/trivial_pages.py (nine pages, each a heading and one picture) walked the same "
        f"way in the same run by {min(3, len(names))} visitors. Cells are median / max over "
        "checkpoints, in seconds."
    )
    rows = []
    for p in PAGES:
        f, lt = _secs(first, p.path, False), _secs(later, p.path, True)
        rows.append(
            [
                p.title,
                med_max(f),
                med_max(_server(first, p.path, False)),
                med_max(lt),
                med_max(_server(later, p.path, True)),
                med_max(_secs(ref, p.path, False)),
                med_max(_secs(ref, p.path, True)),
            ]
        )
    sec.table(
        [
            "page",
            "first visit",
            "server (first)",
            "later visit",
            "server (later)",
            "trivial: first",
            "trivial: later",
        ],
        rows,
    )
    slow = sorted(first, key=lambda v: -v.seconds)[:8]
    sec.add(
        "Slowest first visits: "
        + "; ".join(
            f"{v.page} on {v.checkpoint} {num(v.seconds)} s (server {num(v.server_s or 0)} s)"
            for v in slow
        )
        + ". Slowest later visits: "
        + "; ".join(
            f"{v.page} on {v.checkpoint} {num(v.seconds)} s"
            for v in sorted(later, key=lambda v: -v.seconds)[:4]
        )
        + "."
    )
    shown = sorted({f"{v.page} on {v.checkpoint}: {s}" for v in visits for s in v.shown})
    if shown or missed:
        sec.add(
            (f"Exception boxes shown: {'; '.join(shown)}. " if shown else "")
            + (f"Not interactive within the limit: {', '.join(missed)}." if missed else "")
        )
    for label, vs, goal in (("first", first, FIRST_GOAL_S), ("later", later, LATER_GOAL_S)):
        worst = max(vs, key=lambda v: v.seconds)
        over = sum(v.seconds > goal for v in vs)
        sec.goal(
            f"Every page's {label} visit, every checkpoint (max over pages × checkpoints)",
            f"≤ {num(goal)} s",
            f"max {num(worst.seconds)} s ({worst.page} on {worst.checkpoint}); "
            f"median {num(statistics.median(v.seconds for v in vs))} s; "
            f"{over} of {len(vs)} over",
            worst.seconds <= goal and not missed,
        )
