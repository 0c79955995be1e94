"""Browser figures: Playwright drives Debian's Chromium against `streamlit run app.py`.

Every latency is measured inside the page (performance.now()), from the input event to the
frame in which the new picture is shown, and set beside the trivial app in bench/trivial_app.py
started in the same run.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.priority import kept_nice
from bench.report import Section, Stat, cell, num, ratios, stat
from testkit.browser import APP_IDLE_JS, APP_LIMIT_MS, Server, launch_chromium, start_server

TRIVIAL = "bench/trivial_app.py"
PAGES = ("overview", "training", "latent", "decoder", "reconstructions")
FIRST_IMAGE = '[data-testid="stMain"] [data-testid="stImage"] img'
SLIDER = '[data-testid="stMain"] [data-testid="stSlider"] input[type="range"]'

# Script finished, `sel` drawn and every picture on the page loaded. (Streamlit reports the
# script finished a little before it has drawn the last elements, so a page names the
# element it ends with.)
READY_JS = f"""(sel) => ({APP_IDLE_JS})() && !!document.querySelector(sel)
    && Array.from(document.images).every((i) => i.complete)"""
# The Latent page has run and its plotly chart has drawn.
LATENT_READY_JS = f"""() => {{
    const h = document.querySelector('[data-testid="stMain"] h1');
    return ({APP_IDLE_JS})() && !!h && /latent space/i.test(h.textContent)
        && !!document.querySelector('[data-testid="stPlotlyChart"] .main-svg');
}}"""
# Start watching the first image: resolves with ms from the next keydown to the frame in
# which a new, loaded picture is on the page, or with -1 when none comes within limitMs.
WATCH_JS = """([sel, limitMs]) => {
    const old = document.querySelector(sel)?.src;
    const started = performance.now();
    let t0 = null;
    const onKey = () => { t0 = performance.now(); };
    document.addEventListener("keydown", onKey, { capture: true, once: true });
    window.benchWatch = new Promise((resolve) => {
        const tick = () => {
            const img = document.querySelector(sel);
            const now = performance.now();
            if (t0 !== null && img && img.src !== old && img.complete && img.naturalWidth > 0)
                resolve(now - t0);
            else if (now - (t0 ?? started) > limitMs) resolve(-1);
            else requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
    });
}"""


def live_latencies(page: Any, moves: int) -> Stat:
    """Pointer moves over the live decoder's pad (measure.py); each move's ms to canvas drawn."""
    from components.live_decoder.measure import measure_latency

    page.wait_for_function("() => globalThis.liveDecoderStats !== undefined")
    before = page.evaluate("() => globalThis.liveDecoderStats.latencies.length")
    measure_latency(page, moves=moves)
    got = page.evaluate("(k) => globalThis.liveDecoderStats.latencies.slice(k)", before)
    return stat(got[-moves:])


def checkpoint_dir() -> Path:
    from vae.runfolder.runs import checkpoint_dir as configured

    return configured()


@contextlib.contextmanager
def chromium(nice: int = 0) -> Iterator[Any]:
    """A headless Chromium; nice > 0 keeps its every thread that far down in CPU priority."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw, kept_nice("chrom", nice):
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def serving(script: str = "app.py") -> Iterator[Server]:
    server = start_server(checkpoint_dir(), script=script)
    try:
        yield server
    finally:
        server.stop()


def new_page(browser: Any) -> Any:
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(APP_LIMIT_MS)
    return page


def wait_ready(page: Any, sel: str = FIRST_IMAGE) -> None:
    page.wait_for_function(READY_JS, arg=sel, polling="raf")


def open_ready(page: Any, url: str, sel: str = FIRST_IMAGE) -> None:
    page.goto(url)
    wait_ready(page, sel)


# --- 3a: slider move to new image -----------------------------------------------------------


class SliderMoves:
    """Arrow-key moves of a page's first slider, sweeping between -2 and 2 and back."""

    def __init__(self, page: Any, limit_ms: float = 15_000) -> None:
        self.page, self.limit_ms = page, limit_ms
        self.key = "ArrowRight"
        self.missed = 0  # moves that brought no new picture within limit_ms

    def __call__(self, moves: int) -> list[float]:
        """ms from key press to new picture, for each of `moves` moves that brought one."""
        out = []
        for _ in range(moves):
            wait_ready(self.page, SLIDER)
            thumb = self.page.locator(SLIDER).first
            value = float(thumb.evaluate("(e) => e.value"))
            if abs(value) >= 2.0:
                self.key = "ArrowLeft" if value > 0 else "ArrowRight"
            self.page.evaluate(WATCH_JS, [FIRST_IMAGE, self.limit_ms])
            thumb.focus()
            self.page.keyboard.press(self.key)
            ms = float(self.page.evaluate("() => window.benchWatch"))
            if ms < 0:
                self.missed += 1
            else:
                out.append(ms)
        wait_ready(self.page, SLIDER)
        return out


def interaction(sec: Section, moves: int, live_moves: int) -> None:
    """The Decoder page's in-browser decoder, then its server path against the trivial app."""
    rounds = max(1, moves // 6)
    per = max(1, moves // rounds)
    with chromium() as browser, serving() as app, serving(TRIVIAL) as trivial:
        app_page, ref_page = new_page(browser), new_page(browser)
        open_ready(app_page, f"{app.url}/decoder", '[data-testid="stMain"] h1')
        live = app_page.locator(".ld-root canvas")  # the component draws in a shadow root
        live.or_(app_page.locator(SLIDER)).first.wait_for()  # either view, once drawn
        if live.count():
            lat = live_latencies(app_page, live_moves)
            p90 = sorted(lat.values)[int(0.9 * (lat.n - 1))]
            sec.add(
                f"**In-browser decoder on the Decoder page** (its default view): {lat.n} pointer "
                "moves over the pad, from the input event to the canvas drawn, as recorded by "
                f"the component (globalThis.liveDecoderStats): {cell(lat, 'ms')}, 90th "
                f"percentile {num(p90)} ms."
            )
        else:
            lat = None
            sec.add("The Decoder page shows no in-browser decoder: that figure was not measured.")
        sec.goal(
            "In-browser decoder, move → canvas drawn (median)",
            "≤ 50 ms",
            cell(lat, "ms") if lat else "n/a",
            lat.median <= 50 if lat else None,
        )
        if not app_page.locator(SLIDER).count():
            app_page.get_by_text("Decode on the server", exact=True).click()
        wait_ready(app_page, SLIDER)
        open_ready(ref_page, trivial.url)
        app_moves, ref_moves = SliderMoves(app_page), SliderMoves(ref_page)
        app_moves(2)  # warm both up: the first reruns compile and fill caches
        ref_moves(2)
        app_moves.missed = ref_moves.missed = 0
        a_all: list[float] = []
        r_all: list[float] = []
        per_round: list[tuple[float, float]] = []
        for _ in range(rounds):
            a = app_moves(per)
            r = ref_moves(per)
            a_all += a
            r_all += r
            if a and r:
                per_round.append((stat(a).median, stat(r).median))
        missed = (app_moves.missed, ref_moves.missed)
    ratio = ratios([a for a, _ in per_round], [r for _, r in per_round])
    sec.add(
        "**Server path** (“Decode on the server”: st.slider and the decoded image in a "
        "fragment, with the grid, traversals and KL chart that follow the point) against the "
        f"trivial app: keyboard moves of the first slider, one step each; {rounds} "
        f"alternating rounds of {per} moves (n = {len(a_all)} and {len(r_all)}), measured in the "
        "page from the key press to the frame that shows the new picture, loaded. The ratio "
        "is per round (median of the round on the app / on the trivial page)."
        + (
            f" Moves that brought no new picture within 15 s were left out: {missed[0]} on "
            f"the app, {missed[1]} on the trivial page."
            if any(missed)
            else ""
        )
    )
    sec.table(
        ["path", "move → new image", "trivial page", "ratio"],
        [
            [
                "server (st.slider + fragment image)",
                cell(stat(a_all), "ms"),
                cell(stat(r_all), "ms"),
                cell(ratio),
            ]
        ],
    )
    if lat:
        sec.add(
            f"The in-browser path above is {num(stat(a_all).median / lat.median)} times faster "
            "than the server path on the same page."
        )
    sec.goal(
        "Slider move, Decoder page (server path) / trivial page",
        "≤ 1.3",
        cell(ratio),
        ratio.median <= 1.3,
    )


# --- 3b: cold start and navigation ----------------------------------------------------------


def cold_start(browser: Any, script: str) -> tuple[float, Server, Any]:
    """Seconds from starting the server to its first page ready; the server and page stay up."""
    t0 = time.perf_counter()
    server = start_server(checkpoint_dir(), script=script)
    page = new_page(browser)
    try:
        open_ready(page, server.url)
    except Exception:
        server.stop()
        raise
    return time.perf_counter() - t0, server, page


def to_latent(page: Any) -> float:
    """Seconds from a click on the Latent space link to its chart drawn and the script done."""
    link = page.locator('[data-testid="stSidebarNav"] a', has_text="Latent space")
    t0 = time.perf_counter()
    link.click()
    page.wait_for_function(LATENT_READY_JS, polling="raf")
    return time.perf_counter() - t0


def to_overview(page: Any) -> None:
    page.locator('[data-testid="stSidebarNav"] a', has_text="Overview").click()
    wait_ready(page)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stPlotlyChart\"]')", polling="raf"
    )


def startup(sec: Section, repeats: int, nav_repeats: int) -> None:
    """Cold start of the app and of the trivial app, alternating; then the Latent page."""
    app_s: list[float] = []
    ref_s: list[float] = []
    first_nav: list[float] = []
    warm_nav: list[float] = []
    points = ""
    with chromium() as browser:
        for _ in range(repeats):
            t, server, page = cold_start(browser, TRIVIAL)
            ref_s.append(t)
            server.stop()
            page.context.close()
            t, server, page = cold_start(browser, "app.py")
            app_s.append(t)
            try:
                first_nav.append(to_latent(page))
                caption = page.locator('[data-testid="stMain"]').inner_text()
                points = next((ln for ln in caption.splitlines() if "points from" in ln), points)
                if len(warm_nav) < nav_repeats:
                    for _ in range(nav_repeats):
                        to_overview(page)
                        warm_nav.append(to_latent(page))
            finally:
                server.stop()
                page.context.close()
    ratio = ratios(app_s, ref_s)
    sec.add(
        f"Cold start: from launching `streamlit run` (a new process; the operating system's "
        f"file cache is warm) to the first page drawn with its pictures loaded, {repeats} "
        f"alternating starts of each (n = {repeats}; the ratio is per pair)."
    )
    sec.table(
        ["", "app.py (Overview)", "trivial app", "ratio"],
        [["cold start", cell(stat(app_s), "s"), cell(stat(ref_s), "s"), cell(ratio)]],
    )
    sec.goal("Cold start, app / trivial app", "≤ 1.5", cell(ratio), ratio.median <= 1.5)
    nav = stat(first_nav)
    sec.add(
        "Navigation from the Overview to the Latent space page (sidebar link) until the script "
        "has finished and the plotly chart is drawn. First visit after a cold start (the test "
        f"set is loaded and encoded, n = {len(first_nav)}): {cell(nav, 's')}; later visits "
        f"(cached, n = {len(warm_nav)}): {cell(stat(warm_nav), 's') if warm_nav else 'n/a'}. "
        f"The page said: “{points.strip() or 'no point count found'}”."
    )
    sec.goal(
        "Latent page with 10 000 points interactive after navigation (first visit)",
        "≤ 2 s",
        cell(nav, "s"),
        nav.median <= 2.0 if "10,000" in points else None,
    )
    if warm_nav:
        warm = stat(warm_nav)
        sec.goal(
            "Latent page interactive after navigation (later visits)",
            "≤ 2 s",
            cell(warm, "s"),
            warm.median <= 2.0 if "10,000" in points else None,
        )
