"""The die example against the Beta posterior and the beta-binomial evidence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats
from scipy.special import betaln, expit

from vae.inference import toy


@pytest.mark.parametrize(("n", "k", "a", "b"), [(6, 2, 1, 1), (6, 2, 5, 25), (40, 0, 0.5, 0.5)])
def test_evidence_is_the_integral_of_likelihood_times_prior(n, k, a, b):
    e = toy.exact(n, k, a, b)
    f = lambda t: math.comb(n, k) * t**k * (1 - t) ** (n - k) * stats.beta(a, b).pdf(t)  # noqa: E731
    assert e.evidence == pytest.approx(integrate.quad(f, 0, 1, limit=200)[0], rel=1e-7)
    assert e.log_evidence == pytest.approx(toy.log_evidence(n, k, a, b))
    assert e.posterior == pytest.approx(stats.beta(a + k, b + n - k).pdf(e.theta), rel=1e-9)
    assert (e.a_post, e.b_post) == (a + k, b + n - k)
    assert e.mle == pytest.approx(k / n)


def test_the_fair_preset_has_mean_one_sixth_and_the_seed_example_mle_is_a_third():
    a, b = toy.PRESETS["fair"]
    assert a / (a + b) == pytest.approx(1 / 6)
    assert toy.exact(6, 2).mle == pytest.approx(1 / 3)
    assert toy.exact(6, 2, *toy.PRESETS["flat"]).posterior_mean == pytest.approx(3 / 8)


def test_bad_data_is_refused():
    with pytest.raises(ValueError, match="ones"):
        toy.exact(3, 4)
    with pytest.raises(ValueError, match="a > 0"):
        toy.exact(3, 1, 0.0, 1.0)


def test_metropolis_histogram_approaches_the_posterior():
    n, k, a, b = 6, 2, 1.0, 1.0
    post = stats.beta(a + k, b + n - k)
    run = toy.metropolis(n, k, a, b, steps=40_000, width=0.2, seed=1)
    kept = run.trace[2000:]
    assert kept.mean() == pytest.approx(post.mean(), abs=0.01)
    assert kept.std() == pytest.approx(post.std(), abs=0.01)
    edges, dens = toy.histogram(run.trace, bins=20, burn_in=2000)
    exact_mass = np.diff(post.cdf(edges))
    assert np.abs(dens * np.diff(edges) - exact_mass).sum() < 0.05  # total variation x 2
    short = toy.metropolis(n, k, a, b, steps=200, width=0.2, seed=1).trace[100:]
    edges_s, dens_s = toy.histogram(short, bins=20)
    assert np.abs(dens_s * np.diff(edges_s) - exact_mass).sum() > 0.1  # a short chain is not there


def test_acceptance_falls_as_the_proposal_widens():
    rates = [
        toy.metropolis(6, 2, steps=5000, width=w, seed=0).acceptance_rate for w in (0.02, 0.3, 2)
    ]
    assert rates[0] > 0.9 > rates[1] > rates[2] and rates[2] < 0.15


@pytest.mark.parametrize(("n", "k", "a", "b"), [(6, 2, 1, 1), (6, 2, 5, 25), (1000, 0, 1, 1)])
def test_vi_elbo_rises_kl_falls_and_stays_positive(n, k, a, b):
    v = toy.variational(n, k, a, b)
    assert (np.diff(v.elbo) >= 0).all() and (np.diff(v.kl) <= 0).all()
    assert v.kl.min() >= 0 and v.kl[0] > 10 * v.kl[-1]
    assert v.kl == pytest.approx(toy.log_evidence(n, k, a, b) - v.elbo)
    if n < 100:  # else q sits inside one cell of the 501-point plotting grid
        assert np.sum(v.q_density) * (v.theta[1] - v.theta[0]) == pytest.approx(1.0, abs=1e-3)


def _elbo_by_quad(m: float, s: float, n: int, k: int, a: float, b: float) -> float:
    """E_q[log p(k, theta) + log theta(1 - theta)] + H(q), by adaptive quadrature in eta."""

    const = math.log(math.comb(n, k)) - betaln(a, b)

    def integrand(eta: float) -> float:
        t = expit(eta)
        log_joint = const + (k + a - 1) * math.log(t) + (n - k + b - 1) * math.log1p(-t)
        density = math.exp(-0.5 * ((eta - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
        return density * (log_joint + math.log(t) + math.log1p(-t))

    e = integrate.quad(integrand, m - 12 * s, m + 12 * s, limit=200)[0]
    return e + 0.5 * math.log(2 * math.pi * math.e * s * s)


def test_vi_reaches_the_numerically_optimised_gaussian():
    n, k, a, b = 6, 2, 1.0, 1.0
    v = toy.variational(n, k, a, b)
    best = optimize.minimize(
        lambda p: -_elbo_by_quad(p[0], math.exp(p[1]), n, k, a, b),
        [-0.3, -0.5],
        method="Nelder-Mead",
        options={"xatol": 1e-6, "fatol": 1e-10},
    )
    assert v.m[-1] == pytest.approx(best.x[0], abs=1e-3)
    assert v.s[-1] == pytest.approx(math.exp(best.x[1]), abs=1e-3)
    assert v.elbo[-1] == pytest.approx(-best.fun, abs=1e-6)
    assert _elbo_by_quad(v.m[5], v.s[5], n, k, a, b) == pytest.approx(v.elbo[5], abs=1e-8)
