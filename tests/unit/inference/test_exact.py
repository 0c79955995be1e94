"""Exact posterior and log p(x) by quadrature: closed forms, a brute-force reference, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from vae.inference import (
    LinearGaussian,
    NeedsTwoDimensions,
    VAEModel,
    exact_log_px,
    exact_nll,
    exact_posterior,
    posterior_view,
    view_mass,
)
from vae.inference.exact import BOX, COARSE, coarse_grid
from vae.inference.quadrature import log_joint_points, logsumexp


def _linear_gaussian(sigma: float, z0: tuple[float, float], seed: int, d: int = 2):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(6, d, generator=g, dtype=torch.float64)
    b = 0.1 * torch.randn(6, generator=g, dtype=torch.float64)
    lg = LinearGaussian(w, b, sigma)
    z = torch.tensor(z0, dtype=torch.float64)
    x = w @ z + b + sigma * torch.randn(6, generator=g, dtype=torch.float64)
    return lg, x[None]


CASES = [(0.5, (0.3, -0.2)), (0.02, (2.5, -3.0)), (0.005, (-1.0, 4.0))]  # broad, sharp, off-centre


@pytest.mark.parametrize(("sigma", "z0"), CASES)
def test_quadrature_matches_the_linear_gaussian_closed_form(sigma, z0):
    lg, x = _linear_gaussian(sigma, z0, seed=3)
    e = exact_posterior(lg, x[0])
    m, s = lg.posterior(x)
    assert e.log_px == pytest.approx(lg.log_marginal(x).item(), abs=1e-6)
    assert e.mean() == pytest.approx(m[0].numpy(), abs=1e-6 * math.sqrt(s[0, 0].item()) + 1e-9)
    assert e.cov() == pytest.approx(s.numpy(), rel=1e-5, abs=1e-12)
    assert len(e.modes) == 1 and e.modes[0].mass == pytest.approx(1.0, abs=1e-6)
    assert e.modes[0].cov == pytest.approx(s.numpy(), rel=1e-6)
    assert not e.multi_modal
    if sigma < 0.1:  # the posterior sd is far below the coarse grid's cell: the grid alone fails
        gz = coarse_grid(torch.float64).numpy()
        v = log_joint_points(lg, x, np.zeros(len(gz), np.int64), gz)
        coarse_only = logsumexp(v) + 2 * math.log(2 * BOX / COARSE)
        assert abs(coarse_only - e.log_px) > 0.05


def test_the_view_shows_the_closed_form_density():
    lg, x = _linear_gaussian(0.02, (2.5, -3.0), seed=3)
    e = exact_posterior(lg, x[0])
    v = posterior_view(lg, x[0], e, n=60)
    m, s = lg.posterior(x)
    gx, gy = np.meshgrid(v.xs, v.ys)
    want = multivariate_normal(m[0].numpy(), s.numpy()).pdf(np.stack([gx, gy], -1))
    assert v.density == pytest.approx(want, rel=1e-5, abs=1e-12 * want.max())
    assert view_mass(v) == pytest.approx(1.0, abs=1e-3)
    assert v.modes[0] == pytest.approx(m[0].numpy(), abs=1e-6) and v.mode_mass[0] > 0.999


def test_exact_nll_is_the_mean_over_images():
    lg, _ = _linear_gaussian(0.1, (0.0, 0.0), seed=4)
    g = torch.Generator().manual_seed(5)
    xs = lg.w @ torch.randn(2, 7, generator=g, dtype=torch.float64) + lg.b[:, None]
    xs = (xs + 0.1 * torch.randn(xs.shape, generator=g, dtype=torch.float64)).T  # (7, 6)
    closed = lg.log_marginal(xs).numpy()
    assert exact_log_px(lg, xs, batch_size=3) == pytest.approx(closed, abs=1e-6)
    assert exact_nll(lg, xs) == pytest.approx(-closed.mean(), abs=1e-6)


def test_a_model_that_is_not_2d_is_refused_with_the_reason():
    lg, x = _linear_gaussian(0.1, (0.0, 0.0, 0.0), seed=0, d=3)
    with pytest.raises(NeedsTwoDimensions, match=r"2-D latent space.*3 dimensions.*n\^D") as err:
        exact_posterior(lg, x[0])
    assert isinstance(err.value, ValueError) and "IWAE" in str(err.value)


def _reference(model: VAEModel, x: torch.Tensor, nats: float = 40.0, n: int = 32) -> float:
    """A uniform grid 32x finer than the coarse one over every cell within 40 nats of the best."""
    grid = coarse_grid(model.dtype)
    gz = grid.double().numpy()
    h0 = 2 * BOX / COARSE
    with torch.no_grad():
        c = model.log_likelihood_cross(x[None], grid)[0].double().numpy()
    c = c - 0.5 * (gz**2).sum(1) - math.log(2 * math.pi)
    cells = np.nonzero(c >= c.max() - nats)[0]
    offs = (np.arange(n) + 0.5) * h0 / n - h0 / 2
    sub = np.stack(np.meshgrid(offs, offs, indexing="ij"), -1).reshape(-1, 2)
    p = (gz[cells][:, None] + sub[None]).reshape(-1, 2)
    fine = log_joint_points(model, x[None], np.zeros(len(p), np.int64), p) + 2 * math.log(h0 / n)
    rest = np.delete(c, cells) + 2 * math.log(h0)
    return logsumexp(np.concatenate([fine, rest]))


# Preview images: two one-mode ones (0, 1), image 6, and the two-mode ones 17 and 38.
ACCURACY_IMAGES = [0, 1, 6, 17, 38]


@pytest.mark.slow
def test_mnist_2d_within_five_hundredths_of_a_nat_of_a_fine_grid(mnist_2d):
    model, xs = mnist_2d
    chosen = xs[ACCURACY_IMAGES]
    assert exact_posterior(model, chosen[3]).multi_modal  # a multi-modal image is among them
    got = exact_log_px(model, chosen)
    ref = np.array([_reference(model, x) for x in chosen])
    assert np.abs(got - ref).max() < 0.05


@pytest.fixture(scope="module")
def mnist_2d() -> tuple[VAEModel, torch.Tensor]:
    from vae.model.inputs import to_input
    from vae.runfolder.checkpoint import load_checkpoint

    ck = load_checkpoint("checkpoints/mnist-2d")
    return VAEModel(ck.model), to_input(torch.from_numpy(ck.preview_x[:40]), False)


def test_mnist_2d_modes_the_encoder_misses_are_found(mnist_2d):
    model, xs = mnist_2d
    one = exact_posterior(model, xs[17])  # a two-mode posterior among the preview images
    assert one.multi_modal and len([m for m in one.modes if m.mass > 0.05]) == 2
    assert one.far_mass > 0.05
    plain = exact_posterior(model, xs[0])
    assert not plain.multi_modal and plain.modes[0].mass > 0.99
    assert plain.probabilities().sum() == pytest.approx(1.0)
    assert exact_log_px(model, xs[:1])[0] == pytest.approx(plain.log_px, abs=1e-9)
