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


def test_a_partial_run_replaces_only_its_own_sections_and_goals(tmp_path: Path) -> None:
    out = tmp_path / "B.md"
    full = Report(out, quick=False, machine={"CPU": "full"}, command="python -m bench")
    for title, goal, value in (("1. Train", "Epoch ratio", "0.5"), ("2. Serve", "Move", "9 ms")):
        sec = full.section(title)
        sec.add(f"old figure of {title}")
        sec.goal(goal, "≤ 1", value, True)
        sec.done = True
    full.write()
    before = out.read_text()

    part = Report(out, quick=False, machine={"CPU": "part"}, command="python -m bench --only x")
    part.previous = before
    sec = part.section("2. Serve")
    sec.add("new figure of 2. Serve")
    sec.goal("Move", "≤ 1", "12 ms", False)
    sec.goal("Cold start", "≤ 2", "1.5", True)
    sec.done = True
    part.write()
    text = out.read_text()

    first_lines = "\n\n".join(before.split("\n\n")[:2])  # the title and the full run's date
    assert text.startswith(first_lines + "\n\n**Section 2 (and its goals) measured again")
    assert "`python -m bench --only x`" in text
    assert "| CPU | full |" in text and "| CPU | part |" not in text
    assert "old figure of 1. Train" in text and "| Epoch ratio | ≤ 1 | 0.5 | met |" in text
    assert "old figure of 2. Serve" not in text and "new figure of 2. Serve" in text
    assert "| Move | ≤ 1 | 12 ms | **missed** |" in text and "9 ms" not in text
    assert "| Cold start | ≤ 2 | 1.5 | met |" in text
    assert text.index("## 1. Train") < text.index("## 2. Serve")  # the earlier order
