"""The pure functions the pages call: grids, paths, traversals, projections."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest
import torch

from vae import VAE, ModelConfig
from vae.analysis import explore as ex


@pytest.fixture(scope="module")
def model() -> VAE:
    torch.manual_seed(0)
    return VAE(ModelConfig(image_shape=(1, 8, 8), latent_dim=3, hidden_dims=(16,))).eval()


def test_grid_values_go_through_the_gaussian_inverse_cdf():
    vals = ex.grid_values(5)
    expected = [NormalDist().inv_cdf(p) for p in (0.05, 0.275, 0.5, 0.725, 0.95)]
    assert vals.dtype == np.float32 and vals.shape == (5,)
    assert np.allclose(vals, expected, atol=1e-6)
    assert abs(vals[2]) < 1e-6 and np.allclose(vals, -vals[::-1])
    assert np.allclose(
        ex.grid_values(3, 0.1, 0.9), [NormalDist().inv_cdf(p) for p in (0.1, 0.5, 0.9)]
    )


def test_manifold_grid_lays_out_the_values_like_the_paper(model: VAE):
    n = 4
    base = np.array([0.0, 0.0, 1.5], np.float32)
    z, images = ex.manifold_grid(model, n=n, dims=(0, 1), base=base)
    vals = ex.grid_values(n)
    assert z.shape == (n * n, 3) and images.shape == (n * n, 1, 8, 8)
    grid = z.reshape(n, n, 3)
    assert np.allclose(grid[0, :, 0], vals)  # columns: low to high along dims[0]
    assert np.allclose(grid[:, 0, 1], vals[::-1])  # rows: high to low along dims[1]
    assert np.all(grid[..., 2] == 1.5)  # other dimensions held at base
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert np.allclose(images, ex.decode(model, z))


def test_slerp_keeps_endpoints_and_norm():
    a = np.array([3.0, 0.0, 0.0], np.float32)
    b = np.array([0.0, 0.0, 3.0], np.float32)
    path = ex.slerp(a, b, 7)
    assert path.shape == (7, 3)
    assert np.allclose(path[0], a, atol=1e-6) and np.allclose(path[-1], b, atol=1e-6)
    assert np.allclose(np.linalg.norm(path, axis=1), 3.0, atol=1e-5)
    line = ex.lerp(a, b, 7)
    assert np.linalg.norm(line[3]) == pytest.approx(3.0 / np.sqrt(2), rel=1e-5)
    # Different norms: the norm moves monotonically between them.
    norms = np.linalg.norm(ex.slerp(a, 2 * b, 9), axis=1)
    assert norms[0] == pytest.approx(3.0) and norms[-1] == pytest.approx(6.0)
    assert np.all(np.diff(norms) > 0)


def test_slerp_falls_back_to_a_line_where_no_great_circle_is_unique():
    a = np.array([1.0, 2.0], np.float32)
    for b in (np.zeros(2, np.float32), 2 * a, -a):
        path = ex.slerp(a, b, 5)
        assert np.allclose(path, ex.lerp(a, b, 5), atol=1e-6)
        assert np.allclose(path[0], a) and np.allclose(path[-1], b)


def test_lerp_is_evenly_spaced():
    path = ex.lerp(np.zeros(2), np.array([4.0, -8.0]), 5)
    assert np.allclose(path[:, 0], [0, 1, 2, 3, 4]) and np.allclose(path[:, 1], [0, -2, -4, -6, -8])


def test_traversals_vary_one_dimension_at_a_time(model: VAE):
    base = np.array([0.5, -0.5, 0.25], np.float32)
    out = ex.traversals(model, base, steps=5, span=2.0)
    assert out.shape == (3, 5, 1, 8, 8)
    vals = np.linspace(-2, 2, 5)
    for d in (0, 2):
        z = np.tile(base, (5, 1))
        z[:, d] = vals
        assert np.allclose(out[d], ex.decode(model, z), atol=1e-6)


def test_encode_decode_and_reconstruct_shapes(model: VAE):
    images = np.random.default_rng(0).integers(0, 256, (7, 1, 8, 8), dtype=np.uint8)
    mu, sigma = ex.encode(model, images, batch_size=3)
    assert mu.shape == sigma.shape == (7, 3) and mu.dtype == np.float32
    assert np.all(sigma > 0)
    assert np.array_equal(mu, ex.encode(model, images, batch_size=3)[0])
    assert np.allclose(mu, ex.encode(model, images)[0], atol=1e-6)
    empty_mu, empty_sigma = ex.encode(model, images[:0])
    assert empty_mu.shape == empty_sigma.shape == (0, 3)
    decoded = ex.decode(model, mu, batch_size=2)
    assert decoded.shape == (7, 1, 8, 8)
    assert ex.decode(model, np.zeros((0, 3))).shape == (0, 1, 8, 8)
    recons, loss = ex.reconstruct(model, images)
    assert recons.shape == (7, 1, 8, 8) and loss.shape == (7,)
    assert np.all(loss > 0) and np.allclose(recons, decoded, atol=1e-6)


def test_projections_keep_one_row_per_point():
    x = np.random.default_rng(0).normal(size=(60, 5)).astype(np.float32)
    x[:, 0] *= 10  # the first principal component is this axis
    p = ex.pca(x)
    assert p.shape == (60, 2)
    assert abs(np.corrcoef(p[:, 0], x[:, 0])[0, 1]) > 0.99
    assert np.array_equal(ex.pca(x[:, :2]), x[:, :2])
    t = ex.tsne(x[:40])
    assert t.shape == (40, 2) and np.all(np.isfinite(t))
