"""What the next first visit will need, prepared in the background once a page is drawn.

After app.py has run a page, `after_page(name)` starts a daemon thread (one at a time) that,
once per process, imports torch and the modules that load and run a model, with pandas and
pyarrow, which Streamlit imports when a page first mounts a component or draws a table. The
Overview's first draw needs none of them (app.py and it import no torch), so a fresh server
shows its first page seconds sooner; the imports start FIRST_DELAY_S after that page's run,
since they hold Python's lock for seconds and would hold up serving its pictures. Then the
thread encodes that checkpoint's test set and that of its default partner on the Compare
page, through ui.testset's own caches (once per checkpoint: nothing is shared across
checkpoints, and a page that asks meanwhile waits for the same computation).

Two threads importing the same library at once once left one of them a partly initialised
pandas (ui/tables.py; plotly looks pandas up in sys.modules without importing it), so the
imports are exclusive with page runs: `page_run()`, around every page in app.py, waits while
they run, and they start only when no page is running. They come before the codes, since
loading a data set can import pandas too (scikit-learn's digits). Before they are done (a
fresh server's first seconds) a page may import a library itself while another session's
looks it up half-made, so until then page runs take turns; the training queue's thread
waits for them too (`libraries_ready`).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import sys
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)
MODEL_IMPORTS = ("torch", "vae.runfolder.checkpoint", "vae.analysis.explore")
IMPORTS = ("pandas", "pyarrow")
FIRST_DELAY_S = 1.5  # the imports hold Python's lock for seconds: first the pictures go out

_gate = threading.Condition()
_running = 0  # page runs under way, in every session
_importing = False
_wanting = False  # the imports wait for the page runs under way to end
_imported = False  # every library of MODEL_IMPORTS and IMPORTS
_busy = False  # a warm-up thread is alive
_closing = False  # the process is exiting: stop before the next step
_thread: threading.Thread | None = None
_warmed: set[tuple[str, tuple[int, ...]]] = set()  # checkpoint cache keys already encoded
_names: set[str] = set()  # checkpoints warmed (a folder replaced since is left to its pages)
_turns = threading.Lock()  # page runs take turns while the libraries may be half-imported


def libraries_ready() -> bool:
    """Every library of MODEL_IMPORTS and IMPORTS is in sys.modules and done initialising."""
    for name in (*MODEL_IMPORTS, *IMPORTS):
        module = sys.modules.get(name)
        if module is None or getattr(module.__spec__, "_initializing", False):
            return False
    return True


@contextlib.contextmanager
def page_run() -> Iterator[None]:
    """Around a page's run: waits while the background imports run or wait to run, holds
    them off while on, and takes its turn with other page runs while the libraries are not
    imported yet (a run waiting for its turn does not hold the imports off)."""
    global _running
    turn = contextlib.nullcontext() if _imported or libraries_ready() else _turns
    with turn:
        with _gate:
            _gate.wait_for(lambda: not (_importing or _wanting))
            _running += 1
        try:
            yield
        finally:
            with _gate:
                _running -= 1
                _gate.notify_all()


def _import_all(names: tuple[str, ...]) -> None:
    """Import `names` while no page runs; the warm-up's imports are done after."""
    global _importing, _imported, _wanting
    with _gate:
        _wanting = True  # page runs from now on wait, so the ones under way can drain
        _gate.wait_for(lambda: _running == 0 or _closing)
        _wanting = False
        if _closing:
            _gate.notify_all()
            return
        _importing = True
    try:
        from ui.tables import _LOCK

        with _LOCK:  # ui.tables imports pandas under it too
            for name in names:
                with contextlib.suppress(ImportError):
                    importlib.import_module(name)
    finally:
        with _gate:
            _importing, _imported = False, True
            _gate.notify_all()


def _codes(name: str) -> None:
    from ui.selection import cache_key, load_run
    from ui.testset import warm_codes
    from vae.runfolder.runs import resolve_run

    ckpt = load_run(resolve_run(name))
    key = cache_key(ckpt)
    if key not in _warmed:
        warm_codes(ckpt)
        _warmed.add(key)


def _warm(name: str | None, delay_s: float = 0.0) -> None:
    global _busy
    try:
        with _gate:  # the first page's pictures are fetched once its run ends: let them be
            _gate.wait_for(lambda: _closing, timeout=delay_s)
        if not _imported and not _closing:  # before the codes: loading a data set (digits,
            _import_all((*MODEL_IMPORTS, *IMPORTS))  # through scikit-learn) imports pandas
        if name:
            from vae.analysis.compare import default_partner
            from vae.runfolder.runs import list_runs

            _codes(name)
            partner = default_partner(list_runs(), name)  # the Compare page's right model
            if partner and not _closing:
                _codes(partner)
            _names.add(name)
    except Exception:  # a page shows the same problem when it gets there
        log.warning("warm-up of %s stopped", name, exc_info=True)
    finally:
        with _gate:
            _busy = False


def after_page(name: str | None) -> None:
    """Start the warm-up for checkpoint `name` (None: imports only) unless one is running."""
    global _busy, _thread
    with _gate:
        if _busy or _closing or (_imported and (name is None or name in _names)):
            return
        _busy = True
        delay = 0.0 if _imported else FIRST_DELAY_S
        _thread = threading.Thread(
            target=_warm, args=(name, delay), name="vae-warm-up", daemon=True
        )
        _thread.start()


@atexit.register
def _close() -> None:
    """At exit, let a warm-up step under way finish: torch killed mid-call aborts the process."""
    global _closing
    with _gate:
        _closing = True
        _gate.notify_all()
        thread = _thread
    if thread is not None:
        thread.join(timeout=30)
