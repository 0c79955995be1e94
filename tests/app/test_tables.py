"""ui.tables: page tables, with pandas imported once under a lock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ui.tables import data_frame

ROOT = Path(__file__).resolve().parents[2]

RACE = """
import threading
from ui.tables import data_frame
errors = []
start = threading.Barrier(8)
def first_table():
    start.wait()
    try:
        assert list(data_frame({"a": [1, 2], "b": [3, 4]})["b"]) == [3, 4]
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=first_table) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
assert not errors, errors
print("ok")
"""


def test_columns_keep_their_order_and_values() -> None:
    table = data_frame({"index": [3, 1], "label": ["three", "one"], "nll": [1.5, 2.5]})
    assert list(table.columns) == ["index", "label", "nll"]
    assert table["label"].tolist() == ["three", "one"] and table["nll"].sum() == 4.0


def test_eight_sessions_building_their_first_table_at_once_all_get_it() -> None:
    out = subprocess.run(
        [sys.executable, "-c", RACE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
