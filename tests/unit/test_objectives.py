"""Objectives: analytic KL against Monte Carlo, the IWAE bound, active units, learning."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch

from vae import VAE, ModelConfig
from vae.model.inputs import to_input
from vae.model.objectives import active_units, elbo_terms, iwae_bound, kl_per_dim, log_normal
from vae.training.evaluate import evaluate_model


def test_kl_per_dim_matches_monte_carlo():
    gen = torch.Generator().manual_seed(0)
    mu = torch.tensor([[0.0, 1.5, -2.0], [0.3, -0.7, 0.0]], dtype=torch.float64)
    logvar = torch.tensor([[0.0, -1.0, 0.8], [-2.5, 0.4, 1.2]], dtype=torch.float64)
    analytic = kl_per_dim(mu, logvar)  # (2, 3)
    assert analytic.shape == (2, 3)
    assert torch.allclose(analytic[0, 0], torch.tensor(0.0, dtype=torch.float64))

    n = 400_000
    eps = torch.randn((n, *mu.shape), generator=gen, dtype=torch.float64)
    z = mu + torch.exp(0.5 * logvar) * eps  # (n, 2, 3)
    log_q = -0.5 * (math.log(2 * math.pi) + logvar + (z - mu) ** 2 / logvar.exp())
    log_p = -0.5 * (math.log(2 * math.pi) + z**2)
    mc = (log_q - log_p).mean(0)
    assert torch.allclose(mc, analytic, atol=0.02, rtol=0.02), (mc, analytic)


def test_log_normal_matches_torch_distributions():
    z, mu, logvar = torch.randn(4, 3), torch.randn(4, 3), torch.randn(4, 3)
    ref = torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
    assert torch.allclose(log_normal(z, mu, logvar), ref, atol=1e-5)


@pytest.fixture(scope="module")
def trained(tiny_run: Any) -> VAE:
    from vae import load_checkpoint

    return load_checkpoint(tiny_run).model


def test_iwae_bound_is_above_the_elbo_and_grows_with_k(trained: VAE, digits: Any):
    x = to_input(digits.test_x[:40], False)
    torch.manual_seed(0)
    with torch.inference_mode():
        elbo = torch.stack([-elbo_terms(trained, x)[0] for _ in range(200)]).mean(0)  # (B,)
        bounds = {
            k: torch.stack([iwae_bound(trained, x, k) for _ in range(20)]).mean(0)
            for k in (1, 5, 50)
        }
    # K = 1 is the ELBO itself (up to Monte-Carlo noise).
    assert abs(float(bounds[1].mean() - elbo.mean())) < 0.3
    assert float(bounds[5].mean()) > float(elbo.mean())
    assert float(bounds[50].mean()) > float(bounds[5].mean()) > float(bounds[1].mean())
    # Per image, the K = 50 bound is above the ELBO for nearly all of them.
    assert float((bounds[50] >= elbo).float().mean()) >= 0.9


def test_iwae_bound_chunks_and_rejects_zero_samples(trained: VAE, digits: Any):
    x = to_input(digits.test_x[:8], False)
    with torch.inference_mode():
        torch.manual_seed(1)
        small_chunks = iwae_bound(trained, x, 30, chunk=7)
    assert small_chunks.shape == (8,)
    assert torch.isfinite(small_chunks).all() and (small_chunks < 0).all()
    with pytest.raises(ValueError, match="at least 1"):
        iwae_bound(trained, x, 0)


def test_active_units_counts_dimensions_with_variance_over_threshold():
    torch.manual_seed(0)
    mu = torch.stack([torch.randn(500), 0.01 * torch.randn(500), 2 * torch.randn(500)], 1)
    assert active_units(mu) == 2
    assert active_units(mu, threshold=10.0) == 0
    assert active_units(mu[:1]) == 0


def test_a_few_hundred_steps_on_digits_lower_the_loss(digits: Any):
    torch.manual_seed(0)
    model = VAE(ModelConfig(image_shape=(1, 8, 8), latent_dim=4, hidden_dims=(64,)))
    before = evaluate_model(model, digits.test_x)["test_elbo"]
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    train_x = to_input(digits.train_x, False)
    for step in range(300):
        idx = torch.randint(0, len(train_x), (64,))
        loss = elbo_terms(model, train_x[idx])[0].mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert math.isfinite(loss.item()), step
    after = evaluate_model(model, digits.test_x)["test_elbo"]
    assert after < 0.8 * before, (before, after)


def test_evaluate_model_is_deterministic_and_consistent(trained: VAE, digits: Any):
    a = evaluate_model(trained, digits.test_x, iwae_samples=3)
    b = evaluate_model(trained, digits.test_x, iwae_samples=3)
    assert a == b
    assert a["test_images"] == len(digits.test_x)
    assert a["test_elbo"] == pytest.approx(a["test_recon"] + a["test_kl"])
    assert 0 < a["iwae_nll"] < a["test_elbo"] + 1.0
