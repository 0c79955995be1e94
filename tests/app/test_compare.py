"""The Compare page: two runs' figures, the rate-distortion plane, shared inputs, maps."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.app.conftest import PAGES, app, texts
from tests.app.conftest_jobs import plotly_spec, values
from vae import load_checkpoint, load_dataset
from vae.analysis.compare import shared_rows
from vae.analysis.explore import reconstruct

PAGE = PAGES / "compare.py"
FIGURES = ("−ELBO", "Distortion", "Rate (KL)", "Active units")
KEYS = ("test_elbo", "test_recon", "test_kl", "active_units")


def edit(run: Path, name: str, **changes: Any) -> None:
    data = json.loads((run / name).read_text())
    for key, value in changes.items():
        if isinstance(value, dict):
            data[key].update(value)
        else:
            data[key] = value
    (run / name).write_text(json.dumps(data))


@pytest.fixture
def runs(ckpt_dir: Path) -> Path:
    """digits-2d, digits-3d, a beta = 4 run, one without a KL figure and a broken one."""
    shutil.copytree(ckpt_dir / "digits-2d", ckpt_dir / "digits-2d-b4")
    edit(ckpt_dir / "digits-2d-b4", "config.json", train={"beta": 4.0})
    edit(ckpt_dir / "digits-2d-b4", "metrics.json", test_recon=41.5, test_kl=0.75, test_elbo=42.25)
    shutil.copytree(ckpt_dir / "digits-2d", ckpt_dir / "no-kl")
    edit(ckpt_dir / "no-kl", "metrics.json", test_kl=None)
    shutil.copytree(ckpt_dir / "digits-2d", ckpt_dir / "broken")
    (ckpt_dir / "broken" / "model.safetensors").write_bytes(b"")
    return ckpt_dir


def metrics(run: Path) -> dict[str, Any]:
    return json.loads((run / "metrics.json").read_text())  # type: ignore[no-any-return]


def shown(at: Any) -> list[list[float]]:
    """The figures of the left and the right model, as numbers, in FIGURES order."""
    found = [m for m in at.metric if m.label in FIGURES]
    assert [m.label for m in found] == list(FIGURES) * 2
    return [[float(m.value.split(" / ")[0]) for m in found[i : i + 4]] for i in (0, 4)]


def test_the_sidebar_model_faces_a_telling_partner_with_its_own_figures(runs: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d").run()
    assert not at.exception and not at.error, texts(at.error)
    assert at.selectbox(key="compare_left").value == "digits-2d"
    assert at.selectbox(key="compare_right").value == "digits-2d-b4"  # same data, other beta
    left, right = shown(at)
    for values_, run in ((left, "digits-2d"), (right, "digits-2d-b4")):
        expected = [metrics(runs / run)[k] for k in KEYS]
        assert values_ == pytest.approx(expected, abs=0.005)
    delta = next(m for m in at.metric[4:] if m.label == FIGURES[2]).proto.delta
    assert float(delta) == pytest.approx(0.75 - metrics(runs / "digits-2d")["test_kl"], abs=0.005)
    at.selectbox(key="compare_right").set_value("digits-3d").run()
    assert shown(at)[1] == pytest.approx([metrics(runs / "digits-3d")[k] for k in KEYS], abs=0.005)


def test_rate_distortion_has_one_point_per_usable_run(runs: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d").run()
    spec = next(s for s in map(lambda i: plotly_spec(at, i), range(3)) if "rate" in json.dumps(s))
    points = {
        t["name"]: (values(t["x"])[0], values(t["y"])[0], t["marker"]["size"])
        for t in spec["data"]
        if "markers" in t["mode"] and not t.get("name", "").startswith("β family")
    }
    assert sorted(points) == ["digits-2d", "digits-2d-b4", "digits-3d"]  # not no-kl nor broken
    for name, (x, y, _) in points.items():
        assert (x, y) == pytest.approx(
            (metrics(runs / name)["test_kl"], metrics(runs / name)["test_recon"])
        )
    assert [points[n][2] for n in sorted(points)] == [15, 15, 10]  # the compared two stand out
    lines = [t for t in spec["data"] if t["mode"] == "lines"]
    own = [t for t in lines if t["line"]["dash"] == "dash"]
    assert len(own) == 2  # one line of equal -ELBO through each compared run
    x, y = values(own[1]["x"]), values(own[1]["y"])
    assert np.allclose(x + y, 42.25)
    grey = [t for t in lines if t["line"]["dash"] == "dot"]
    levels = sorted({float(np.round(values(t["x"])[0] + values(t["y"])[0], 6)) for t in grey})
    assert len(levels) >= 4 and all(level == round(level) for level in levels)  # round levels
    (family,) = [t for t in spec["data"] if t.get("name", "").startswith("β family")]
    # digits-2d and digits-2d-b4 differ only in beta; both compared, so each run's own label
    # gives its beta and the curve does not say it twice
    assert family["text"] == ["", ""]
    assert family["marker"]["symbol"] == ["diamond", "circle"]  # beta = 1 marked
    assert "digits-2d-b4<br>β=4, z=2" in json.dumps(spec, ensure_ascii=False)
    at.selectbox(key="compare_right").set_value("digits-3d").run()
    spec = next(s for s in map(lambda i: plotly_spec(at, i), range(2)) if "rate" in json.dumps(s))
    (family,) = [t for t in spec["data"] if t.get("name", "").startswith("β family")]
    assert family["text"] == ["", "β=4"]  # digits-2d-b4 is not compared now: its beta on the curve
    rightmost = int(np.argmax(values(family["x"])))  # its label goes on its left, inside
    assert family["textposition"] == ["top left" if j == rightmost else "top right" for j in (0, 1)]
    assert "digits-2d-b4<br>" not in json.dumps(spec, ensure_ascii=False)


def test_the_same_inputs_go_through_both_models(runs: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d").run()
    at.selectbox(key="compare_right").set_value("digits-3d").run()
    at.slider(key="compare_count").set_value(6).run()
    at.number_input(key="compare_seed").set_value(3).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    digits = load_dataset("digits")
    rows = shared_rows(digits.test_y.numpy(), -1, 6, 3)
    assert list(table["index"]) == rows.tolist()
    x = digits.test_x.numpy()[rows]
    for name in ("digits-2d", "digits-3d"):
        _, loss = reconstruct(load_checkpoint(runs / name).model, x)
        assert list(table[f"−ELBO {name}"]) == pytest.approx(loss.tolist(), rel=1e-4)
    at.selectbox(key="compare_class").set_value(5).run()
    assert set(at.dataframe[0].value["class"]) == {"5"}
    maps = plotly_spec(at, 1)  # both models' maps: the two panels of one figure
    layout = maps["layout"]
    assert [layout[a]["title"]["text"] for a in ("xaxis", "xaxis2")] == ["z1", "PC 1"]
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["yaxis2"]["scaleanchor"] == "x2"
    assert [a["text"] for a in layout["annotations"]] == ["digits-2d", "digits-3d"]
    stars = [t for t in maps["data"] if t["name"] == "the inputs above"]
    assert [t.get("xaxis", "x") for t in stars] == ["x", "x2"]
    assert all(len(values(s["x"])) == 6 for s in stars)
    assert [t.get("showlegend", True) for t in stars] == [True, False]  # one legend entry
    # each panel holds its own model's codes of the whole test set
    for axis, name in (("x", "digits-2d"), ("x2", "digits-3d")):
        codes = [
            t for t in maps["data"] if t.get("meta") == "codes" and t.get("xaxis", "x") == axis
        ]
        assert sum(len(values(t["x"])) for t in codes) == len(digits.test_y), name
    listed = [t["name"] for t in maps["data"] if t.get("showlegend", True)]
    assert len(listed) == len(set(listed)) == 11  # each class once, the stars once


def test_runs_on_different_data_cannot_share_inputs(runs: Path) -> None:
    shutil.copytree(runs / "digits-2d", runs / "other-data")
    edit(runs / "other-data", "config.json", dataset="frey", train={"dataset": "frey"})
    at = app(PAGE, checkpoint="digits-2d").run()
    at.selectbox(key="compare_right").set_value("other-data").run()
    assert not at.exception and not at.error, texts(at.error)
    assert "different data sets (digits and frey)" in texts(at.info)
    assert not at.dataframe and len(at.get("plotly_chart")) == 2  # rate-distortion, the maps
    assert all(m.proto.delta == "" for m in at.metric)  # no differences across data sets
    spec = plotly_spec(at, 0)
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["digits", "frey"]


def test_the_left_model_follows_the_sidebar(runs: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d").run()
    at.session_state["checkpoint"] = "digits-3d"
    at.run()
    assert at.selectbox(key="compare_left").value == "digits-3d"
    assert at.selectbox(key="compare_right").value == "digits-2d-b4"  # kept
    at.session_state["checkpoint"] = "digits-2d-b4"
    at.run()  # the sidebar now names the right model: the right one gives way
    assert at.selectbox(key="compare_left").value == "digits-2d-b4"
    assert at.selectbox(key="compare_right").value == "digits-2d"


def test_a_single_run_has_nothing_to_compare(ckpt_dir: Path) -> None:
    shutil.rmtree(ckpt_dir / "digits-3d")
    at = app(PAGE, checkpoint="digits-2d").run()
    assert not at.exception
    assert "only usable checkpoint" in texts(at.info)
    (trace,) = [t for t in plotly_spec(at, 0)["data"] if "markers" in t["mode"]]
    assert trace["name"] == "digits-2d"


def test_the_page_is_in_the_app_navigation(ckpt_dir: Path) -> None:
    at = app().run()
    at.switch_page("pages/compare.py").run()
    assert not at.exception and "Compare two models" in at.title[0].value
    assert at.selectbox(key="compare_left").value == "digits-2d"


def test_a_link_names_the_model_to_compare_with(runs: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d")
    at.query_params.update({"vs": "digits-3d"})
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="compare_right").value == "digits-3d"  # not the default partner
    assert at.query_params["vs"] == "digits-3d"
    at.selectbox(key="compare_right").set_value("digits-2d-b4").run()
    assert at.selectbox(key="compare_right").value == "digits-2d-b4"  # the old link not retaken
    assert at.query_params["vs"] == "digits-2d-b4"  # the address follows the choice


def test_a_hostile_vs_link_is_refused_with_a_warning(runs: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d")
    at.query_params.update({"vs": "../../etc"})
    at.run()
    assert not at.exception and not at.error
    assert "not another usable checkpoint" in texts(at.warning)
    assert at.selectbox(key="compare_right").value == "digits-2d-b4"  # the default partner
