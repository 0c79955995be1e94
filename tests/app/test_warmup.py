"""ui/warmup.py and ui/testset.warm_codes: the background work fills the pages' own caches,
and its imports never run while a page does."""

from __future__ import annotations

import sys
import threading
import time

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def no_warm_up_under_way() -> None:
    """A warm-up an earlier test's app run started ends first: its imports would go into
    this test's record of them."""
    from ui import warmup

    thread = warmup._thread
    if thread is not None:
        thread.join(timeout=120)
        assert not thread.is_alive(), "an earlier test's warm-up is still running after 120 s"


def test_warm_codes_fills_the_entry_the_pages_read(app_runs, monkeypatch: pytest.MonkeyPatch):
    from ui import testset
    from ui.selection import load_run

    ckpt = load_run(app_runs / "digits-2d")
    testset.warm_codes(ckpt)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("encoded again: the warm-up filled another cache entry")

    monkeypatch.setattr(testset, "encode", refuse)
    mu, sigma = testset.encoded(ckpt, testset.dataset_images(ckpt, note=False))
    assert mu.shape == sigma.shape and mu.shape[1] == 2 and np.isfinite(mu).all()
    other = load_run(app_runs / "digits-3d")  # another checkpoint is never served from it
    with pytest.raises(AssertionError, match="encoded again"):
        testset.encoded(other, testset.dataset_images(other, note=False))


def test_the_imports_wait_for_running_pages_and_pages_wait_for_the_imports(monkeypatch):
    from ui import warmup

    monkeypatch.setattr(warmup, "_imported", False)
    events: list[str] = []
    monkeypatch.setattr(warmup, "IMPORTS", ())
    real = warmup.importlib.import_module
    monkeypatch.setattr(warmup.importlib, "import_module", lambda n: events.append(n) or real(n))
    page_started = threading.Event()

    def page() -> None:
        with warmup.page_run():
            page_started.set()
            time.sleep(0.3)
            events.append("page done")

    first = threading.Thread(target=page)
    first.start()
    page_started.wait(5)
    importer = threading.Thread(target=warmup._import_all, args=(("json",),))
    importer.start()
    importer.join(5)
    first.join(5)
    assert events == ["page done", "json"]  # the import waited for the page under way
    assert warmup._imported and not warmup._importing


def _overlap(monkeypatch: pytest.MonkeyPatch, ready: bool) -> bool:
    """Two page runs started together: did they run at the same time?"""
    from ui import warmup

    monkeypatch.setattr(warmup, "libraries_ready", lambda: ready)
    monkeypatch.setattr(warmup, "_imported", False)  # whatever an earlier test's warm-up did
    inside, most, lock = [0], [0], threading.Lock()

    def page() -> None:
        with warmup.page_run():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.2)
            with lock:
                inside[0] -= 1

    runs = [threading.Thread(target=page) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(5)
    return most[0] == 2


def test_page_runs_take_turns_until_the_libraries_are_imported(monkeypatch):
    assert not _overlap(monkeypatch, ready=False)
    assert _overlap(monkeypatch, ready=True)


def test_libraries_ready_sees_a_module_still_initialising(monkeypatch):
    import sys
    import types

    from ui import warmup

    module = types.ModuleType("half_made")
    module.__spec__ = types.SimpleNamespace(_initializing=True)
    monkeypatch.setitem(sys.modules, "half_made", module)
    monkeypatch.setattr(warmup, "MODEL_IMPORTS", ("json",))
    monkeypatch.setattr(warmup, "IMPORTS", ("half_made",))
    assert not warmup.libraries_ready()
    module.__spec__._initializing = False
    assert warmup.libraries_ready()
    monkeypatch.setattr(warmup, "MODEL_IMPORTS", ("not_imported_anywhere",))
    assert not warmup.libraries_ready()


def test_a_page_run_starting_while_the_imports_wait_goes_after_them(monkeypatch):
    """Under a steady crowd the imports still get their turn: new page runs queue behind."""
    from ui import warmup

    monkeypatch.setattr(warmup, "_imported", False)
    monkeypatch.setattr(warmup, "libraries_ready", lambda: True)  # no taking turns here
    events: list[str] = []
    real = warmup.importlib.import_module
    monkeypatch.setattr(warmup.importlib, "import_module", lambda n: events.append(n) or real(n))
    first_in = threading.Event()

    def page(name: str, seconds: float) -> None:
        with warmup.page_run():
            events.append(f"{name} in")
            first_in.set()
            time.sleep(seconds)

    first = threading.Thread(target=page, args=("first", 0.4))
    first.start()
    first_in.wait(5)
    importer = threading.Thread(target=warmup._import_all, args=(("json",),))
    importer.start()
    deadline = time.monotonic() + 5
    while not warmup._wanting and time.monotonic() < deadline:
        time.sleep(0.01)
    second = threading.Thread(target=page, args=("second", 0.0))
    second.start()
    for t in (first, importer, second):
        t.join(5)
    assert events == ["first in", "json", "second in"]


def test_the_warm_up_imports_the_model_libraries_first_while_no_page_runs(monkeypatch, tmp_path):
    """A fresh server's first page imports no torch: the warm-up does, exclusively, before
    the codes (loading a data set may import pandas)."""
    from ui import warmup

    (tmp_path / "warm_probe_model.py").write_text(
        "from ui import warmup\nEXCLUSIVE = warmup._importing and warmup._running == 0\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(warmup, "_imported", False)
    monkeypatch.setattr(warmup, "MODEL_IMPORTS", ("warm_probe_model",))
    monkeypatch.setattr(warmup, "IMPORTS", ("json",))
    events: list[str] = []
    real = warmup.importlib.import_module
    monkeypatch.setattr(warmup.importlib, "import_module", lambda n: events.append(n) or real(n))
    monkeypatch.delitem(sys.modules, "warm_probe_model", raising=False)
    warmup._warm(None)
    assert events == ["warm_probe_model", "json"]
    assert sys.modules["warm_probe_model"].EXCLUSIVE and warmup._imported
    events.clear()
    warmup._warm(None)  # once per process
    assert events == []


def test_the_warm_up_of_a_digits_model_imports_pandas_only_while_no_page_runs(ckpt_dir):
    """scikit-learn's digits loader imports pandas: that must not happen beside a page run."""
    from tests.conftest import run_python

    code = (
        "import sys\n"
        "from ui import warmup\n"
        "seen = []\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'pandas':\n"
        "            seen.append(warmup._importing)\n"
        "sys.meta_path.insert(0, Watch())\n"
        "warmup._warm('digits-2d')\n"
        "print(seen, 'pandas' in sys.modules, 'digits-2d' in warmup._names)\n"
    )
    out = run_python(code)
    assert out.split()[-3:] == ["[True]", "True", "True"], out


def test_the_first_warm_up_waits_before_importing_so_the_first_page_s_pictures_go_out(
    monkeypatch, tmp_path
):
    from ui import warmup

    (tmp_path / "warm_probe_later.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "warm_probe_later", raising=False)
    monkeypatch.setattr(warmup, "_imported", False)
    monkeypatch.setattr(warmup, "_busy", False)
    monkeypatch.setattr(warmup, "FIRST_DELAY_S", 0.6)
    monkeypatch.setattr(warmup, "MODEL_IMPORTS", ("warm_probe_later",))
    monkeypatch.setattr(warmup, "IMPORTS", ())
    warmup.after_page(None)
    time.sleep(0.3)
    assert "warm_probe_later" not in sys.modules  # still waiting
    assert warmup._thread is not None
    warmup._thread.join(10)
    assert "warm_probe_later" in sys.modules and warmup._imported
