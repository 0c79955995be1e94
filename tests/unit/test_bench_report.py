"""bench/report.py: medians with min and max, paired ratios, goals and failures in the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.report import Report, cell, num, ratios, stat, table


def test_stat_gives_median_min_max() -> None:
    s = stat([3.0, 1.0, 10.0, 2.0])
    assert (s.n, s.median, s.min, s.max) == (4, 2.5, 1.0, 10.0)
    with pytest.raises(ValueError):
        stat([])


def test_cell_shows_the_median_then_the_range() -> None:
    assert cell(stat([12.0, 11.0, 15.2]), "ms") == "12.0 ms (11.0–15.2)"
    assert cell(stat([0.4351])) == "0.435"
    assert num(61234.0) == "61,234" and num(0.000012) == "1.2e-05"


def test_ratios_are_taken_per_pair() -> None:
    r = ratios([1.0, 4.0, 3.0], [2.0, 8.0, 3.0])
    assert (r.median, r.min, r.max) == (0.5, 0.5, 1.0)
    with pytest.raises(ValueError):
        ratios([1.0], [1.0, 2.0])


def test_report_lists_goals_and_marks_failures(tmp_path: Path) -> None:
    out = tmp_path / "B.md"
    report = Report(out, quick=True, machine={"CPU": "test"}, command="python -m bench --quick")
    sec = report.section("1. Training")
    sec.table(["", "a"], [["x", "1"]])
    sec.goal("Epoch ratio", "≤ 0.4", "0.3", True)
    sec.goal("Loss", "project ≤ canonical", "2 vs 1", False)
    sec.fail(RuntimeError("boom"))
    text = out.read_text()
    assert "quick mode" in text and "| CPU | test |" in text
    assert "| Epoch ratio | ≤ 0.4 | 0.3 | met |" in text
    assert "| Loss | project ≤ canonical | 2 vs 1 | **missed** |" in text
    assert "**FAILED:**" in text and "RuntimeError: boom" in text
    assert table(["a", "b"], [["1", "2"]]).splitlines() == ["| a | b |", "|---|---|", "| 1 | 2 |"]
