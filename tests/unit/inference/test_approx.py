"""SVI, MALA, the IWAE curve and the ledger against the linear-Gaussian closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vae.inference import LinearGaussian, VAEModel
from vae.inference.approx import elbo_estimate, fit_q, iwae_curve, log_weights
from vae.inference.ledger import gaps, ledger
from vae.inference.mcmc import mala


def _model(sigma: float, d: int = 2, seed: int = 0) -> tuple[LinearGaussian, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(5, d, generator=g, dtype=torch.float64)
    w[:, 1] += 0.8 * w[:, 0]  # a correlated posterior: the best diagonal q is not diag(S)
    lg = LinearGaussian(w, 0.1 * torch.randn(5, generator=g, dtype=torch.float64), sigma)
    z = torch.linspace(-1.0, 1.5, d, dtype=torch.float64)
    x = w @ z + lg.b + sigma * torch.randn(5, generator=g, dtype=torch.float64)
    return lg, x[None]


def _kl(m_q: np.ndarray, v_q: np.ndarray, m: np.ndarray, s: np.ndarray) -> float:
    """KL(N(m_q, diag v_q) || N(m, S))."""
    prec = np.linalg.inv(s)
    d = m - m_q
    return 0.5 * float(
        np.trace(prec @ np.diag(v_q)) + d @ prec @ d - len(m) + np.linalg.slogdet(s)[1]
        - np.log(v_q).sum()
    )  # fmt: skip


def _closed(lg: LinearGaussian, x: torch.Tensor):
    m, s = lg.posterior(x)
    return m[0].numpy(), s.numpy(), lg.log_marginal(x).item()


def test_elbo_estimate_is_exact_for_a_linear_gaussian_in_2d():
    lg, x = _model(0.3)
    m, s, log_px = _closed(lg, x)
    mu = torch.tensor([[0.2, -0.4]], dtype=torch.float64)
    lv = torch.tensor([[-1.0, -2.0]], dtype=torch.float64)
    want = log_px - _kl(mu[0].numpy(), np.exp(lv[0].numpy()), m, s)
    assert elbo_estimate(lg, x, mu, lv)[0] == pytest.approx(want, abs=1e-8)


@pytest.mark.parametrize("sigma", [0.3, 0.02])
def test_svi_finds_the_best_diagonal_gaussian(sigma):
    lg, x = _model(sigma)
    m, s, log_px = _closed(lg, x)
    v_opt = 1.0 / np.diag(np.linalg.inv(s))  # the KL(q||p) optimum: mean m, variances 1/diag(S^-1)
    r = fit_q(lg, x[0], steps=300)
    sd = np.sqrt(v_opt)
    assert np.abs(r.best_mu - m).max() < 0.1 * sd.min()
    assert np.abs(r.best_logvar - np.log(v_opt)).max() < 0.1
    best_elbo = log_px - _kl(m, v_opt, m, s)
    assert r.elbo == pytest.approx(best_elbo, abs=0.01) and r.elbo <= best_elbo + 1e-9
    enc_mu, enc_lv = lg.encode(x)
    assert r.elbo_encoder == pytest.approx(
        log_px - _kl(enc_mu[0].numpy(), np.exp(enc_lv[0].numpy()), m, s), abs=1e-8
    )
    assert r.elbo > r.elbo_encoder + 0.05  # the encoder is off by half an sd
    assert r.mu.shape == (301, 2) and r.elbo_path.shape == (301,)
    assert r.elbo_path[-50:].mean() > r.elbo_path[0]


def test_mala_samples_match_the_posterior():
    lg, x = _model(0.05)
    m, s, _ = _closed(lg, x)
    r = mala(lg, x[0], samples=4000, warmup=500, chains=8, seed=3)
    assert r.status == "ok" and r.divergences == 0
    assert 0.35 < r.acceptance_rate < 0.8
    sd = np.sqrt(np.diag(s))
    assert np.abs(r.samples.mean(0) - m).max() < 0.1 * sd.min()
    assert np.cov(r.samples.T) == pytest.approx(s, rel=0.15, abs=0.1 * sd.prod())
    assert r.samples.shape == (4000, 2) and r.path.shape == (501 + 500, 2)


class _Broken(LinearGaussian):
    """A model whose likelihood is NaN on half of the plane."""

    def log_likelihood(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        v = super().log_likelihood(x, z)
        return torch.where(z[..., 0] > self.cut, torch.full_like(v, math.nan), v)


def test_a_divergent_chain_is_reported():
    lg, x = _model(0.05)
    m = lg.posterior(x)[0][0].numpy()
    broken = _Broken(lg.w, lg.b, lg.sigma)
    broken.cut = float(m[0])  # type: ignore[attr-defined]
    r = mala(broken, x[0], samples=400, warmup=100, seed=0)
    assert r.status == "diverged" and r.divergences > 4 and "diverged" in str(r.message)
    wild = mala(lg, x[0], samples=400, warmup=0, step_size=300.0, adapt=False, seed=0)
    assert wild.status == "diverged" and "1000 nats" in str(wild.message)
    assert mala(lg, x[0], samples=400, warmup=100, seed=0).status == "ok"


def test_iwae_rises_with_k_towards_log_px():
    lg, x = _model(0.05)
    _, _, log_px = _closed(lg, x)
    mu, lv = lg.encode(x)
    curve = iwae_curve(log_weights(lg, x[0], mu[0], lv[0], 5000))
    assert (np.diff(curve.bound) >= 0).all()
    assert curve.bound[0] == pytest.approx(elbo_estimate(lg, x, mu, lv)[0], abs=0.05)
    assert curve.bound[-1] == pytest.approx(log_px, abs=0.05)  # a noisy bound: may be just above
    assert log_px - curve.bound[0] > 0.1


def test_ledger_2d_gaps_are_the_closed_form_kls():
    lg, x = _model(0.1)
    m, s, log_px = _closed(lg, x)
    v_opt = 1.0 / np.diag(np.linalg.inv(s))
    mu, lv = lg.encode(x)
    led = ledger(lg, x[0])
    assert not led.log_px_is_bound and led.log_px == pytest.approx(log_px, abs=1e-6)
    assert led.approximation_gap == pytest.approx(_kl(m, v_opt, m, s), abs=0.01)
    enc_kl = _kl(mu[0].numpy(), np.exp(lv[0].numpy()), m, s)
    assert led.amortisation_gap == pytest.approx(enc_kl - _kl(m, v_opt, m, s), abs=0.01)
    assert led.multi_modal is False


def test_ledger_above_2d_uses_a_labelled_bound_in_order():
    lg, x = _model(0.1, d=3)
    _, _, log_px = _closed(lg, x)
    led = ledger(lg, x[0], svi_steps=150)
    assert led.log_px_is_bound and led.exact is None and led.multi_modal is None
    assert led.log_px >= led.elbo_q_star >= led.elbo_encoder
    assert led.log_px <= log_px + 0.02 and log_px - led.log_px < 0.1


def test_gaps_over_a_batch_are_ordered_and_ranked():
    lg, _ = _model(0.1)
    g = torch.Generator().manual_seed(1)
    xs = (lg.w @ torch.randn(2, 12, generator=g, dtype=torch.float64)).T + lg.b
    r = gaps(lg, xs, batch_size=5, top=3)
    assert r.log_px == pytest.approx(lg.log_marginal(xs).numpy(), abs=1e-6)
    assert (r.approximation > -1e-6).all() and (r.amortisation >= 0).all()
    assert r.amortisation.max() > 0.05
    assert list(r.largest_amortisation) == list(np.argsort(-r.amortisation)[:3])


@pytest.fixture(scope="module")
def mnist_2d() -> tuple[VAEModel, torch.Tensor]:
    from vae.model.inputs import to_input
    from vae.runfolder.checkpoint import load_checkpoint

    ck = load_checkpoint("checkpoints/mnist-2d")
    return VAEModel(ck.model), to_input(torch.from_numpy(ck.preview_x[:20]), False)


@pytest.mark.parametrize("index", [0, pytest.param(17, marks=pytest.mark.slow)])
def test_mnist_2d_ledger_is_in_order(mnist_2d, index):
    model, xs = mnist_2d
    led = ledger(model, xs[index])
    assert led.log_px >= led.elbo_q_star >= led.elbo_encoder
    assert led.approximation_gap >= 0 and led.amortisation_gap >= 0
    assert (np.diff(led.iwae.bound) >= 0).all() and led.iwae.bound[-1] <= led.log_px + 0.01
