"""BENCHMARKS.md: figures as median (min–max) over repeats, ratios, goals, the machine.

The file is rewritten after every figure, so a run that fails part-way keeps what it measured.
A partial run (`--only`) over an earlier report replaces only its own sections and goal rows
and says so at the top; the rest of the earlier report stays as it was.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import statistics
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Stat:
    """Repeated measurements of one figure."""

    values: tuple[float, ...]

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def max(self) -> float:
        return max(self.values)


def stat(values: Sequence[float]) -> Stat:
    if not values:
        raise ValueError("a figure needs at least one measurement")
    return Stat(tuple(float(v) for v in values))


def ratios(a: Sequence[float], b: Sequence[float]) -> Stat:
    """Pairwise a[i] / b[i]: each pair was measured side by side, so the noise mostly cancels."""
    if len(a) != len(b):
        raise ValueError(f"paired figures need equal counts, got {len(a)} and {len(b)}")
    return stat([x / y for x, y in zip(a, b, strict=True)])


def num(x: float) -> str:
    """Three significant figures, without exponent notation for everyday sizes."""
    if x == 0 or not (1e-3 <= abs(x) < 1e7):
        return f"{x:.3g}"
    digits = max(0, 2 - int(f"{abs(x):e}".split("e")[1]))
    return f"{x:,.{digits}f}"


def cell(s: Stat, unit: str = "") -> str:
    """'12.3 ms (11.0–15.2)': the median, then min–max when there is more than one value."""
    u = f" {unit}" if unit else ""
    if s.n == 1:
        return f"{num(s.median)}{u}"
    return f"{num(s.median)}{u} ({num(s.min)}–{num(s.max)})"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


@dataclass
class Goal:
    """A target from the issues and whether this run met it (None: not measured)."""

    name: str
    target: str
    measured: str
    met: bool | None


@dataclass
class Section:
    title: str
    report: Report
    parts: list[str] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    failure: str | None = None
    done: bool = False

    def add(self, markdown: str) -> None:
        self.parts.append(markdown)
        self.report.write()

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.add(table(header, rows))

    def goal(self, name: str, target: str, measured: str, met: bool | None) -> None:
        self.goals.append(Goal(name, target, measured, met))
        self.report.write()

    def fail(self, exc: BaseException) -> None:
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        self.failure = last
        self.report.write()

    def render(self) -> str:
        out = [f"## {self.title}", *self.parts]
        if self.failure:
            out.append(
                f"**FAILED:** this section stopped with `{self.failure}`; "
                "the figures above it were measured before the failure."
            )
        elif not self.done:
            out.append("*(still running or interrupted)*")
        return "\n\n".join(out)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def mark(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "not measured"}[met]


@dataclass
class Report:
    path: Path
    quick: bool
    machine: dict[str, str]
    command: str
    started: datetime.datetime = field(default_factory=datetime.datetime.now)
    sections: list[Section] = field(default_factory=list)
    loads: list[float] = field(default_factory=list)
    previous: str = ""  # an earlier report that this partial run updates

    def section(self, title: str) -> Section:
        self.loads.append(load_average())
        s = Section(title, self)
        self.sections.append(s)
        self.write()
        return s

    def render(self) -> str:
        return merge(self.previous, self) if self.previous.strip() else self.render_alone()

    def render_alone(self) -> str:
        n = cores()
        loads = [v for v in self.loads if v == v] or [load_average()]
        busy = max(loads) > 0.5 * n
        quick = (
            " — **quick mode: few repeats and smaller sizes, for trying the command out; "
            "not the figures to quote**."
        )
        lines = [
            "# Benchmarks",
            f"Measured on {self.started:%Y-%m-%d %H:%M} with `{self.command}`"
            + (quick if self.quick else "."),
            "Each figure is the median over repeats with (min–max) after it; n is given per "
            "table. Every comparison is a ratio against a reference measured in the same run, "
            "interleaved with it where possible, so that load from other work affects both sides.",
            table(["Machine", ""], [[k, v] for k, v in self.machine.items()]),
            f"Load average (1 min) at the start of each section: "
            f"{', '.join(num(v) for v in loads)} on {n} cores. "
            + (
                "**The machine was shared with other work and noisy while this ran**: absolute "
                "times are slower and more spread out than on an idle machine; read the ratios."
                if busy
                else "The machine was mostly idle while this ran."
            ),
        ]
        goals = [g for s in self.sections for g in s.goals]
        if goals:
            lines += [
                "## Goals",
                table(
                    ["Goal", "Target", "Measured", "Result"],
                    [[g.name, g.target, g.measured, mark(g.met)] for g in goals],
                ),
            ]
        lines += [s.render() for s in self.sections]
        return "\n\n".join(lines) + "\n"

    def load_note(self) -> str:
        loads = ", ".join(num(v) for v in self.loads if v == v)
        return f"load average at the start of those sections: {loads} on {cores()} cores"

    def write(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(self.render(), encoding="utf-8")
        os.replace(tmp, self.path)


def _split(text: str) -> tuple[str, list[str]]:
    """(everything before the first '## ', the '## ' blocks in order)."""
    parts = re.split(r"(?m)^(?=## )", text)
    return parts[0], [p.rstrip() for p in parts[1:]]


def _title(block: str) -> str:
    return block.split("\n", 1)[0][3:].strip()


def _goal_name(row: str) -> str:
    return row.split("|")[1].strip() if row.startswith("| ") else ""


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def merge(previous: str, report: Report) -> str:
    """The earlier report with this run's sections and goal rows in place of its own."""
    head, blocks = _split(previous)
    new = {s.title: s.render() for s in report.sections}
    new_goals = {
        g.name: [g.name, g.target, g.measured, mark(g.met)]
        for s in report.sections
        for g in s.goals
    }
    out: list[str] = []
    seen_goals: set[str] = set()
    if new_goals and "Goals" not in [_title(b) for b in blocks]:
        blocks.insert(0, "## Goals\n\n" + table(["Goal", "Target", "Measured", "Result"], []))
    for block in blocks:
        title = _title(block)
        if title == "Goals":
            rows = []
            for row in block.splitlines()[1:]:
                name = _goal_name(row)
                if name in new_goals:
                    row = _row(new_goals[name])
                    seen_goals.add(name)
                rows.append(row)
            rows += [_row(g) for n, g in new_goals.items() if n not in seen_goals]
            block = "\n".join(["## Goals", *rows]).rstrip()
        elif title in new:
            block = new.pop(title)
        out.append(block)
    out += new.values()  # sections the earlier report did not have
    names = ", ".join(s.title.split(" ", 1)[0].rstrip(".") for s in report.sections)
    plural = "s" if len(report.sections) > 1 else ""
    note = (
        f"**Section{plural} {names} (and {'their' if plural else 'its'} goals) measured again on "
        f"{report.started:%Y-%m-%d %H:%M} with `{report.command}`**; {report.load_note()}. "
        "The other sections are from the run above."
    )
    paras = head.strip().split("\n\n")
    # after the earlier run's title, date and notes; before the description of the figures
    at = next((i for i, p in enumerate(paras) if p.startswith("Each figure")), min(2, len(paras)))
    return "\n\n".join([*paras[:at], note, *paras[at:], *out]) + "\n"
