"""The Interpolation page: strips of decoded paths, their place on the map, norms, the GIF."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.app.conftest import PAGES, app, image_bytes, png_size, texts
from tests.app.conftest_jobs import drawn_one, plotly_spec, png, values
from vae import load_checkpoint, load_dataset
from vae.analysis.explore import encode
from vae.analysis.interpolation import nth_of_class
from vae.web.uploads import border_mean, prepare_upload

PAGE = PAGES / "interpolate.py"
SLERP, LERP = "Spherical (slerp)", "Linear (lerp)"


def trace(at: Any, chart: int, name: str) -> dict[str, Any]:
    return next(t for t in plotly_spec(at, chart)["data"] if t.get("name") == name)


def codes(run: Path, x: np.ndarray) -> np.ndarray:
    return encode(load_checkpoint(run).model, x)[0]


def button_data(at: Any, media: dict[str, bytes]) -> bytes:
    (button,) = at.get("download_button")
    return media[button.proto.url.rsplit("/", 1)[-1].split(".")[0]]


def gif(at: Any, media: dict[str, bytes]) -> Image.Image:
    return Image.open(io.BytesIO(button_data(at, media)))


def drawn_zero() -> bytes:
    im = Image.new("L", (120, 120), 255)
    ImageDraw.Draw(im).ellipse((25, 15, 95, 105), outline=0, width=14)
    return png(im)


def test_strips_have_one_image_per_step_and_slerp_ends_at_the_codes(ckpt_dir: Path, media) -> None:  # type: ignore[no-untyped-def]
    at = app(PAGE, checkpoint="digits-2d").run()
    at.slider(key="interp_steps").set_value(7).run()
    assert not at.exception and not at.error, texts(at.error)
    _a, _b, linear, spherical, animation = image_bytes(at, media)
    for strip in (linear, spherical):  # one row of 7 images of 8 x 8, 1 px apart
        width, height = png_size(strip)
        assert width * (8 + 2) == height * (7 * 9 + 1)
    test_x = load_dataset("digits").test_x.numpy()
    y = load_dataset("digits").test_y.numpy()
    rows = [nth_of_class(y, 0, 0), nth_of_class(y, 1, 0)]  # the default endpoints
    mu = codes(ckpt_dir / "digits-2d", test_x[rows])
    for name in (SLERP, LERP):
        path = trace(at, 0, name)
        x, yy = values(path["x"]), values(path["y"])
        assert len(x) == 7
        assert [x[0], yy[0]] == pytest.approx(mu[0].tolist(), abs=1e-5)
        assert [x[-1], yy[-1]] == pytest.approx(mu[1].tolist(), abs=1e-5)
    norms = values(trace(at, 1, SLERP)["y"])
    assert [norms[0], norms[-1]] == pytest.approx(np.linalg.norm(mu, axis=1).tolist(), rel=1e-5)
    with gif(at, media) as im:  # both paths side by side, A to B and back
        assert im.n_frames == 2 * 7 - 2 and im.size == (2 * 160 + 3 * 6, 20 + 160 + 12 + 4)
    assert animation == button_data(at, media)  # the page shows the GIF it offers, animated


def test_gif_of_one_path_and_the_step_count(ckpt_dir: Path, media) -> None:  # type: ignore[no-untyped-def]
    at = app(PAGE, checkpoint="digits-2d").run()
    at.radio(key="interp_gif_paths").set_value("Spherical").run()
    at.slider(key="interp_steps").set_value(12).run()
    assert not at.exception and not at.error
    with gif(at, media) as im:
        assert im.n_frames == 2 * 12 - 2 and im.size == (160 + 2 * 6, 160 + 12 + 4)
    assert "22 frames" in texts(at.caption)


def test_a_3d_model_is_seen_through_pca_and_the_norms_are_the_paths(ckpt_dir: Path) -> None:
    at = app(PAGE, checkpoint="digits-3d").run()
    at.selectbox(key="interp_B_class_digits").set_value(7).run()
    assert not at.exception and not at.error
    assert plotly_spec(at, 0)["layout"]["xaxis"]["title"]["text"] == "PC 1"
    test_x, y = load_dataset("digits").test_x.numpy(), load_dataset("digits").test_y.numpy()
    a, b = codes(ckpt_dir / "digits-3d", test_x[[nth_of_class(y, 0, 0), nth_of_class(y, 7, 0)]])
    t = np.linspace(0, 1, 10)[:, None]
    expected = np.linalg.norm((1 - t) * a + t * b, axis=1)
    assert values(trace(at, 1, LERP)["y"]) == pytest.approx(expected.tolist(), rel=1e-4)
    slerp = values(trace(at, 1, SLERP)["y"])
    assert [slerp[0], slerp[-1]] == pytest.approx([np.linalg.norm(a), np.linalg.norm(b)], rel=1e-5)
    assert "3-dimensional space" in texts(at.caption)


def test_random_pairs_are_of_two_classes_and_change_on_request(ckpt_dir: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d").run()
    at.segmented_control(key="interp_source").set_value("Random pair").run()
    assert not at.exception
    first = texts(at.markdown)
    assert first.count("test image #") == 2
    next(b for b in at.button if b.label == "New random pair").click().run()
    assert not at.exception and texts(at.markdown) != first


def test_two_uploads_are_the_endpoints(ckpt_dir: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d").run()
    at.segmented_control(key="interp_source").set_value("Your uploads").run()
    assert "Upload two images" in texts(at.info)
    at.file_uploader(key="interp_upload_A").set_value(("one.png", drawn_one(), "image/png")).run()
    at.file_uploader(key="interp_upload_B").set_value(("zero.png", drawn_zero(), "image/png")).run()
    assert not at.exception and not at.error, texts(at.error)
    test_x = load_dataset("digits").test_x.numpy()
    ref = border_mean(test_x[:500])
    pixels = [
        prepare_upload(f(), (1, 8, 8), reference_border=ref).pixels for f in (drawn_one, drawn_zero)
    ]
    mu = codes(ckpt_dir / "digits-2d", np.stack(pixels))
    path = trace(at, 0, SLERP)
    assert [values(path["x"])[0], values(path["y"])[0]] == pytest.approx(mu[0].tolist(), abs=1e-5)
    assert [values(path["x"])[-1], values(path["y"])[-1]] == pytest.approx(mu[1].tolist(), abs=1e-5)


def test_a_bad_upload_is_refused_and_the_page_lives(ckpt_dir: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d").run()
    at.segmented_control(key="interp_source").set_value("Your uploads").run()
    at.file_uploader(key="interp_upload_A").set_value(
        ("notes.png", b"plain text", "image/png")
    ).run()
    at.file_uploader(key="interp_upload_B").set_value(("one.png", drawn_one(), "image/png")).run()
    assert not at.exception
    assert texts(at.error).startswith("notes.png cannot be used") and "Upload two images" in texts(
        at.info
    )


def test_the_page_is_in_the_app_navigation(ckpt_dir: Path) -> None:
    at = app().run()
    at.switch_page("pages/interpolate.py").run()
    assert not at.exception and "Interpolation" in at.title[0].value
    assert at.get("download_button")


def test_the_map_draws_a_fixed_sample_of_the_codes_behind_the_paths(
    ckpt_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above CONTEXT_POINTS codes the map shows a sample of them, each at its own code and
    with its own row for hover, and says so; the paths are drawn as before."""
    from ui import plots

    assert plots.context_rows(297).tolist() == list(range(297))  # all, when there are few
    sample = plots.context_rows(10_000)
    assert len(sample) == plots.CONTEXT_POINTS == len(set(sample.tolist()))
    assert np.all(np.diff(sample) > 0) and sample.max() < 10_000
    assert np.array_equal(sample, plots.context_rows(10_000))  # the same on every run

    monkeypatch.setattr(plots, "CONTEXT_POINTS", 100)
    at = app(PAGE, checkpoint="digits-2d").run()
    assert not at.exception and not at.error
    digits = load_dataset("digits")
    mu = codes(ckpt_dir / "digits-2d", digits.test_x.numpy())
    drawn = [t for t in plotly_spec(at, 0)["data"] if t.get("meta") == "codes"]
    rows = np.concatenate([values(t["customdata"]).astype(int) for t in drawn])
    xy = np.column_stack(
        [
            np.concatenate([values(t["x"]) for t in drawn]),
            np.concatenate([values(t["y"]) for t in drawn]),
        ]
    )
    assert sorted(rows.tolist()) == plots.context_rows(len(mu), 100).tolist()
    assert xy == pytest.approx(mu[rows], abs=1e-5)
    labels = digits.test_y.numpy()[rows]
    assert all(len(set(labels[np.isin(rows, values(t["customdata"]))])) == 1 for t in drawn)
    assert "100 of the 297 test codes are drawn." in texts(at.caption)
    assert len(values(trace(at, 0, SLERP)["x"])) == 10
