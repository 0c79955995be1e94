"""Section 4b: the server's resident memory with browser sessions open, and after they close."""

from __future__ import annotations

import time
from pathlib import Path

from bench.browser import PAGES, chromium, new_page, open_ready, serving
from bench.report import Section, cell, num, stat


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, MB (psutil if installed, else /proc)."""
    try:
        import psutil

        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 2**20
    except ImportError:
        pass
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        for task in Path(f"/proc/{p}/task").iterdir():
            todo += [int(c) for c in (task / "children").read_text().split()]
    return total


def rss_samples(pid: int, n: int = 3, gap_s: float = 1.0) -> list[float]:
    out = []
    for i in range(n):
        if i:
            time.sleep(gap_s)
        out.append(tree_rss_mb(pid))
    return out


def memory(sec: Section, sessions: int, settle_s: float = 10.0) -> None:
    """RSS after start, with browser sessions open on different pages, and after they close."""
    from streamlit import config

    ttl = config.get_option("server.disconnectedSessionTTL")
    rows = []
    with chromium() as browser, serving() as app:
        pid = app.process.pid
        time.sleep(settle_s)
        rows.append(
            [
                "after start, no session (the app is not imported yet)",
                cell(stat(rss_samples(pid)), "MB"),
            ]
        )
        pages = []
        for i in range(sessions):
            page = new_page(browser)
            open_ready(page, f"{app.url}/{PAGES[i % len(PAGES)]}", '[data-testid="stMain"] h1')
            pages.append(page)
            time.sleep(2.0)
            if i == 0:
                rows.append([f"1 session open ({PAGES[0]})", cell(stat(rss_samples(pid)), "MB")])
        names = ", ".join(PAGES[i % len(PAGES)] for i in range(sessions))
        rows.append([f"{sessions} sessions open ({names})", cell(stat(rss_samples(pid)), "MB")])
        for page in pages:
            page.context.close()
        time.sleep(settle_s)
        rows.append([f"{num(settle_s)} s after they closed", cell(stat(rss_samples(pid)), "MB")])
    sec.add(
        "Resident memory of the `streamlit run app.py` process (and any children), three "
        "samples a second apart at each moment (median and range). Each session is its own "
        "browser context. Streamlit keeps a closed session's state for "
        f"server.disconnectedSessionTTL = {ttl} s so a reconnecting tab can resume, and cached "
        "models and encodings are shared by all sessions and kept."
    )
    sec.table(["moment", "resident memory"], rows)
