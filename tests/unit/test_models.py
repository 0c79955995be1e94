"""Model shapes for both architectures and likelihoods, and the configuration checks."""

from __future__ import annotations

import pytest
import torch

from vae import VAE, ConfigError, ModelConfig
from vae.model.objectives import elbo_terms

SHAPES = [(1, 28, 28), (1, 28, 20), (1, 8, 8), (3, 8, 8)]


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("arch", ["mlp", "conv"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_shapes_and_parameter_count(arch: str, likelihood: str, shape: tuple[int, int, int]):
    hidden = (16, 8) if arch == "mlp" else (4, 8)
    cfg = ModelConfig(
        arch=arch, image_shape=shape, latent_dim=3, hidden_dims=hidden, likelihood=likelihood
    )
    torch.manual_seed(0)
    model = VAE(cfg)
    assert cfg.parameter_count() == sum(p.numel() for p in model.parameters())

    x = torch.rand(5, *shape)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 3)
    z = model.reparameterize(mu, logvar)
    assert z.shape == (5, 3)
    logits = model.decode(z)
    assert logits.shape == (5, *shape)
    mean = model.decode_mean(z).detach()
    assert mean.shape == (5, *shape)
    assert float(mean.min()) >= 0.0 and float(mean.max()) <= 1.0
    out, mu2, logvar2 = model(x)
    assert out.shape == (5, *shape) and mu2.shape == (5, 3) and logvar2.shape == (5, 3)

    loss, recon, kl = elbo_terms(model, x, beta=0.5)
    assert loss.shape == recon.shape == kl.shape == (5,)
    assert torch.isfinite(loss).all()
    assert (kl >= 0).all()
    assert torch.allclose(loss, recon + 0.5 * kl)
    if likelihood == "gaussian":
        assert model.pixel_log_scale().shape == shape


def test_reparameterize_uses_mean_and_variance():
    torch.manual_seed(0)
    mu = torch.full((20000, 2), 3.0)
    logvar = torch.log(torch.full((20000, 2), 4.0))
    z = VAE.reparameterize(mu, logvar)
    assert torch.allclose(z.mean(0), torch.full((2,), 3.0), atol=0.05)
    assert torch.allclose(z.std(0), torch.full((2,), 2.0), atol=0.05)


def test_reparameterize_draws_from_the_generator_it_is_given():
    mu, logvar = torch.zeros(4, 3), torch.zeros(4, 3)
    first = VAE.reparameterize(mu, logvar, torch.Generator().manual_seed(7))
    torch.manual_seed(123)  # the global stream plays no part
    again = VAE.reparameterize(mu, logvar, torch.Generator().manual_seed(7))
    assert torch.equal(first, again)
    assert torch.equal(first, torch.randn((4, 3), generator=torch.Generator().manual_seed(7)))


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"latent_dim": 0}, "latent_dim"),
        ({"latent_dim": 10**6}, "latent_dim"),
        ({"arch": "rnn"}, "arch"),
        ({"likelihood": "poisson"}, "likelihood"),
        ({"hidden_dims": (10**6,)}, "hidden_dims"),
        ({"hidden_dims": (8192, 8192, 8192)}, "parameters"),
        ({"arch": "conv", "image_shape": (1, 30, 30), "hidden_dims": (4, 8)}, "divisible"),
        ({"image_shape": (2, 8, 8)}, "channels"),
    ],
)
def test_bad_model_config_is_refused_with_its_name(kwargs: dict, names: str):
    with pytest.raises(ConfigError, match=names):
        ModelConfig(**kwargs)


def test_config_round_trips_through_dict():
    cfg = ModelConfig(arch="conv", image_shape=(1, 28, 20), latent_dim=5, hidden_dims=(4, 8))
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="unknown model setting"):
        ModelConfig.from_dict({**cfg.to_dict(), "depth": 3})
