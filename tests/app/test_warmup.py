"""ui/warmup.py and ui/testset.warm_codes: the background work fills the pages' own caches,
and its imports never run while a page does."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest


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
    monkeypatch.setattr(warmup, "IMPORTS", ("json",))
    importer = threading.Thread(target=warmup._import_all)
    importer.start()
    importer.join(5)
    first.join(5)
    assert events == ["page done", "json"]  # the import waited for the page under way
    assert warmup._imported and not warmup._importing
