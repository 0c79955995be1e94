"""ui/run_times.py: one line per script run with VAE_RUN_TIMES set, nothing without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui import run_times


class RerunException(Exception):  # named as Streamlit's control-flow exceptions are
    pass


def test_nothing_is_written_without_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(run_times.ENV, raising=False)
    with run_times.timed_run("decoder"):
        pass
    assert list(tmp_path.iterdir()) == []
    assert run_times.read_runs(tmp_path / "none.jsonl") == []


def test_each_run_appends_its_page_time_session_and_ending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runs.jsonl"
    monkeypatch.setenv(run_times.ENV, str(path))
    with run_times.timed_run("decoder"):
        pass
    with pytest.raises(RerunException), run_times.timed_run("latent"):
        raise RerunException
    with pytest.raises(ValueError), run_times.timed_run(""):
        raise ValueError("a page's bug")
    runs = run_times.read_runs(path)
    assert [(r.page, r.end) for r in runs] == [
        ("decoder", "ok"),
        ("latent", "rerun"),
        ("", "error"),
    ]
    assert all(r.seconds >= 0 and r.finish >= r.start > 1e9 for r in runs)
    assert len({r.session for r in runs}) == 1  # one session: its token is kept
