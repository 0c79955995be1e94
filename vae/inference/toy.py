"""Bayes on a die: how likely is a one? Exact posterior, a Metropolis chain, variational inference.

A die is thrown n times and shows a one k times. The chance of a one, theta, gets a Beta(a, b)
prior, so the posterior is Beta(a + k, b + n - k) (conjugacy) and the evidence is
p(k) = C(n, k) B(a + k, b + n - k) / B(a, b): the one case where everything the VAE cannot
compute is a formula. The two approximate methods then have an exact answer to be judged by.
Everything here is numpy/scipy and takes milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, expit, gammaln, logit

# Prior presets (a, b). "fair": mean exactly 1/6 with the weight of 30 imagined throws
# (5 of them ones): sd 0.067, firm enough to pull 6 throws towards 1/6, weak enough that a
# few dozen throws of a loaded die overrule it.
PRESETS: dict[str, tuple[float, float]] = {"flat": (1.0, 1.0), "fair": (5.0, 25.0)}


def _check(n: int, k: int, a: float, b: float) -> None:
    if not (0 <= k <= n):
        raise ValueError(f"need 0 <= ones <= throws, got {k} ones in {n} throws")
    if not (a > 0 and b > 0):
        raise ValueError(f"the Beta prior needs a > 0 and b > 0, got a={a}, b={b}")


def log_evidence(n: int, k: int, a: float, b: float) -> float:
    """log p(k) = log C(n, k) + log B(a + k, b + n - k) - log B(a, b) (beta-binomial)."""
    _check(n, k, a, b)
    log_choose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
    return float(log_choose + betaln(a + k, b + n - k) - betaln(a, b))


def _log_beta_pdf(theta: np.ndarray, a: float, b: float) -> np.ndarray:
    return (a - 1) * np.log(theta) + (b - 1) * np.log1p(-theta) - betaln(a, b)


@dataclass(frozen=True)
class ToyExact:
    """The exact answer on a theta grid; densities integrate to 1 over (0, 1)."""

    theta: np.ndarray  # (G,) grid in (0, 1)
    prior: np.ndarray  # (G,) Beta(a, b) density
    likelihood: np.ndarray  # (G,) p(k | theta) = C(n, k) theta^k (1 - theta)^(n - k)
    posterior: np.ndarray  # (G,) Beta(a + k, b + n - k) density
    a_post: float
    b_post: float
    log_evidence: float  # log p(k), the posterior's normalising constant
    evidence: float
    mle: float  # k / n (nan when n = 0)
    posterior_mean: float


def exact(n: int, k: int, a: float = 1.0, b: float = 1.0, grid: int = 501) -> ToyExact:
    """Prior, likelihood and the conjugate posterior Beta(a + k, b + n - k) on a grid."""
    _check(n, k, a, b)
    theta = np.linspace(0.0, 1.0, grid + 2)[1:-1]  # (G,) open interval, no log 0
    log_choose = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
    lik = np.exp(log_choose + k * np.log(theta) + (n - k) * np.log1p(-theta))
    ap, bp = a + k, b + n - k
    le = log_evidence(n, k, a, b)
    return ToyExact(
        theta=theta,
        prior=np.exp(_log_beta_pdf(theta, a, b)),
        likelihood=lik,
        posterior=np.exp(_log_beta_pdf(theta, ap, bp)),
        a_post=ap,
        b_post=bp,
        log_evidence=le,
        evidence=math.exp(le),
        mle=k / n if n > 0 else float("nan"),
        posterior_mean=ap / (ap + bp),
    )


@dataclass(frozen=True)
class MetropolisResult:
    """A random-walk Metropolis chain on theta."""

    trace: np.ndarray  # (steps,) the state after each step
    acceptance_rate: float


def metropolis(
    n: int,
    k: int,
    a: float = 1.0,
    b: float = 1.0,
    steps: int = 5000,
    width: float = 0.1,
    seed: int = 0,
    start: float = 0.5,
) -> MetropolisResult:
    """Random-walk Metropolis (Metropolis et al. 1953) with N(0, width^2) proposals.

    The proposal is symmetric, so a move is accepted with probability min(1, ratio of
    unnormalised posteriors): the evidence cancels, which is why MCMC never needs it.
    Proposals outside (0, 1) have zero density and are rejected.
    """
    _check(n, k, a, b)
    if steps < 1 or width <= 0 or not (0 < start < 1):
        raise ValueError("need steps >= 1, width > 0 and a start inside (0, 1)")
    rng = np.random.default_rng(seed)
    moves = rng.normal(0.0, width, steps)
    log_u = np.log(rng.uniform(size=steps))
    ca, cb = a + k - 1, b + n - k - 1

    def log_target(t: float) -> float:
        return ca * math.log(t) + cb * math.log1p(-t)

    trace = np.empty(steps)
    t, lt, accepted = float(start), log_target(start), 0
    for i in range(steps):
        prop = t + moves[i]
        if 0.0 < prop < 1.0:
            lp = log_target(prop)
            if log_u[i] < lp - lt:
                t, lt, accepted = prop, lp, accepted + 1
        trace[i] = t
    return MetropolisResult(trace, accepted / steps)


def histogram(trace: np.ndarray, bins: int = 40, burn_in: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The chain's density histogram on (0, 1) after burn-in: (edges (bins+1,), density (bins,))."""
    density, edges = np.histogram(trace[burn_in:], bins=bins, range=(0.0, 1.0), density=True)
    return edges, density


@dataclass(frozen=True)
class VIResult:
    """q(eta) = N(m, s^2) on the logit scale after each iteration, and q on the theta scale."""

    m: np.ndarray  # (T+1,) mean after each iteration (index 0: the start)
    s: np.ndarray  # (T+1,)
    elbo: np.ndarray  # (T+1,) rising
    kl: np.ndarray  # (T+1,) KL(q || posterior) = log p(k) - ELBO, falling, >= 0
    theta: np.ndarray  # (G,) grid for the final q's density
    q_density: np.ndarray  # (G,) density of theta = sigmoid(eta) under the final q


def variational(
    n: int,
    k: int,
    a: float = 1.0,
    b: float = 1.0,
    iterations: int = 30,
    damping: float = 0.5,
    m0: float = 0.0,
    s0: float = 1.0,
    nodes: int = 40,
    grid: int = 501,
) -> VIResult:
    """Fit q(eta) = N(m, s^2), theta = sigmoid(eta), by damped Newton ascent on the ELBO.

    The logit scale makes a Gaussian a valid family for a quantity in (0, 1) (the "automatic
    differentiation VI" transform, Kucukelbir et al. 2017). In eta the joint is
    log p(k, theta(eta)) + log |d theta / d eta|, with the Jacobian theta (1 - theta), i.e.
    g(eta) = const + (a + k) log sigmoid(eta) + (b + n - k) log sigmoid(-eta). Expectations
    under q are Gauss-Hermite sums (deterministic, so the curves are smooth); the ELBO adds the
    entropy 0.5 log(2 pi e s^2). A step moves the precision towards E_q[-g''] and the mean by
    E_q[g'] / E_q[-g''] (the Gaussian VI fixed point, Opper & Archambeau 2009), a fraction
    `damping` of the way; a step that would lower the ELBO is halved until it does not, so the
    ELBO never falls and KL(q || posterior) never rises, whatever n and k.
    """
    _check(n, k, a, b)
    if iterations < 0 or not (0 < damping <= 1) or s0 <= 0:
        raise ValueError("need iterations >= 0, 0 < damping <= 1 and s0 > 0")
    u, wts = np.polynomial.hermite_e.hermegauss(nodes)  # for N(0, 1) after normalising
    wts = wts / wts.sum()
    c1, c2 = a + k, b + n - k
    const = gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) - betaln(a, b)
    le = log_evidence(n, k, a, b)

    def moments(m: float, s: float) -> tuple[float, float, float]:
        eta = m + s * u  # (nodes,)
        g = const - c1 * np.logaddexp(0.0, -eta) - c2 * np.logaddexp(0.0, eta)
        sig = expit(eta)
        elbo = float(wts @ g) + 0.5 * math.log(2 * math.pi * math.e * s * s)
        return elbo, float(wts @ (c1 - (c1 + c2) * sig)), float(wts @ ((c1 + c2) * sig * (1 - sig)))

    m, s = float(m0), float(s0)
    value, grad, curv = moments(m, s)
    ms, ss, elbos = [m], [s], [value]
    for _ in range(iterations):
        rho = damping
        for _ in range(30):
            prec = (1 - rho) / s**2 + rho * curv
            m_new, s_new = m + rho * grad / curv, 1.0 / math.sqrt(prec)
            new = moments(m_new, s_new)
            if new[0] >= value:
                m, s, (value, grad, curv) = m_new, s_new, new
                break
            rho /= 2
        ms.append(m)
        ss.append(s)
        elbos.append(value)
    elbo = np.array(elbos)
    theta = np.linspace(0.0, 1.0, grid + 2)[1:-1]
    q_eta = np.exp(-0.5 * ((logit(theta) - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))
    return VIResult(
        m=np.array(ms),
        s=np.array(ss),
        elbo=elbo,
        kl=le - elbo,
        theta=theta,
        q_density=q_eta / (theta * (1 - theta)),
    )
