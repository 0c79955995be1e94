"""The Decoder page's in-browser view, its server fallback, and the KL-per-dimension chart."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from PIL import Image
from safetensors.torch import load_file, save_file
from streamlit.testing.v1 import AppTest

from tests.app.conftest import PAGES, RUNS, app, image_bytes, texts
from vae import load_checkpoint, load_dataset
from vae.analysis.dims import dim_stats, dim_traversal
from vae.analysis.pictures import tile
from vae.web.decoder_spec import UnsupportedDecoder, decoder_spec

DECODER = PAGES / "decoder.py"
TIMEOUT = 300  # the first run imports torch and encodes the test set on a busy machine


def page(**state: Any) -> AppTest:
    at = app(DECODER, **state)
    at.default_timeout = TIMEOUT
    return at


def live(at: AppTest) -> tuple[Any, dict[str, Any]]:
    """The live decoder element and the data it was sent."""
    found = [e for e in at.get("bidi_component") if e.proto.component_name == "vae_live_decoder"]
    assert len(found) == 1, f"expected one live decoder, found {len(found)}"
    return found[0], json.loads(found[0].proto.json)


def settle(at: AppTest, z: list[float], spec_id: str | None = None) -> AppTest:
    """Rerun as the browser does when the pointer is released at z."""
    element, data = live(at)
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = element.proto.id
    state.json_value = json.dumps({"z": {"z": z, "spec": spec_id or data["spec"]["id"]}})
    return at._run(states)


def kl_bars(at: AppTest) -> tuple[dict[str, float], dict[str, str], dict[str, Any]]:
    """(KL by dimension name, colour by name, the figure) from the KL chart."""
    (chart,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("decoder_kl_" + run(at))]
    fig = json.loads(chart.proto.spec)
    values, colours = {}, {}
    for trace in fig["data"]:
        if trace.get("name") == "column":  # the clickable background of each dimension
            continue
        ys = trace["y"]
        if isinstance(ys, dict):  # a plotly typed array
            import base64

            ys = np.frombuffer(base64.b64decode(ys["bdata"]), np.dtype(ys["dtype"])).tolist()
        for x, y in zip(trace["x"], ys, strict=True):
            assert x not in values, f"{x} has two bars"
            values[x], colours[x] = float(y), trace["marker"]["color"]
    return values, colours, fig


def run(at: AppTest) -> str:
    return str(at.session_state["checkpoint"])


def click_bar(at: AppTest, dim: int) -> AppTest:
    """Select dimension `dim`'s bar as a click in the browser does."""
    point = {
        "curve_number": 1,
        "point_index": 0,
        "x": f"z{dim + 1}",
        "customdata": {"0": dim, "1": 0.5},
    }
    at.session_state[f"decoder_kl_{run(at)}"] = {
        "selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}
    }
    return at.run()


@pytest.mark.parametrize(("name", "latent"), RUNS.items())
def test_the_browser_decoder_is_the_default_view(ckpt_dir, name, latent):
    at = page(checkpoint=name).run()
    assert not at.exception
    _, data = live(at)
    expected = decoder_spec(load_checkpoint(ckpt_dir / name).model)
    assert data["spec"]["latent_dim"] == latent
    assert data["spec"]["id"] == expected["id"]  # the selected checkpoint's own weights
    assert [layer["type"] for layer in data["spec"]["layers"]] == [
        layer["type"] for layer in expected["layers"]
    ]
    assert data["mode"] == ("pad" if latent == 2 else "sliders")
    assert data["z0"] == [0.0] * latent and data["size_px"] == 280 and data["span"] == 3.0
    assert not at.slider  # no server sliders: the browser draws
    assert "Your browser decodes it as you move" in texts(at.caption)


@pytest.mark.parametrize(("name", "latent"), RUNS.items())
def test_the_server_toggle_gives_one_slider_per_dimension(ckpt_dir, name, latent):
    at = page(checkpoint=name).run()
    at.toggle(key="decoder_server").set_value(True).run()
    assert not at.exception
    assert [s.label for s in at.slider] == [f"z{i + 1}" for i in range(latent)]
    assert not at.get("bidi_component")
    at.toggle(key="decoder_server").set_value(False).run()
    assert live(at)[1]["spec"]["latent_dim"] == latent and not at.slider


def test_an_unsupported_decoder_falls_back_to_the_server_and_says_so(ckpt_dir, monkeypatch):
    def refuse(model: Any) -> dict[str, Any]:
        raise UnsupportedDecoder("it holds a Softplus layer")

    monkeypatch.setattr("components.live_decoder.spec_for", refuse)
    at = page(checkpoint="digits-3d").run()
    assert not at.exception
    assert not at.get("bidi_component")
    assert len(at.slider) == 3
    assert "cannot run in the browser (it holds a Softplus layer)" in texts(at.info)


def test_a_settled_position_moves_the_marker_the_traversals_and_the_url(ckpt_dir, media):
    at = page(checkpoint="digits-2d").run()
    grid, trav = image_bytes(at, media)
    assert at.query_params["z"] == "0.00,0.00"
    settle(at, [1.234, -0.5])
    assert not at.exception
    grid2, trav2 = image_bytes(at, media)
    assert grid2 != grid  # the red box moved to the tile nearest the point
    assert trav2 != trav  # the traversals' base is the point
    assert at.query_params["z"] == "1.23,-0.50"
    assert at.code[0].value.endswith("/decoder?run=digits-2d&z=1.23,-0.50")
    assert live(at)[1]["z0"] == [0.0, 0.0]  # the view keeps its start: no jump back
    at.run()  # a later rerun still holds the point
    assert at.query_params["z"] == "1.23,-0.50"
    at.toggle(key="decoder_server").set_value(True).run()
    assert [s.value for s in at.slider] == pytest.approx([1.25, -0.5])  # nearest slider step


def test_a_position_sent_for_another_checkpoint_is_ignored(ckpt_dir):
    at = page(checkpoint="digits-2d").run()
    settle(at, [2.0, 2.0], spec_id="another-model")
    assert not at.exception and at.query_params["z"] == "0.00,0.00"


def test_the_pad_crosses_the_two_dimensions_with_most_kl(ckpt_dir):
    at = page(checkpoint="digits-3d").run()
    kl, _, _ = kl_bars(at)
    order = sorted(range(3), key=lambda i: -kl[f"z{i + 1}"])
    at.button_group[0].set_value("2-D pad").run()
    assert not at.exception
    _, data = live(at)
    assert data["mode"] == "pad" and data["pad_dims"] == order[:2]
    at.selectbox(key="decoder_pad_x_digits-3d").set_value(order[2]).run()
    assert live(at)[1]["pad_dims"] == [order[2], order[1]]  # "Pad up" keeps its choice


def test_a_point_from_the_latent_page_starts_the_browser_view(ckpt_dir):
    handoff = {"run": "digits-3d", "z": [0.52, -1.0, 7.0], "source": "test image #5 (3)"}
    at = page(checkpoint="digits-3d", decoder_z=handoff).run()
    assert not at.exception
    assert live(at)[1]["z0"] == [0.52, -1.0, 3.0]  # exact, clipped to the range
    assert "test image #5" in at.info[0].value and "clipped" in at.info[0].value
    assert at.query_params["z"] == "0.52,-1.00,3.00"


def test_kl_chart_has_one_bar_per_dimension_equal_to_vae_dims(ckpt_dir):
    at = page(checkpoint="digits-3d").run()
    values, _, fig = kl_bars(at)
    images = load_dataset("digits").test_x.numpy()  # the page's images: the full test split
    expected = dim_stats(load_checkpoint(ckpt_dir / "digits-3d").model, images)
    assert sorted(values) == ["z1", "z2", "z3"]
    assert [values[f"z{i + 1}"] for i in range(3)] == pytest.approx(expected.kl.tolist(), rel=1e-4)
    assert fig["layout"]["yaxis"]["title"]["text"] == "mean KL (nats)"
    assert f"{expected.total_kl:.2f} nats" in texts(at.caption)
    assert f"{expected.active_units} of 3 dimensions are active" in texts(at.caption)


def _collapse(folder, dim: int, latent: int) -> None:
    """Collapse one dimension as training does: q(z_dim|x) = N(0, 1), the decoder ignores it."""
    weights = load_file(folder / "model.safetensors")
    for row in (dim, latent + dim):  # mu_dim and logvar_dim
        weights["to_stats.weight"][row] = 0.0
        weights["to_stats.bias"][row] = 0.0
    weights["decoder.0.0.weight"][:, dim] = 0.0  # the decoder's first layer, (out, latent)
    save_file({k: v.contiguous() for k, v in weights.items()}, folder / "model.safetensors")


def test_collapsed_dimensions_are_flagged_and_explained(ckpt_dir):
    _collapse(ckpt_dir / "digits-3d", 1, 3)
    at = page(checkpoint="digits-3d").run()
    values, colours, fig = kl_bars(at)
    images = load_dataset("digits").test_x.numpy()
    stats = dim_stats(load_checkpoint(ckpt_dir / "digits-3d").model, images)
    assert values["z2"] == pytest.approx(0.0, abs=1e-9) and not stats.active[1]
    assert stats.active.any(), "no active dimension: the test would be weak"
    active = {colours[f"z{i + 1}"] for i in range(3) if stats.active[i]}
    collapsed = {colours[f"z{i + 1}"] for i in range(3) if not stats.active[i]}
    assert len(active) == len(collapsed) == 1 and active != collapsed
    (trace,) = [t for t in fig["data"] if "z2" in t["x"] and t["name"] != "column"]
    assert trace["name"].startswith("collapsed") and set(trace["text"]) == {"collapsed"}
    assert f"{stats.active_units} of 3 dimensions are active" in texts(at.caption)
    notes = texts(at.caption)
    assert "carries no information about x" in notes and "traversal is flat" in notes
    dead = 3 - stats.active_units
    assert f"{dead} of 3 dimensions collapsed: the KL term charges" in texts(at.info)


def test_a_beta_above_one_is_named_as_the_cause_of_collapse(ckpt_dir):
    _collapse(ckpt_dir / "digits-3d", 1, 3)
    config = json.loads((ckpt_dir / "digits-3d" / "config.json").read_text())
    config["train"]["beta"] = 4.0
    (ckpt_dir / "digits-3d" / "config.json").write_text(json.dumps(config))
    at = page(checkpoint="digits-3d").run()
    assert not at.exception
    assert "with β = 4 every nat of KL costs 4 nats of loss" in texts(at.info)


def test_clicking_a_bar_shows_that_dimensions_traversal(ckpt_dir, media):
    _collapse(ckpt_dir / "digits-3d", 1, 3)
    at = page(checkpoint="digits-3d").run()
    settle(at, [0.5, 0.0, -1.0])
    shown = len(image_bytes(at, media))
    assert "Click a bar" in texts(at.info)
    model = load_checkpoint(ckpt_dir / "digits-3d").model
    for dim in (2, 1):
        click_bar(at, dim)
        assert not at.exception
        (title,) = [m.value for m in at.markdown if m.value.startswith("**z")]
        assert title.startswith(f"**z{dim + 1}**")
        pictures = image_bytes(at, media)
        assert len(pictures) == shown + 1
        got = np.asarray(Image.open(io.BytesIO(pictures[-1])).convert("RGB"))
        row = dim_traversal(model, np.array([0.5, 0.0, -1.0], np.float32), dim, steps=9)
        expected = tile(row, nrow=9, padding=1, scale=round(440 / (9 * 9 + 1)))
        assert np.array_equal(got[:, -expected.shape[1] :], expected)  # right of the label
    assert title.endswith("collapsed")  # z2, the last one clicked, is the collapsed one
    assert float(np.ptp(row.reshape(9, -1), axis=0).max()) < 1e-6  # and its row is flat
