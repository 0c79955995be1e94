"""The Decoder page's server path: sliders per latent dimension, decoded image, grid, traversals.

The in-browser view (the default) is covered by test_decoder_live.py; here the page runs
with "Decode on the server" switched on, as a person would choose it.
"""

from __future__ import annotations

import pytest

from tests.app.conftest import PAGES, RUNS, app, image_bytes, png_size

DECODER = PAGES / "decoder.py"


def server_app(**state):
    """The Decoder page with the server path chosen."""
    return app(DECODER, decoder_server=True, **state)


@pytest.mark.parametrize(("run", "latent"), RUNS.items())
def test_one_slider_per_latent_dimension(ckpt_dir, run, latent):
    at = server_app(checkpoint=run).run()
    assert not at.exception
    assert [s.label for s in at.slider] == [f"z{i + 1}" for i in range(latent)]
    for s in at.slider:
        assert (s.min, s.max, s.value) == (-3.0, 3.0, 0.0)
        assert s.step == pytest.approx(0.05)
        assert s.help


def test_moving_a_slider_changes_only_the_decoded_pictures(ckpt_dir, media):
    at = server_app(checkpoint="digits-2d").run()
    decoded, grid, trav = image_bytes(at, media)
    assert png_size(decoded) == (280, 280)  # 8 px enlarged 35 times, nearest neighbour
    at.slider[0].set_value(1.5).run()
    assert not at.exception
    decoded2, grid2, trav2 = image_bytes(at, media)
    assert decoded2 != decoded
    assert trav2 != trav  # traversals follow the slider position
    assert grid2 != grid and png_size(grid2) == png_size(grid)  # the red box moved
    assert "+1.50" in at.caption[2].value  # the decoded image's caption names the point
    assert at.query_params["z"] == "1.50,0.00"  # and the address holds it


def test_two_d_models_show_the_manifold_grid_others_do_not(ckpt_dir, media):
    at = server_app(checkpoint="digits-2d").run()
    assert [h.value for h in at.subheader] == [
        "Latent code z",
        "Decoded image",
        "The learned manifold",
        "Traversals",
        "KL per dimension",
    ]
    grid = image_bytes(at, media)[1]
    assert png_size(grid)[0] == png_size(grid)[1]  # 20 x 20 square tiles
    at = server_app(checkpoint="digits-3d").run()
    assert "The learned manifold" not in [h.value for h in at.subheader]
    _, trav = image_bytes(at, media)
    width, height = png_size(trav)
    scale = round(420 / (9 * (8 + 1) + 1))  # 9 tiles of 8 px, 1 px apart, about 420 px wide
    assert height == (3 * (8 + 1) + 1) * scale  # one row per latent dimension
    assert width > (9 * (8 + 1) + 1) * scale  # plus a margin with the row labels


def test_buttons_set_the_sliders(ckpt_dir):
    at = server_app(checkpoint="digits-3d").run()
    at.slider[1].set_value(2.0).run()
    at.button[0].click().run()  # Origin
    assert [s.value for s in at.slider] == [0.0, 0.0, 0.0]
    at.button[1].click().run()  # Random z ~ N(0, I)
    values = [s.value for s in at.slider]
    assert any(v != 0.0 for v in values) and all(-3 <= v <= 3 for v in values)


def test_starts_at_a_point_sent_from_the_latent_page(ckpt_dir):
    handoff = {"run": "digits-3d", "z": [0.52, -1.0, 7.0], "source": "test image #5 (3)"}
    at = server_app(checkpoint="digits-3d", decoder_z=handoff).run()
    assert not at.exception
    assert [s.value for s in at.slider] == pytest.approx([0.5, -1.0, 3.0])
    assert "test image #5" in at.info[0].value and "clipped" in at.info[0].value
    assert "decoder_z" not in at.session_state


def test_a_point_for_another_model_is_ignored(ckpt_dir):
    handoff = {"run": "digits-2d", "z": [1.0, 1.0], "source": "test image #1 (0)"}
    at = server_app(checkpoint="digits-3d", decoder_z=handoff).run()
    assert not at.exception
    assert [s.value for s in at.slider] == [0.0, 0.0, 0.0]


def test_traversals_are_decoded_once_per_model_and_point(ckpt_dir, media, monkeypatch):
    """A rerun at the same point shows the stored picture, pixel for pixel the one decoding
    anew gives; another point, or another model at the same point, is decoded for itself."""
    import io
    import shutil

    import numpy as np
    from PIL import Image

    from ui import decoder_pictures
    from ui.images import tiled
    from vae.analysis.explore import traversals
    from vae.runfolder.checkpoint import load_checkpoint

    calls = []

    def counted(model, base, **kwargs):
        calls.append(np.array(base))
        return traversals(model, base, **kwargs)

    monkeypatch.setattr(decoder_pictures, "traversals", counted)
    at = server_app(checkpoint="digits-3d").run()
    at.run()  # the same point again
    assert len(calls) == 1
    shown = np.asarray(Image.open(io.BytesIO(image_bytes(at, media)[-1])).convert("RGB"))
    model = load_checkpoint(ckpt_dir / "digits-3d").model
    rows = traversals(model, np.zeros(3, np.float32), steps=9, span=3.0)
    tiles = tiled(rows.reshape(-1, 1, 8, 8), 9, 420)  # the row labels' margin is at the left
    assert shown.shape[1] > tiles.shape[1] and np.array_equal(shown[:, -tiles.shape[1] :], tiles)

    at.slider[2].set_value(1.0).run()
    assert len(calls) == 2 and calls[-1].tolist() == [0.0, 0.0, 1.0]
    shutil.copytree(ckpt_dir / "digits-3d", ckpt_dir / "digits-3d-copy")
    other = server_app(checkpoint="digits-3d-copy").run()
    assert not other.exception
    assert len(calls) == 3 and calls[-1].tolist() == [0.0, 0.0, 0.0]
