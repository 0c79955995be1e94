"""ui/streamlit_compat.py leans on Streamlit internals; these tests fail when they change.

The behaviour itself (a deep link served first runs the page alone, and the page reruns
through app.py) is tested end to end in tests/app/test_app.py.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.runtime import memory_media_file_storage, pages_manager
from streamlit.runtime.scriptrunner import script_runner

from ui import streamlit_compat


@pytest.fixture
def fresh_mode() -> Iterator[None]:
    """Streamlit's process-wide mode as on a fresh server; put back afterwards."""
    before = pages_manager.PagesManager.uses_pages_directory
    pages_manager.PagesManager.uses_pages_directory = None
    yield
    pages_manager.PagesManager.uses_pages_directory = before


def _app_with_pages(tmp_path: Path) -> str:
    (tmp_path / "pages").mkdir(parents=True)
    (tmp_path / "app.py").write_text("")
    return str(tmp_path / "app.py")


def test_a_pages_folder_still_switches_a_fresh_server_to_legacy_mode(
    tmp_path: Path, fresh_mode: None
) -> None:
    pages_manager.PagesManager(_app_with_pages(tmp_path))
    assert pages_manager.PagesManager.uses_pages_directory is True
    source = inspect.getsource(script_runner.ScriptRunner)
    assert "PagesManager.uses_pages_directory" in source and "_mpa_v1" in source


def test_legacy_discovery_off_starts_sessions_in_navigation_mode(
    tmp_path: Path, fresh_mode: None
) -> None:
    restore = streamlit_compat.legacy_discovery_off()
    try:
        pages_manager.PagesManager(_app_with_pages(tmp_path))
        assert pages_manager.PagesManager.uses_pages_directory is False
    finally:
        restore()
    pages_manager.PagesManager.uses_pages_directory = None
    pages_manager.PagesManager(_app_with_pages(tmp_path / "again"))
    assert pages_manager.PagesManager.uses_pages_directory is True


def test_st_navigation_still_ends_legacy_mode() -> None:
    from streamlit.commands import navigation

    assert "PagesManager.uses_pages_directory = False" in inspect.getsource(navigation.navigation)


def test_outside_a_script_run_ensure_app_run_does_nothing() -> None:
    streamlit_compat.ensure_app_run()  # no script run context: nothing to rerun
    with streamlit_compat.app_run():
        streamlit_compat.ensure_app_run()


def test_media_storage_still_hands_out_file_ids() -> None:
    files, restore = streamlit_compat.record_media()
    try:
        storage = memory_media_file_storage.MemoryMediaFileStorage("/media")
        file_id = storage.load_and_get_id(b"\x89PNG", "image/png", "image")
        assert files == {file_id: b"\x89PNG"}
    finally:
        restore()


def test_the_plotly_chart_module_and_the_main_module_are_where_the_prefetch_looks() -> None:
    name = streamlit_compat.chart_module()
    assert name is not None and name.startswith("PlotlyChart.") and name.endswith(".js")
    assert (streamlit_compat.STATIC_JS / name).stat().st_size > 1_000_000  # plotly.js inside
    index = (streamlit_compat.STATIC_JS.parents[1] / "index.html").read_text()
    assert re.search(r'<script type="module"[^>]* src="\./static/js/index\.[^"]+\.js"', index)


def test_the_prefetch_names_the_module_and_runs_once_per_tab(monkeypatch) -> None:
    shown: list[tuple[str, bool]] = []
    monkeypatch.setattr(
        streamlit_compat.st,
        "html",
        lambda body, unsafe_allow_javascript: shown.append((body, unsafe_allow_javascript)),
    )
    streamlit_compat.prefetch_charts()
    ((body, js),) = shown
    assert js and f'new URL("{streamlit_compat.chart_module()}", main.src)' in body
    assert "if (window.vaeChartsPrefetched) return;" in body
    monkeypatch.setattr(streamlit_compat, "STATIC_JS", Path("/nonexistent"))
    streamlit_compat.prefetch_charts()  # a Streamlit without the module: nothing is drawn
    assert len(shown) == 1
