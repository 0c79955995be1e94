"""A classroom: many browser sessions at once walk every page while a training job runs.

Server time per rerun is measured inside the server (VAE_RUN_TIMES, ui/run_times.py: the
wall time of each page's run in app.py), not in the browsers, which share this machine's
cores with it (at the lowest CPU priority, as if on the visitors' own machines). The same
walk by one session, in the same run on the same server, is the reference. Memory is the
server's process group, sampled through the crowd's walk and again after its sessions closed.
"""

from __future__ import annotations

import math
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.browser import checkpoint_dir, chromium
from bench.report import Section, num
from testkit.browser import Server, start_server
from testkit.sessions import (
    PAGES,
    RssPeak,
    click_page,
    exceptions_shown,
    settled_rss_mb,
    wait_page,
)
from ui.run_times import ENV, RunTime, read_runs
from vae.training import jobs

LIMIT_MS = 600_000  # a page of 20 sessions at once on 2 busy cores may take minutes
BROWSER_NICE = 19  # the browsers stand in for the visitors' machines: the lowest CPU priority
BACK_MB = 200.0  # "memory back near its level": within this of the level before the crowd


@dataclass
class Walk:
    """Sessions that walked the pages together: when, what they showed, what got stuck."""

    sessions: int
    start: float = 0.0
    finish: float = 0.0
    visits: int = 0
    shown: list[str] = field(default_factory=list)  # exception boxes, "page: first line"
    stuck: list[str] = field(default_factory=list)  # pages that did not finish drawing

    def runs(self, all_runs: Sequence[RunTime]) -> list[RunTime]:
        return [r for r in all_runs if self.start <= r.start <= self.finish]


def walk(browser: Any, url: str, sessions: int, walks: int) -> Walk:
    """`sessions` contexts, session i starting on page i; at each step every session clicks
    its next page's link, then all are waited for; each sees every page `walks` times."""
    w = Walk(sessions, start=time.time())
    pages = []
    for i in range(sessions):
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(LIMIT_MS)
        page.goto(f"{url}/{PAGES[i % len(PAGES)].path}", wait_until="commit")  # all at once
        pages.append(page)

    def settle(step: int) -> None:
        for i, page in enumerate(pages):
            to = PAGES[(i + step) % len(PAGES)]
            try:
                wait_page(page, to, LIMIT_MS)
            except Exception as exc:
                w.stuck.append(f"session {i}, {to.path}: {str(exc).splitlines()[0]}")
                continue
            w.visits += 1
            w.shown += [f"{to.path}: {t.splitlines()[0]}" for t in exceptions_shown(page)]

    try:
        settle(0)
        for step in range(1, walks * len(PAGES)):
            for i, page in enumerate(pages):
                to = PAGES[(i + step) % len(PAGES)]
                try:
                    click_page(page, to)
                except Exception as exc:  # its wait below will time out and say so
                    w.stuck.append(f"session {i}, link to {to.path}: {str(exc).splitlines()[0]}")
            settle(step)
    finally:
        w.finish = time.time()
        for page in pages:
            page.context.close()
    return w


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def summary(runs: Sequence[RunTime]) -> str:
    secs = [r.seconds for r in runs if r.end == "ok"]
    if not secs:
        return "no finished runs"
    return (
        f"p50 {num(statistics.median(secs))} s, p95 {num(pct(secs, 0.95))} s, "
        f"max {num(max(secs))} s (n = {len(secs)})"
    )


def per_page(lone: Sequence[RunTime], crowd: Sequence[RunTime]) -> list[list[str]]:
    rows = []
    for p in PAGES:
        a = [r.seconds for r in lone if r.end == "ok" and r.page == p.path]
        b = [r.seconds for r in crowd if r.end == "ok" and r.page == p.path]
        rows.append(
            [
                p.title,
                f"{num(statistics.median(a))} s (n = {len(a)})" if a else "n/a",
                f"{num(statistics.median(b))} s" if b else "n/a",
                f"{num(pct(b, 0.95))} s" if b else "n/a",
                f"{num(max(b))} s (n = {len(b)})" if b else "n/a",
            ]
        )
    return rows


def ends(runs: Sequence[RunTime]) -> str:
    counts = {e: sum(r.end == e for r in runs) for e in ("ok", "rerun", "stop", "error")}
    return ", ".join(f"{v} {k}" for k, v in counts.items() if v)


def classroom(
    sec: Section, sessions: int, walks: int, settle_s: float = 15.0, wait_ttl: bool = True
) -> None:
    """The walk by one session, then by `sessions` at once, while a digits job trains.

    wait_ttl=False (quick mode) skips the wait for Streamlit to drop the closed sessions.
    """
    from streamlit import config

    ttl = float(config.get_option("server.disconnectedSessionTTL"))
    tmp = Path(tempfile.mkdtemp(prefix="vae-classroom-"))
    root, times = tmp / "checkpoints", tmp / "run-times.jsonl"
    shutil.copytree(checkpoint_dir(), root, ignore=shutil.ignore_patterns(".jobs", "bench-*"))
    name = f"bench-class-{uuid.uuid4().hex[:6]}"
    server: Server | None = None
    try:
        jobs.start_job(
            jobs.JobRequest(dataset="digits", hidden_dims="32", epochs=5000, name=name), root
        )
        server = start_server(root, env={ENV: str(times)})
        pgid = server.process.pid
        with chromium(nice=BROWSER_NICE) as browser:
            cold = walk(browser, server.url, 1, 1)  # first visits fill the caches: not counted
            lone = walk(browser, server.url, 1, walks)
            time.sleep(settle_s)
            before = settled_rss_mb(pgid)
            with RssPeak(pgid) as peak:
                crowd = walk(browser, server.url, sessions, walks)
            training = jobs.job_status(root, name)
            t_closed = time.time()
            time.sleep(settle_s)
            after = settled_rss_mb(pgid)
            if wait_ttl:
                time.sleep(max(0.0, t_closed + ttl + 10 - time.time()))
            after_ttl = settled_rss_mb(pgid) if wait_ttl else after
        alive = server.process.poll() is None
        runs = read_runs(times)
    finally:
        if server is not None:
            server.stop()
        if jobs.job_status(root, name).active:
            jobs.cancel_job(root, name)
            jobs.wait(root, name, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)
    report(sec, sessions, walks, runs, cold, lone, crowd, training, alive)
    crowd_ok = [r.seconds for r in crowd.runs(runs) if r.end == "ok"]
    sec.add(
        "Resident memory of the server's process group (the `streamlit run` process; the job "
        "runs in its own process and is not counted), median of three samples a second apart: "
        f"{num(before)} MB after the lone walks, before the crowd; a peak of "
        f"{num(peak.peak)} MB while the {sessions} sessions walked ({peak.samples} samples, "
        f"0.5 s apart); {num(after)} MB {num(settle_s)} s after they closed"
        + (f" and {num(after_ttl)} MB {num(ttl + 10)} s after" if wait_ttl else "")
        + " (Streamlit keeps a closed session's state for server.disconnectedSessionTTL = "
        f"{num(ttl)} s)."
    )
    p50 = statistics.median(crowd_ok) if crowd_ok else math.inf
    p95 = pct(crowd_ok, 0.95) if crowd_ok else math.inf
    who = f"{sessions} sessions walking while a job trains"
    sec.goal(f"Server time per rerun, {who} (p50)", "≤ 1 s", f"{num(p50)} s", p50 <= 1.0)
    sec.goal(f"Server time per rerun, {who} (p95)", "≤ 1 s", f"{num(p95)} s", p95 <= 1.0)
    sec.goal(
        f"Server resident memory, peak with {sessions} sessions",
        "≤ 2 GB",
        f"{num(peak.peak)} MB",
        peak.peak <= 2048,
    )
    sec.goal(
        "Server memory after the sessions closed" + (" (after the TTL)" if wait_ttl else ""),
        f"back near its level: ≤ {num(before)} + {num(BACK_MB)} MB",
        f"{num(after_ttl)} MB",
        after_ttl <= before + BACK_MB,
    )
    errors = len(crowd.shown) + sum(r.end == "error" for r in crowd.runs(runs))
    sec.goal(
        f"Exceptions shown, {who}",
        "none",
        str(errors),
        errors == 0 and not crowd.stuck and alive,
    )


def how_often(n: int) -> str:
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def report(
    sec: Section,
    sessions: int,
    walks: int,
    runs: Sequence[RunTime],
    cold: Walk,
    lone: Walk,
    crowd: Walk,
    training: jobs.JobStatus,
    alive: bool,
) -> None:
    names = ", ".join(p.title for p in PAGES)
    sec.add(
        f"One Chromium, one browser context per session, run at nice {BROWSER_NICE}: in a "
        "classroom the browsers are the visitors' own machines, so here they take only the "
        "CPU the server leaves. Each session walks every page of "
        f"the navigation ({names}; the Inference page in its first part) {how_often(walks)} "
        "through the sidebar links, session i starting on page i; at each step every session "
        "clicks its next link, then all are waited for until the script has finished and the "
        "page is drawn. Meanwhile a digits job (MLP, hidden 32) trains on the server, started "
        "through vae.training.jobs (at the default VAE_JOB_NICE); at the end of the crowd's "
        f"walk it was {training.state} at "
        f"epoch {training.epoch}. Server time per rerun is the wall time of the page's run in "
        "app.py (`navigation.run()`, recorded with VAE_RUN_TIMES; the sidebar, drawn before "
        "it, and fragment reruns are not in it); runs interrupted by a newer rerun are left out "
        "of the times and counted apart. The reference is the same walk by one session on the "
        "same server, after a first walk that filled the caches."
    )
    lone_runs, crowd_runs = lone.runs(runs), crowd.runs(runs)
    sec.table(
        ["walk", "server time per rerun", "runs recorded", "page visits", "wall time"],
        [
            [
                "first visits, 1 session (caches filled; not counted)",
                summary(cold.runs(runs)),
                ends(cold.runs(runs)),
                str(cold.visits),
                f"{num(cold.finish - cold.start)} s",
            ],
            [
                "1 session (reference)",
                summary(lone_runs),
                ends(lone_runs),
                str(lone.visits),
                f"{num(lone.finish - lone.start)} s",
            ],
            [
                f"{sessions} sessions at once",
                summary(crowd_runs),
                ends(crowd_runs),
                str(crowd.visits),
                f"{num(crowd.finish - crowd.start)} s",
            ],
        ],
    )
    sec.add("Server time per rerun by page (finished runs):")
    sec.table(
        ["page", "1 session, median", f"{sessions} sessions, median", "p95", "max"],
        per_page(lone_runs, crowd_runs),
    )
    problems = [*crowd.shown, *crowd.stuck]
    sec.add(
        f"Exceptions shown in the {sessions} sessions: {len(crowd.shown)}; runs that ended in "
        f"an uncaught exception: {sum(r.end == 'error' for r in crowd_runs)}; pages that did "
        f"not finish drawing within {LIMIT_MS // 1000} s: {len(crowd.stuck)}; the server "
        + ("stayed up." if alive else "**died**.")
        + ("" if not problems else " " + "; ".join(problems[:10]))
    )
