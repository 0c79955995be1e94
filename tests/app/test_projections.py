"""ui.projections: a projection stored with the checkpoint is used when it is this model's."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tests.app.conftest import PAGES, ROOT, app, texts
from tests.app.test_latent import scatter_traces, spec, values
from ui import state
from vae.analysis.projection import project as real_project
from vae.runfolder.files import PROJECTIONS_FILE
from vae.runfolder.projections import read_projections, write_projections

LATENT = PAGES / "latent.py"
REFUSED = "could not be used"


def script() -> ModuleType:
    path = ROOT / "scripts" / "store_projections.py"
    spec_ = importlib.util.spec_from_file_location("store_projections", path)
    assert spec_ is not None and spec_.loader is not None
    module = importlib.util.module_from_spec(spec_)
    spec_.loader.exec_module(module)
    return module


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The projections the page computes (they still run)."""
    import ui.projections

    seen: list[str] = []

    def counted(x, method, **kw):
        seen.append(method)
        return real_project(x, method, **kw)

    monkeypatch.setattr(ui.projections, "project", counted)
    return seen


def stored_run(ckpt_dir: Path) -> Path:
    run = ckpt_dir / "digits-3d"
    script().store_run(run, float32=False)
    return run


def shown_xy(at) -> np.ndarray:
    """The map's points by row: (N, 2)."""
    traces = scatter_traces(spec(at))
    rows = np.concatenate([values(t["customdata"]) for t in traces]).astype(int)
    xy = np.column_stack([np.concatenate([values(t[axis]) for t in traces]) for axis in ("x", "y")])
    out = np.empty_like(xy, dtype=np.float64)
    out[rows] = xy
    return out


def choose(method: str, **session):
    at = app(LATENT, checkpoint="digits-3d", **session).run()
    at.session_state["latent_view"] = method
    return at.run()


@pytest.mark.parametrize("method", ["t-SNE", "UMAP"])
def test_a_stored_projection_is_shown_without_computing(ckpt_dir, monkeypatch, method):
    import ui.projections

    run = stored_run(ckpt_dir)

    def refuse(*args, **kwargs):
        raise AssertionError("computed although it was stored")

    monkeypatch.setattr(ui.projections, "project", refuse)
    at = choose(method)
    assert not at.exception
    assert spec(at)["layout"]["xaxis"]["title"]["text"] == f"{method} 1"
    _, rows, xy = read_projections(run / PROJECTIONS_FILE, ("tsne", "umap"))
    key = "tsne" if method == "t-SNE" else "umap"
    np.testing.assert_allclose(shown_xy(at)[rows], xy[key], rtol=0, atol=1e-6)
    assert REFUSED not in texts(at.caption)
    assert [k[2] for k in at.session_state[state.LATENT_PROJECTIONS]] == [method]  # kept


def test_one_stored_for_another_model_is_ignored_quietly(ckpt_dir, calls, caplog):
    run = stored_run(ckpt_dir)
    meta, rows, xy = read_projections(run / PROJECTIONS_FILE, ("tsne", "umap"))
    meta["source"]["weights_sha256"] = "0" * 64  # as if the model had been retrained
    write_projections(run / PROJECTIONS_FILE, meta, rows, xy)
    with caplog.at_level(logging.INFO):
        at = choose("t-SNE")
    assert not at.exception
    assert calls == ["t-SNE"]
    assert REFUSED not in texts(at.caption) and not at.warning and not at.error
    ours = [r for r in caplog.records if r.name.startswith(("vae", "ui"))]
    assert ours and not [r for r in ours if r.levelno >= logging.WARNING]


def test_a_hostile_file_is_refused_with_a_note_and_computed_instead(ckpt_dir, calls, caplog):
    run = stored_run(ckpt_dir)
    meta, rows, xy = read_projections(run / PROJECTIONS_FILE, ("tsne", "umap"))
    xy["tsne"][3] = np.nan
    write_projections(run / PROJECTIONS_FILE, meta, rows, xy)
    with caplog.at_level(logging.WARNING):
        at = choose("t-SNE")
    assert not at.exception
    assert calls == ["t-SNE"]
    assert REFUSED in texts(at.caption) and "NaN" in texts(at.caption)
    assert np.all(np.isfinite(shown_xy(at)))
    assert any("refused" in r.getMessage() for r in caplog.records)
    at = choose("t-SNE", **{state.LANGUAGE: "ko"})  # the note in Korean too
    assert not at.exception and "NaN" in texts(at.caption) and REFUSED not in texts(at.caption)


def test_every_step_the_projections_report_is_translated(monkeypatch):
    import ui.projections
    from ui.i18n import translations

    monkeypatch.setattr(ui.projections, "_", translations("ko").gettext)
    x = np.random.default_rng(0).normal(size=(60, 4)).astype(np.float32)
    for method in ("t-SNE", "UMAP"):
        seen: list[str] = []
        real_project(x, method, progress=lambda f, what, seen=seen: seen.append(what))
        assert seen and all(ui.projections.step_text(w) != w for w in set(seen)), set(seen)
