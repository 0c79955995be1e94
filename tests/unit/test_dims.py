"""vae.analysis.dims: KL per latent dimension and active units (Burda et al. 2015)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from vae import VAE, ModelConfig
from vae.analysis.dims import dim_stats, dim_traversal, from_posterior, summarize
from vae.analysis.explore import encode
from vae.model.inputs import to_input
from vae.model.objectives import active_units, kl_per_dim


@pytest.fixture(scope="module")
def images(digits: Any) -> np.ndarray:
    return digits.test_x[:250].numpy()  # (250, 1, 8, 8) uint8


def _model(latent: int = 4, seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    cfg = ModelConfig(arch="mlp", image_shape=(1, 8, 8), latent_dim=latent, hidden_dims=(16,))
    return VAE(cfg).eval()


def test_kl_per_dimension_sums_to_the_total_kl(images):
    model = _model()
    stats = dim_stats(model, images, batch_size=64)  # several batches, one partial
    with torch.inference_mode():
        mu, logvar = model.encode(to_input(torch.from_numpy(images), False))
        total = kl_per_dim(mu, logvar).sum(1).mean().item()  # the ELBO's KL term, per image
    assert stats.kl.shape == (4,) and stats.images == 250
    assert (stats.kl >= 0).all()
    assert stats.total_kl == pytest.approx(total, rel=1e-5)
    assert stats.kl.sum() == pytest.approx(total, rel=1e-5)
    assert stats.kl == pytest.approx(kl_per_dim(mu, logvar).double().mean(0).numpy(), rel=1e-5)


def test_batching_does_not_change_the_figures(images):
    model = _model(seed=1)
    one, many = dim_stats(model, images, batch_size=1000), dim_stats(model, images, batch_size=7)
    assert one.kl == pytest.approx(many.kl, rel=1e-6)
    assert one.activity == pytest.approx(many.activity, rel=1e-6)


def test_encoded_arrays_give_the_same_figures(images):
    model = _model(seed=2)
    mu, sigma = encode(model, images)
    direct, via = dim_stats(model, images), from_posterior(mu, sigma)
    assert via.kl == pytest.approx(direct.kl, rel=1e-4, abs=1e-6)
    assert via.activity == pytest.approx(direct.activity, rel=1e-6)


def test_a_dimension_the_encoder_ignores_is_flagged_inactive(images):
    model = _model(latent=3, seed=3)
    with torch.no_grad():  # mu_2 = 0 and logvar_2 = 0 for every x: q(z_2|x) is the prior
        model.to_stats.weight[1].zero_()
        model.to_stats.bias[1] = 0.0
        model.to_stats.weight[3 + 1].zero_()
        model.to_stats.bias[3 + 1] = 0.0
        model.to_stats.weight[[0, 2]] *= 20  # the other two spread well beyond the threshold
    stats = dim_stats(model, images)
    assert stats.active.tolist() == [True, False, True]
    assert stats.active_units == 2
    assert stats.kl[1] == pytest.approx(0.0, abs=1e-9)  # the posterior equals the prior
    assert stats.activity[1] == 0.0
    assert stats.kl[0] > 0.01 and stats.kl[2] > 0.01
    with torch.inference_mode():
        mu, _ = model.encode(to_input(torch.from_numpy(images), False))
    assert stats.active_units == active_units(mu)  # the same rule as the evaluation figures


def test_activity_is_the_variance_of_the_posterior_mean():
    mu = torch.tensor([[0.0, 1.0, 0.0], [0.0, -1.0, 0.2], [0.0, 0.0, -0.2]])
    logvar = torch.zeros(3, 3)
    stats = summarize(mu, logvar)
    assert stats.activity == pytest.approx([0.0, 1.0, 0.04])
    assert stats.active.tolist() == [False, True, True]
    assert stats.kl == pytest.approx([0.0, 1 / 3, 0.08 / 6])  # 0.5 * mean(mu^2)


def test_empty_and_single_image_sets():
    empty = summarize(torch.zeros(0, 2), torch.zeros(0, 2))
    assert empty.images == 0 and empty.kl.tolist() == [0.0, 0.0] and empty.active_units == 0
    one = summarize(torch.ones(1, 2), torch.zeros(1, 2))
    assert one.active_units == 0 and one.kl == pytest.approx([0.5, 0.5])


def test_one_dimension_traversal_moves_only_that_dimension():
    from vae.analysis.explore import decode, traversals

    model = _model(latent=3, seed=4)
    base = np.array([0.5, -1.0, 0.25], np.float32)
    row = dim_traversal(model, base, 2, steps=9, span=3.0)
    assert row.shape == (9, 1, 8, 8)
    assert np.allclose(row, traversals(model, base, steps=9, span=3.0)[2], atol=1e-6)
    assert np.allclose(row[4], decode(model, np.array([[0.5, -1.0, 0.0]]))[0], atol=1e-6)
    with pytest.raises(ValueError, match="outside"):
        dim_traversal(model, base, 3)
