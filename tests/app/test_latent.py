"""The Latent space page: the encoded test set as a WebGL scatter, selection, projections."""

from __future__ import annotations

import base64
import json
import shutil

import numpy as np
import pytest

from tests.app.conftest import APP, PAGES, app, image_bytes, png_size, texts
from ui.plots import CODES, SVG_MAX_POINTS, add_markers, add_prior_contours, latent_scatter

LATENT = PAGES / "latent.py"
N_TEST = 297  # scikit-learn digits: the fixed test split


def chart(at):
    (element,) = at.get("plotly_chart")[:1]
    return element


def spec(at):
    return json.loads(chart(at).proto.spec)


def chart_key(at) -> str:
    return chart(at).proto.id.split("-", 2)[2]  # "$$ID-<hash>-<key>"


def select(at, rows):
    """Set the chart's selection as the browser would, and rerun."""
    points = [{"customdata": int(r), "curve_number": 0, "point_index": 0} for r in rows]
    at.session_state[chart_key(at)] = {
        "selection": {"points": points, "point_indices": [], "box": [], "lasso": []}
    }
    return at.run()


def values(v) -> np.ndarray:
    """A plotly JSON array: a list, or a typed array {"dtype", "bdata", "shape"}."""
    if isinstance(v, dict) and "bdata" in v:
        out = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        return out.reshape(v["shape"]) if "shape" in v else out
    return np.asarray(v)


def scatter_traces(fig):
    return [t for t in fig["data"] if t.get("meta") == CODES]


def test_every_test_image_is_a_point_coloured_by_class(ckpt_dir):
    at = app(LATENT, checkpoint="digits-2d").run()
    assert not at.exception
    fig = spec(at)
    traces = scatter_traces(fig)
    assert [t["name"] for t in traces] == [str(i) for i in range(10)]
    rows = np.concatenate([values(t["customdata"]) for t in traces])
    assert sorted(rows.tolist()) == list(range(N_TEST))  # every image once, by its row
    assert all("label" in t["hovertemplate"] and "index" in t["hovertemplate"] for t in traces)
    assert {t["type"] for t in traces} == {"scatter"}  # 297 points: SVG, no WebGL to set up
    assert fig["layout"]["xaxis"]["title"]["text"] == "z1"
    assert f"{N_TEST:,} points from the digits test set" in texts(at.caption)
    assert "Select points" in at.info[0].value


def test_maps_up_to_the_limit_are_drawn_in_svg_and_larger_ones_in_webgl():
    rng = np.random.default_rng(0)
    for n, kind in ((SVG_MAX_POINTS, "scatter"), (SVG_MAX_POINTS + 1, "scattergl")):
        labels = rng.integers(0, 3, n)
        fig = latent_scatter(rng.normal(size=(n, 2)), np.arange(n) + 5, labels, ["a", "b", "c"])
        assert [(t.type, t.name, t.meta) for t in fig.data] == [(kind, c, CODES) for c in "abc"]
        rows = np.concatenate([t.customdata for t in fig.data])
        assert sorted(rows.tolist()) == list(range(5, n + 5))  # every point once, by its row


def test_prior_contours_toggle(ckpt_dir):
    at = app(LATENT, checkpoint="digits-2d").run()
    (prior,) = [t for t in spec(at)["data"] if t.get("legendgroup") == "prior"]
    x, y = values(prior["x"]).astype(float), values(prior["y"]).astype(float)
    radii = np.hypot(x, y)
    circles = np.split(radii, np.flatnonzero(np.isnan(radii)) + 1)  # apart by a NaN each
    got = [np.unique(np.round(c[~np.isnan(c)], 6)).tolist() for c in circles if len(c) > 1]
    assert got == [[1.0], [2.0], [3.0]]
    at.toggle[0].set_value(False).run()
    assert not [t for t in spec(at)["data"] if t.get("legendgroup") == "prior"]


def test_selected_points_show_images_reconstructions_and_sigma(ckpt_dir, media):
    at = app(LATENT, checkpoint="digits-2d").run()
    select(at, [5, 7, 5, 9999])  # a repeat and an out-of-range row are ignored
    assert not at.exception
    table = at.dataframe[0].value
    assert table["index"].tolist() == [5, 7]
    assert set(table.columns) >= {"label", "μ", "σ", "mean σ", "−ELBO (nats)"}
    assert (table["mean σ"] > 0).all() and np.isfinite(table["−ELBO (nats)"]).all()
    inputs, recons = image_bytes(at, media)
    assert png_size(inputs) == png_size(recons)
    zoom = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert len(zoom["layout"]["shapes"]) == 2  # one sigma ellipse per selected image
    (send_row,) = [s for s in at.selectbox if s.key == "latent_send_row"]
    pairs = zip(table["index"], table["label"], strict=True)
    assert send_row.options == [f"#{i} ({label})" for i, label in pairs]


def test_open_in_decoder_starts_the_sliders_at_the_code(ckpt_dir):
    at = app(APP, checkpoint="digits-2d", decoder_server=True).run()
    at.switch_page("pages/latent.py").run()
    select(at, [12])
    assert not at.exception
    (send,) = [b for b in at.button if b.label == "Open in the Decoder"]
    send.click().run()
    assert not at.exception
    assert at.title[0].value.endswith("The decoder")
    values = [s.value for s in at.slider]
    assert len(values) == 2 and any(v != 0.0 for v in values)
    assert "test image #12" in at.info[0].value


def test_higher_dimensions_offer_axes_pca_and_tsne(ckpt_dir):
    at = app(LATENT, checkpoint="digits-3d").run()
    assert not at.exception
    assert [s.label for s in at.selectbox][:2] == ["Horizontal axis", "Vertical axis"]
    at.selectbox[0].set_value(2).run()
    fig = spec(at)
    assert (fig["layout"]["xaxis"]["title"]["text"], fig["layout"]["yaxis"]["title"]["text"]) == (
        "z3",
        "z2",
    )
    at.session_state["latent_view"] = "PCA"
    at.run()
    assert not at.exception
    assert spec(at)["layout"]["xaxis"]["title"]["text"] == "PC 1"
    assert at.toggle[0].disabled  # contours only on latent axes
    for method in ("t-SNE", "UMAP"):
        at.session_state["latent_view"] = method
        at.run()
        assert not at.exception
        fig = spec(at)
        assert fig["layout"]["xaxis"]["title"]["text"] == f"{method} 1"
        assert sum(len(values(t["customdata"])) for t in scatter_traces(fig)) == N_TEST
        assert not [b for b in at.button if b.label == "Stop"]  # bar and Stop went with the run


def test_projections_are_kept_for_the_session_per_checkpoint(ckpt_dir, monkeypatch):
    import ui.projections

    calls = []
    real = ui.projections.project

    def counted(x, method, **kw):
        calls.append((len(x), method))
        return real(x, method, **kw)

    monkeypatch.setattr(ui.projections, "project", counted)
    at = app(LATENT, checkpoint="digits-3d").run()
    at.session_state["latent_view"] = "t-SNE"
    at.run()
    first = spec(at)["data"][0]["x"]
    at.run()  # a rerun (any widget) finds it kept
    assert not at.exception
    assert calls == [(N_TEST, "t-SNE")]
    assert spec(at)["data"][0]["x"] == first
    kept = at.session_state["latent_projections"]
    assert [k[2] for k in kept] == ["t-SNE"] and "digits-3d" in kept.__iter__().__next__()[0][0]


def test_a_stopped_projection_says_so_and_runs_again(ckpt_dir):
    at = app(LATENT, checkpoint="digits-3d").run()
    at.session_state["latent_view"] = "t-SNE"
    at.run()
    (key,) = at.session_state["latent_projections"]
    at.session_state["latent_projections"] = {}
    at.session_state["latent_stopped"] = key  # as the Stop button's callback leaves it
    at.run()
    assert not at.exception
    assert "t-SNE was stopped" in at.info[0].value
    assert not at.get("plotly_chart")
    (again,) = [b for b in at.button if b.label == "Run t-SNE again"]
    again.click().run()
    assert not at.exception
    assert spec(at)["layout"]["xaxis"]["title"]["text"] == "t-SNE 1"


def test_falls_back_to_the_preview_set_with_a_note(ckpt_dir):
    shutil.copytree(ckpt_dir / "digits-2d", ckpt_dir / "offline")
    config = json.loads((ckpt_dir / "offline" / "config.json").read_text())
    config["dataset"] = "folder:/nonexistent/images"
    (ckpt_dir / "offline" / "config.json").write_text(json.dumps(config))
    preview = np.load(ckpt_dir / "offline" / "preview.npz")["images"]
    at = app(LATENT, checkpoint="offline").run()
    assert not at.exception
    assert f"the checkpoint's {len(preview):,} preview images" in texts(at.caption)
    rows = sum(len(values(t["customdata"])) for t in scatter_traces(spec(at)))
    assert rows == len(preview)


@pytest.mark.parametrize("name", ["../digits-2d", "/tmp"])
def test_bad_names_are_refused(ckpt_dir, name):
    at = app(LATENT, checkpoint=name).run()
    assert not at.exception
    assert "not a checkpoint name" in texts(at.error)
    assert not at.get("plotly_chart")


def test_a_selection_is_shown_by_row_not_by_class(ckpt_dir):
    """The browser lists a selection trace by trace, one trace per class: the page shows it by
    row, so the first images of a large selection are a fair sample of it."""
    at = app(LATENT, checkpoint="digits-2d").run()
    by_trace = [(t["name"], values(t["customdata"])) for t in scatter_traces(spec(at))]
    rows = [int(r) for _, got in by_trace for r in got[:3]]  # 3 points of each class, in order
    select(at, rows)
    assert not at.exception
    table = at.dataframe[0].value
    assert table["index"].tolist() == sorted(rows)[:24]  # the page shows 24 at most
    assert rows[:24] != sorted(rows)[:24]  # the event's own order was by class


def test_markers_and_circles_over_a_webgl_map_are_webgl_too():
    """A browser draws WebGL traces above SVG ones: an SVG star or prior circle on a map of
    more than SVG_MAX_POINTS points would be hidden under the dots."""
    rng = np.random.default_rng(1)
    for n, kind in ((SVG_MAX_POINTS, "scatter"), (SVG_MAX_POINTS + 1, "scattergl")):
        fig = latent_scatter(rng.normal(size=(n, 2)), np.arange(n), rng.integers(0, 2, n), "ab")
        add_prior_contours(fig)
        add_markers(fig, np.zeros((1, 2)), "your image", ["your image"])
        assert {t.type for t in fig.data} == {kind}
        assert fig.data[-1].marker.symbol == "star" and len(fig.data) == 2 + 1 + 1
