"""The ReLU decoder's exact shortcuts agree with the plain decoder and with autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vae.inference import VAEModel, exact_posterior
from vae.inference.modes import derivatives
from vae.inference.quadrature import LocalGrid
from vae.inference.relu import ReluDecoder
from vae.model.config import ModelConfig
from vae.model.networks import VAE


def _vae(likelihood: str, arch: str = "mlp", seed: int = 0) -> VAE:
    torch.manual_seed(seed)
    dims = (16, 8) if arch == "conv" else (48, 32)
    return VAE(ModelConfig(arch, (1, 8, 8), 2, dims, likelihood)).eval()


def _pixels(seed: int, n: int = 4) -> torch.Tensor:
    return torch.rand((n, 1, 8, 8), generator=torch.Generator().manual_seed(seed))


def test_only_a_linear_relu_decoder_is_taken_apart():
    assert ReluDecoder.of(_vae("bernoulli").decoder) is not None
    assert ReluDecoder.of(_vae("bernoulli", "conv").decoder) is None


@pytest.mark.parametrize("spread", [1e-3, 0.05, 3.0])  # few flips, some, enough to run dense
def test_logits_near_a_code_are_the_decoders(spread):
    vae = _vae("bernoulli")
    dec = ReluDecoder.of(vae.decoder)
    assert dec is not None
    z0 = torch.tensor([0.3, -0.7])
    z = z0 + spread * torch.randn(300, 2, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = vae.decode(z).flatten(1)
        got = dec.logits_near(z, z0)
    assert got == pytest.approx(want, abs=1e-5)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_exact_derivatives_are_autograds(likelihood):
    model = VAEModel(_vae(likelihood))
    x, z = _pixels(2), torch.randn(4, 2, generator=torch.Generator().manual_seed(3))
    v, g, h = derivatives(model, x, z)
    model.relu = None  # the autograd path
    v2, g2, h2 = derivatives(model, x, z)
    assert v == pytest.approx(v2, abs=1e-4)
    assert g == pytest.approx(g2, rel=1e-4, abs=1e-4)
    assert h == pytest.approx(h2, rel=1e-4, abs=1e-4)
    near = VAEModel(_vae(likelihood)).log_likelihood_near(x[0], z, z[0].numpy())
    with torch.no_grad():
        assert near == pytest.approx(model.log_likelihood(x[:1], z[None])[0], abs=1e-4)


def test_a_finer_or_wider_layout_keeps_the_values_it_has():
    g = LocalGrid(0, np.array([0.5, 0.5]), np.eye(2) * 0.1)
    g.place()
    assert g.pending.all()
    assert g.nodes is not None
    g.logf = -(g.nodes**2).sum(1)
    g.level += 1
    g.place()
    assert g.known is not None and g.nodes is not None
    kept = ~g.pending
    assert kept.sum() == 13 * 13 and len(g.nodes) == 25 * 25
    assert g.known[kept] == pytest.approx(-(g.nodes[kept] ** 2).sum(1))
    g.logf, g.radius = g.known.copy(), g.radius * 1.5
    g.logf[g.pending] = 0.0
    g.place()
    assert (~g.pending).sum() == 25 * 25


def test_the_shortcuts_leave_the_exact_value_as_it_was():
    vae = _vae("bernoulli", seed=4)
    x = _pixels(5, 1)[0]
    fast = exact_posterior(VAEModel(vae), x)
    plain = VAEModel(vae)
    plain.relu = None
    slow = exact_posterior(plain, x)
    assert fast.log_px == pytest.approx(slow.log_px, abs=1e-4)


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
def test_the_likelihood_is_reconstruction_nlls_sum(likelihood):
    from vae.model.objectives import reconstruction_nll

    vae = _vae(likelihood, seed=6)
    model, x = VAEModel(vae), _pixels(7, 3)
    z = torch.randn(3, 5, 2, generator=torch.Generator().manual_seed(8))
    with torch.no_grad():
        got = model.log_likelihood(x, z)
        logits = vae.decode(z.reshape(15, 2))
        want = -reconstruction_nll(vae, logits, x.repeat_interleave(5, 0)).view(3, 5)
    assert got == pytest.approx(want, abs=1e-4)
    pairs = model.log_likelihood_pairs(x, np.array([0, 2, 2]), z[[0, 2, 2], [1, 3, 3]].numpy())
    assert pairs == pytest.approx(want[[0, 2, 2], [1, 3, 3]], abs=1e-4)


def test_the_owner_of_lattice_points_is_found_by_index():
    from vae.inference.exact import LATTICE, coarse_grid
    from vae.inference.quadrature import owner

    gz = coarse_grid(torch.float64).numpy()
    rng = np.random.default_rng(0)
    for _ in range(30):
        works = []
        for _ in range(rng.integers(1, 4)):
            a = rng.normal(size=(2, 2)) * 10 ** rng.uniform(-2.5, 0)
            works.append(LocalGrid(0, rng.uniform(-6.5, 6.5, 2), a, radius=rng.uniform(3, 20)))
        depth = np.stack(
            [np.abs((gz - w.z) @ np.linalg.inv(w.a).T).max(1) / w.radius for w in works]
        )
        want = np.where(depth.min(0) <= 1.0, depth.argmin(0), -1)
        assert (owner(works, gz, LATTICE) == want).all()
        assert (owner(works, gz) == want).all()


def test_newton_starts_that_meet_end_at_the_same_mode():
    from vae.inference import LinearGaussian
    from vae.inference.modes import newton_modes

    g = torch.Generator().manual_seed(9)
    w = torch.randn(6, 2, generator=g, dtype=torch.float64)
    lg = LinearGaussian(w, torch.zeros(6, dtype=torch.float64), 0.05)
    x = (w @ torch.tensor([0.4, -0.8], dtype=torch.float64))[None].expand(4, 6)
    starts = np.array([[0.0, 0.0], [0.01, 0.0], [1.0, 1.0], [0.4, -0.8]])
    alone = newton_modes(lg, x, starts)
    merged = newton_modes(lg, x, starts, group=np.zeros(4, np.int64))
    m = lg.posterior(x[:1])[0][0].numpy()
    for z, v, h in (alone, merged):
        assert z == pytest.approx(np.tile(m, (4, 1)), abs=1e-6)
        assert v == pytest.approx(np.full(4, v[0]), abs=1e-9)
        assert h == pytest.approx(np.tile(lg.post_prec.numpy(), (4, 1, 1)), rel=1e-9)
