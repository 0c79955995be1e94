"""Workarounds for Streamlit behaviours the app cannot switch off: pages/ discovery, chart code.

Streamlit treats a folder named pages/ beside the main script as its first (v1) multipage
layout until st.navigation is first called in the process; there is no configuration
option for it (streamlit 1.x: `PagesManager.uses_pages_directory`, set from the folder's
existence when the first session starts, and `script_runner._mpa_v1`). So on a fresh server
whose first request is a deep link such as /decoder, the page script runs alone, without
app.py's page config, sidebar picker and navigation.

The app keeps pages/ (it is where the page scripts live), so this module:
- marks the runs that go through app.py (`app_run`, entered by app.py around the page);
- lets a page notice that it runs without app.py (`ensure_app_run`), switch the legacy
  mode off for the process and rerun, so the same URL runs through app.py from then on;
- gives tests the state a served app has after its first st.navigation call
  (`legacy_discovery_off`), since AppTest forgets it before every run;
- lets tests read the bytes of the pictures a page produced (`record_media`): AppTest
  exposes an image's URL only;
- has the browser fetch and run Streamlit's plotly chart module while it is idle on a page
  without charts (`prefetch_charts`), so the first page with a chart draws it without first
  loading plotly.js (seconds on a slow machine). Streamlit loads the module only when a
  chart first appears, and offers no way to ask for it earlier; its file is found in
  Streamlit's own static folder (`chart_module`), and nothing is done without it.

Nothing else in the project imports Streamlit internals; tests/unit/test_streamlit_compat.py
fails if the internals used here change.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

MAIN_SCRIPT = "app.py"
STATIC_JS = Path(st.__file__).parent / "static" / "static" / "js"  # the frontend's modules
PREFETCH_DELAY_MS = 2000  # the chart code's 1-2 s of script wait until the page has drawn
_in_app: ContextVar[bool] = ContextVar("vae_app_run", default=False)


@contextlib.contextmanager
def app_run() -> Iterator[None]:
    """Wrap the page app.py runs: inside, ensure_app_run knows app.py is around the page."""
    token = _in_app.set(True)
    try:
        yield
    finally:
        _in_app.reset(token)


def ensure_app_run() -> None:
    """Called by every page (through ui.selection): rerun through app.py if run without it.

    A run in legacy mode (a deep link served first after a start) has no app_run around
    it; legacy mode is then switched off for the process and the run repeated. A page run
    on its own on purpose (an AppTest of one page file, whose main script is the page) is
    left alone. The mark is per script run, never process-wide: another session may switch
    the process's mode while this run is under way.
    """
    ctx = get_script_run_ctx()
    if ctx is None or Path(ctx.main_script_path).name != MAIN_SCRIPT or _in_app.get():
        return
    PagesManager.uses_pages_directory = False
    st.rerun()


def legacy_discovery_off() -> Callable[[], None]:
    """Start every new session as a served app runs after its first st.navigation call.

    For tests: AppTest resets Streamlit's process-wide mode before every run, so with a
    pages/ folder each run would start in legacy mode and rerun (dropping a button click).
    Returns a function that restores Streamlit's own behaviour.
    """
    original = PagesManager.__init__

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init  # type: ignore[method-assign]

    def restore() -> None:
        PagesManager.__init__ = original  # type: ignore[method-assign]

    return restore


def record_media() -> tuple[dict[str, bytes], Callable[[], None]]:
    """For tests: (bytes of every media file produced from now on by file id, restore).

    The file id is the name in an image's URL (…/media/<id>.png).
    """
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self: MemoryMediaFileStorage, path_or_data: Any, *args: Any, **kwargs: Any) -> str:
        file_id = original(self, path_or_data, *args, **kwargs)
        if isinstance(path_or_data, bytes):
            files[file_id] = path_or_data
        return file_id

    MemoryMediaFileStorage.load_and_get_id = record  # type: ignore[method-assign]

    def restore() -> None:
        MemoryMediaFileStorage.load_and_get_id = original  # type: ignore[method-assign]

    return files, restore


def chart_module() -> str | None:
    """The file name of Streamlit's plotly chart module (PlotlyChart.<hash>.js), if it has one."""
    found = sorted(p.name for p in STATIC_JS.glob("PlotlyChart.*.js"))
    return found[0] if len(found) == 1 else None


_PREFETCH_JS = """<script>
(() => {
  if (window.vaeChartsPrefetched) return;
  window.vaeChartsPrefetched = true;
  const main = document.querySelector('script[type="module"][src*="/js/index."]');
  if (!main) return;
  const url = new URL("%s", main.src).href;  // beside the main module, whatever the base path
  const load = () => import(url).catch(() => { window.vaeChartsPrefetched = false; });
  const idle = window.requestIdleCallback || ((f) => setTimeout(f, 500));
  setTimeout(() => idle(load, { timeout: 4000 }), %d);  // after the page's own pictures
})();
</script>"""


def prefetch_charts() -> None:
    """Once per browser tab, when it is idle: fetch and run the plotly chart module.

    Drawn after the page (app.py), it waits PREFETCH_DELAY_MS and then for an idle moment,
    so the module's seconds of script never hold up the pictures of the page being opened.
    """
    name = chart_module()
    if name is not None:
        st.html(_PREFETCH_JS % (name, PREFETCH_DELAY_MS), unsafe_allow_javascript=True)
