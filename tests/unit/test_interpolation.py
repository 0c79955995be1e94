"""Interpolation paths: endpoints, norms along lerp and slerp, projections, the GIF."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from vae import VAE, ModelConfig
from vae.analysis import interpolation as vp
from vae.analysis.explore import decode


@pytest.fixture(scope="module")
def model() -> VAE:
    torch.manual_seed(0)
    return VAE(ModelConfig(image_shape=(1, 8, 8), latent_dim=3, hidden_dims=(16,))).eval()


@pytest.mark.parametrize("kind", vp.KINDS)
def test_paths_start_and_end_exactly_at_the_endpoints(kind: str) -> None:
    a = np.array([0.3, -1.2, 2.0], np.float32)
    b = np.array([-1.1, 0.4, 0.7], np.float32)
    z = vp.path_points(kind, a, b, 7)
    assert z.shape == (7, 3) and z.dtype == np.float32
    assert np.array_equal(z[0], a) and np.array_equal(z[-1], b)
    assert np.all(np.linalg.norm(np.diff(z, axis=0), axis=1) > 0)  # it moves at every step


def test_slerp_keeps_the_norm_where_lerp_cuts_through_the_middle() -> None:
    d = 64
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, d))
    b *= np.linalg.norm(a) / np.linalg.norm(b)  # equal norms: slerp stays on the sphere
    r = np.linalg.norm(a)
    spherical = np.linalg.norm(vp.path_points("spherical", a, b, 21), axis=1)
    linear = np.linalg.norm(vp.path_points("linear", a, b, 21), axis=1)
    assert np.allclose(spherical, r, rtol=1e-5)
    omega = math.acos(float(a @ b) / r**2)
    assert linear[10] == pytest.approx(r * math.cos(omega / 2), rel=1e-5)  # the midpoint
    assert linear.min() == pytest.approx(linear[10], rel=1e-6)
    # two random prior samples in 64-D are nearly orthogonal: the midpoint loses about 1/sqrt(2)
    assert linear[10] / r < 0.8 and vp.prior_shell_radius(d) == 8.0


def test_path_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="kind"):
        vp.path_points("zigzag", np.zeros(2), np.ones(2), 5)
    with pytest.raises(ValueError, match="steps"):
        vp.path_points("linear", np.zeros(2), np.ones(2), 1)
    with pytest.raises(ValueError, match="differ in size"):
        vp.path_points("linear", np.zeros(2), np.ones(3), 5)


def test_interpolate_decodes_both_paths(model: VAE) -> None:
    a, b = np.array([1.0, 0.0, -1.0]), np.array([-0.5, 2.0, 0.5])
    paths = vp.interpolate(model, a, b, 6)
    assert list(paths) == list(vp.KINDS)
    for kind, path in paths.items():
        assert path.kind == kind and path.z.shape == (6, 3)
        assert path.images.shape == (6, 1, 8, 8)
        assert np.allclose(path.images, decode(model, path.z), atol=1e-6)
        assert np.allclose(path.norms, np.linalg.norm(path.z, axis=1))
        assert path.t[0] == 0 and path.t[-1] == 1 and len(path.t) == 6
    assert np.allclose(paths["linear"].images[0], paths["spherical"].images[0], atol=1e-6)


def test_projection_keeps_latent_axes_up_to_two_dimensions() -> None:
    codes = np.random.default_rng(1).standard_normal((50, 2))
    view = vp.fit_projection(codes)
    assert view.titles == ("z1", "z2") and np.allclose(view(codes), codes, atol=1e-6)
    one = vp.fit_projection(codes[:, :1])
    assert np.allclose(one(codes[:, :1]), np.column_stack([codes[:, 0], np.zeros(50)]), atol=1e-6)


def test_projection_is_pca_of_the_codes_and_places_other_points_in_it() -> None:
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(2)
    codes = rng.standard_normal((300, 5)) * np.array([4.0, 2.0, 0.5, 0.3, 0.1])
    view = vp.fit_projection(codes)
    assert view.titles == ("PC 1", "PC 2")
    ref = PCA(2).fit(codes)
    assert view.explained == pytest.approx(ref.explained_variance_ratio_.sum(), rel=1e-6)
    mine, theirs = view(codes), ref.transform(codes)
    for j in range(2):  # equal up to each axis's sign
        assert np.allclose(np.abs(mine[:, j]), np.abs(theirs[:, j]), atol=1e-4)
    point = rng.standard_normal((1, 5))
    assert np.allclose(view(point), (point - codes.mean(0)) @ view.axes, atol=1e-5)
    assert np.allclose(vp.fit_projection(codes).axes, view.axes)  # deterministic signs


def test_projection_axes_match_an_svd_of_the_codes_even_with_a_collapsed_dimension() -> None:
    rng = np.random.default_rng(4)
    scales = np.array([3.0, 1.5, 1.0, 0.5, *[0.2] * 15, 1e-3])  # the last: a collapsed dim
    codes = rng.standard_normal((10_000, 20)) @ np.linalg.qr(rng.standard_normal((20, 20)))[0]
    codes = codes * scales + 0.7
    view = vp.fit_projection(codes)
    centred = codes - codes.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    for j in range(2):  # each axis equal to the SVD's up to its sign
        assert min(abs(vt[j] - view.axes[:, j]).max(), abs(vt[j] + view.axes[:, j]).max()) < 1e-9
    assert view.explained == pytest.approx((s[:2] ** 2).sum() / (s**2).sum(), rel=1e-12)
    assert view.axes.shape == (20, 2) and np.allclose(view.axes.T @ view.axes, np.eye(2))


@pytest.mark.parametrize("steps", [2, 3, 9])
def test_gif_plays_ping_pong_with_upscaled_frames(steps: int) -> None:
    strip = np.random.default_rng(3).random((steps, 1, 8, 8)).astype(np.float32)
    frames = vp.animation_frames([strip])
    scale = vp.scale_for((8, 8))
    assert scale == 20 and len(frames) == steps
    data = vp.gif_bytes(frames, duration_ms=80)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "GIF" and im.n_frames == 2 * steps - 2
        assert im.size == (frames[0].shape[1], frames[0].shape[0])
        assert im.info.get("loop") == 0
        im.seek(0)
        first = np.asarray(im.convert("L"))
    # the first frame holds the first image, nearest-neighbour upscaled, at the gap offset
    expected = (np.clip(strip[0, 0], 0, 1) * 255).round().repeat(scale, 0).repeat(scale, 1)
    assert np.abs(first[6 : 6 + 160, 6 : 6 + 160].astype(float) - expected).max() <= 8


def test_gif_of_two_panels_and_no_pingpong() -> None:
    strips = [np.zeros((4, 1, 28, 20), np.float32), np.ones((4, 1, 28, 20), np.float32)]
    frames = vp.animation_frames(strips, names=["linear", "spherical"])
    h, w = 28 * 6, 20 * 6
    assert frames[0].shape == (20 + h + 12 + 4, 2 * w + 3 * 6, 3)
    with Image.open(io.BytesIO(vp.gif_bytes(frames, pingpong=False))) as im:
        assert im.n_frames == 4
    with pytest.raises(ValueError):
        vp.animation_frames([strips[0], strips[1][:2]])
    with pytest.raises(ValueError):
        vp.gif_bytes([])


def test_choosing_endpoints() -> None:
    labels = np.array([3, 1, 3, 2, 3, 1])
    assert vp.nth_of_class(labels, 3, 0) == 0 and vp.nth_of_class(labels, 3, 2) == 4
    with pytest.raises(IndexError):
        vp.nth_of_class(labels, 2, 1)
    for seed in range(20):
        i, j = vp.random_pair(labels, seed)
        assert i != j and labels[i] != labels[j]
        assert (i, j) == vp.random_pair(labels, seed)
    i, j = vp.random_pair(np.zeros(5, int), 0)  # one class only: still two different images
    assert i != j


def test_prior_norm_range_holds_that_mass_of_prior_draws() -> None:
    rng = np.random.default_rng(4)
    for d in (2, 20):
        lo, hi = vp.prior_norm_range(d, 0.9)
        norms = np.linalg.norm(rng.standard_normal((20000, d)), axis=1)
        assert np.mean((norms > lo) & (norms < hi)) == pytest.approx(0.9, abs=0.01)
        assert lo < vp.prior_shell_radius(d) < hi
    lo, hi = vp.prior_norm_range(20)
    assert hi - lo < 2.5 and lo > 3  # in 20-D the inside of the ball is empty
