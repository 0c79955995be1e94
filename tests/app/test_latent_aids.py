"""The Latent page's teaching aids: the epoch scrubber, q(z) shading, q(z|x) samples, hover map."""

from __future__ import annotations

import base64
import json
import math
import shutil

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP, PAGES, image_bytes, png_size, texts
from tests.app.test_latent import select
from ui import latent_aids as aids
from ui import state as keys
from ui.latent_figures import log_density
from vae import load_checkpoint, load_dataset
from vae.analysis.explore import encode
from vae.analysis.posterior import (
    aggregate_posterior_density,
    posterior_samples,
    prior_hole_fraction,
    prior_mass_in_holes,
)

LATENT = PAGES / "latent.py"
TIMEOUT = 300  # a busy machine; the first run imports torch


def values(v) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array {"dtype", "bdata", "shape": "r, c"}."""
    if isinstance(v, dict) and "bdata" in v:
        out = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        shape = v.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return out.reshape(shape) if shape else out
    return np.asarray(v)


def page(tab: str | None = None, checkpoint: str = "digits-2d", **state) -> AppTest:
    at = AppTest.from_file(str(LATENT), default_timeout=TIMEOUT)
    at.session_state["checkpoint"] = checkpoint
    if tab is not None:
        at.session_state[keys.VIEW_PARAM] = tab
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def image_captions(at) -> list[str]:
    return [img.caption for element in at.get("image") for img in element.proto.imgs]


def figures(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def formation(at) -> dict:
    (fig,) = [f for f in figures(at) if f.get("frames")]
    return fig


def test_tabs_offer_hover_decoding_only_for_two_dimensions(ckpt_dir):
    labels = [t.label for t in page().tabs]
    assert labels == [aids.MAP_TAB, aids.HOVER_TAB, aids.SAMPLES_TAB, aids.TRAINING_TAB]
    labels = [t.label for t in page(checkpoint="digits-3d").tabs]
    assert labels == [aids.MAP_TAB, aids.SAMPLES_TAB, aids.TRAINING_TAB]


# --- the epoch scrubber ---------------------------------------------------------------------


def test_scrubber_has_one_step_per_epoch_and_frames_equal_the_snapshots(ckpt_dir):
    at = page(aids.TRAINING_TAB)
    assert not at.exception
    ckpt = load_checkpoint(ckpt_dir / "digits-2d")
    snaps, history = ckpt.snapshots, {row["epoch"]: row for row in ckpt.history}
    epochs = snaps["epochs"].tolist()
    assert epochs == [0, 1, 2]
    fig = formation(at)
    (slider,) = fig["layout"]["sliders"]
    assert [s["label"] for s in slider["steps"]] == [str(e) for e in epochs]
    assert [s["args"][0] for s in slider["steps"]] == [[str(e)] for e in epochs]
    frames = {f["name"]: f for f in fig["frames"]}
    assert list(frames) == [str(e) for e in epochs]
    (points,) = [i for i, t in enumerate(fig["data"]) if t.get("meta") == "points"]
    for k, e in enumerate(epochs):
        frame = frames[str(e)]
        assert frame["traces"][0] == points
        xy = np.column_stack([values(frame["data"][0]["x"]), values(frame["data"][0]["y"])])
        assert np.array_equal(xy, snaps["mu"][k].astype(np.float32))  # the snapshot itself
        line, diamond = frame["data"][1], frame["data"][2]
        assert values(line["x"]).tolist() == [e, e]  # the marker sits at that epoch
        assert values(diamond["x"]).tolist() == [e]
        loss = values(diamond["y"]).tolist()[0]
        expected = history[e]["test_loss"] if e in history else None
        assert loss == (pytest.approx(expected) if expected is not None else None)
    # The figure opens on epoch 0; the points are coloured by the preview labels.
    assert slider["active"] == 0
    first = fig["data"][points]
    assert np.array_equal(values(first["x"]), snaps["mu"][0, :, 0].astype(np.float32))
    labels = ckpt.preview_y[snaps["index"]]
    assert first["text"] == [str(k) for k in labels]
    curve = next(t for t in fig["data"] if t.get("name") == "test −ELBO")
    assert values(curve["x"]).tolist() == [1, 2]
    assert values(curve["y"]).tolist() == pytest.approx(
        [history[1]["test_loss"], history[2]["test_loss"]]
    )
    assert "50 preview images encoded after each of 3 epochs" in texts(at.caption)


def test_scrubber_above_two_dimensions_uses_the_chosen_axes_or_pca(ckpt_dir):
    ckpt = load_checkpoint(ckpt_dir / "digits-3d")
    mu = ckpt.snapshots["mu"].astype(np.float32)
    at = page(aids.TRAINING_TAB, checkpoint="digits-3d", latent_dx=2)
    fig = formation(at)
    assert fig["layout"]["xaxis"]["title"]["text"] == "z3"
    last = fig["frames"][-1]["data"][0]
    assert np.array_equal(values(last["x"]), mu[-1, :, 2])
    at.session_state["latent_view"] = "PCA"
    at.run()
    fig = formation(at)
    assert fig["layout"]["xaxis"]["title"]["text"] == "PC 1 (final epoch)"
    final = np.column_stack([values(fig["frames"][-1]["data"][0][k]) for k in "xy"])
    assert np.allclose(final.mean(0), 0, atol=1e-4)  # centred on the final epoch
    centred = mu[-1] - mu[-1].mean(0)
    top = np.linalg.svd(centred, compute_uv=False)[:2]
    assert np.allclose(final.var(0) * len(final), top**2, rtol=1e-3)


def test_checkpoint_without_snapshots_says_so(ckpt_dir):
    shutil.copytree(ckpt_dir / "digits-2d", ckpt_dir / "nosnap")
    (ckpt_dir / "nosnap" / "snapshots.npz").unlink()
    at = page(aids.TRAINING_TAB, checkpoint="nosnap")
    assert not at.exception
    assert "No training replay" in texts(at.info) and "--snapshot-points" in texts(at.info)
    assert not at.get("plotly_chart")


# --- the aggregate posterior on the map -----------------------------------------------------


def test_density_toggle_adds_the_aggregate_posterior_as_a_log_heatmap(ckpt_dir):
    at = page()
    assert [t.key for t in at.toggle] == ["latent_prior", "latent_density"]
    assert not [t for t in figures(at)[0]["data"] if t["type"] == "heatmap"]
    at.toggle(key="latent_density").set_value(True).run()
    assert not at.exception
    fig = figures(at)[0]
    (heat,) = [t for t in fig["data"] if t["type"] == "heatmap"]
    xs, ys, shown = values(heat["x"]), values(heat["y"]), values(heat["z"])
    assert shown.shape == (len(ys), len(xs)) == (aids.GRID, aids.GRID)
    model = load_checkpoint(ckpt_dir / "digits-2d").model
    data = load_dataset("digits")
    mu, sigma = encode(model, data.test_x.numpy())
    q = aggregate_posterior_density(mu, sigma, xs.astype(np.float64), ys.astype(np.float64))
    assert np.allclose(shown, log_density(q), atol=1e-3)
    assert heat["zmax"] == pytest.approx(np.log10(q.max()), abs=1e-3)
    # The grid covers every point and the prior's 3-sigma disc; the axes show that square.
    assert xs.min() <= min(mu[:, 0].min(), -3) and xs.max() >= max(mu[:, 0].max(), 3)
    assert fig["layout"]["xaxis"]["range"] == pytest.approx([xs[0], xs[-1]], abs=1e-4)
    share = prior_mass_in_holes(q, xs, ys)
    assert abs(share - prior_hole_fraction(mu, sigma, n=2000)) < 0.05  # what sampling finds
    assert f"**{share:.0%}** of samples from the prior" in texts(at.caption)


def test_density_is_off_on_projections(ckpt_dir):
    at = page(checkpoint="digits-3d", latent_view="PCA")
    assert at.toggle(key="latent_density").disabled


# --- samples from q(z|x) --------------------------------------------------------------------


def _draws(fig: dict) -> np.ndarray:
    (trace,) = [t for t in fig["data"] if "draws" in (t.get("name") or "")]
    return np.column_stack([values(trace["x"]), values(trace["y"])])


def test_samples_grid_has_one_tile_per_draw_at_the_drawn_codes(ckpt_dir, media):
    at = page(aids.SAMPLES_TAB, latent_enc_row=5, latent_enc_n=9)
    assert not at.exception
    (fig,) = figures(at)
    model = load_checkpoint(ckpt_dir / "digits-2d").model
    x = load_dataset("digits").test_x.numpy()
    expected = posterior_samples(model, x[5], 9, seed=0)
    assert np.allclose(_draws(fig), expected.z, atol=1e-5)
    (star,) = [t for t in fig["data"] if t.get("name", "").startswith("μ")]
    assert np.allclose([values(star["x"])[0], values(star["y"])[0]], expected.mu, atol=1e-5)
    pictures = image_bytes(at, media)
    assert len(pictures) == 3  # the input, the decoding at mu, the tiled draws
    tiles = png_size(pictures[2])
    scale = round(340 / (3 * 9 + 1))
    assert tiles == ((3 * 9 + 1) * scale, (3 * 9 + 1) * scale)  # 3 x 3 tiles of 8 px + borders
    captions = image_captions(at)
    label = int(load_dataset("digits").test_y[5])
    assert captions[0] == f"Input x: #5 ({label})" and captions[2].startswith("9 draws")
    at.button[0].click().run()  # draw again: new draws for the same image
    assert not np.allclose(_draws(figures(at)[0]), expected.z)
    assert np.allclose(_draws(figures(at)[0]), posterior_samples(model, x[5], 9, seed=1).z)


def test_selection_opens_its_samples(ckpt_dir):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.session_state["checkpoint"] = "digits-2d"
    at.run()
    at.switch_page("pages/latent.py").run()
    select(at, [12, 30])
    (draw,) = [b for b in at.button if b.label == "Samples from q(z|x)"]
    draw.click().run()
    assert not at.exception
    assert at.session_state[keys.VIEW_PARAM] == aids.SAMPLES_TAB
    assert at.number_input(key="latent_enc_row").value == 12
    assert image_captions(at)[0].startswith("Input x: #12 ")


# --- decoding under the pointer -------------------------------------------------------------


def _component(at) -> dict:
    (element,) = at.get("bidi_component")
    return json.loads(element.proto.json)


def test_hover_map_sends_every_code_and_hands_the_pin_to_the_decoder(ckpt_dir):
    at = page(aids.HOVER_TAB)
    assert not at.exception
    data = _component(at)
    assert data["mode"] == "map" and data["spec"]["latent_dim"] == 2
    model = load_checkpoint(ckpt_dir / "digits-2d").model
    mu, _ = encode(model, load_dataset("digits").test_x.numpy())
    xs = np.frombuffer(base64.b64decode(data["map"]["x"]), "<f4")
    assert np.allclose(xs, mu[:, 0])
    assert data["map"]["classes"] == [str(i) for i in range(10)]
    assert "decoder_z" not in at.session_state
    at.session_state["latent_live"] = {"z": {"z": [0.5, -0.25], "spec": data["spec"]["id"]}}
    at.run()
    assert at.session_state["decoder_z"] == {
        "run": "digits-2d",
        "z": [0.5, -0.25],
        "source": "a point pinned on the latent map",
    }
    assert "z = (+0.50, -0.25)" in at.markdown[0].value


def test_hover_falls_back_to_the_server_and_says_so(ckpt_dir, monkeypatch, media):
    import components.live_decoder as live

    def refuse(model):
        raise live.UnsupportedDecoder("a layer the browser does not know")

    monkeypatch.setattr(live, "spec_for", refuse)
    at = page(aids.HOVER_TAB)
    assert not at.exception
    assert "cannot run in the browser (a layer the browser does not know)" in texts(at.info)
    assert not at.get("bidi_component")
    z1, z2 = at.slider(key="latent_srv_z1"), at.slider(key="latent_srv_z2")
    z1.set_value(math.floor(z1.max * 50) / 100).run()
    assert at.session_state["decoder_z"]["z"] == [z1.value, z2.value]
    assert len(image_bytes(at, media)) >= 1
