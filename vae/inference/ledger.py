"""The ledger of one image in nats, and both gaps of Cremer et al. (2018) over many images."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vae.inference._deps import VAE
from vae.inference.approx import (
    CRN_SAMPLES,
    IWAECurve,
    SVIResult,
    fit_q,
    fit_q_batch,
    iwae_curve,
    log_weights,
)
from vae.inference.evidence import exact_log_px
from vae.inference.exact import ExactPosterior, exact_posterior
from vae.inference.model import LatentModel, as_latent_model


@dataclass(frozen=True)
class Ledger:
    """log p(x) >= ELBO(q*) >= ELBO(encoder) for one image, and the gaps between them."""

    log_px: float  # exact (2-D) or the K = 5000 IWAE bound (log_px_is_bound)
    log_px_is_bound: bool
    elbo_q_star: float
    elbo_encoder: float
    approximation_gap: float  # log p(x) - ELBO(q*)
    amortisation_gap: float  # ELBO(q*) - ELBO(encoder)
    multi_modal: bool | None  # None above 2-D: not known
    iwae: IWAECurve  # from the encoder's q
    svi: SVIResult
    exact: ExactPosterior | None


def ledger(
    model: VAE | LatentModel, x: torch.Tensor, svi_steps: int = 300, seed: int = 0
) -> Ledger:
    """Everything the page's ledger shows for one image x (...).

    2-D: log p(x) by quadrature, ELBOs by Gauss-Hermite on q. Above 2-D there is no exact
    value: log p(x) is the larger of the K = 5000 IWAE bounds from the encoder's q and from
    q*; with the ELBO of q* estimated on the same draws, log-mean-exp >= mean makes the
    reported approximation gap non-negative, and it is labelled a bound.
    """
    lm = as_latent_model(model)
    svi = fit_q(lm, x, steps=svi_steps, seed=seed)
    mu_e, lv_e = (t[0] for t in lm.encode(x[None]))
    lw = log_weights(lm, x, mu_e, lv_e, CRN_SAMPLES)
    curve = iwae_curve(lw)
    post: ExactPosterior | None = None
    if lm.latent_dim == 2:
        post = exact_posterior(lm, x)
        log_px, bound, elbo_q = post.log_px, False, svi.elbo
    else:  # elbo_estimate used these same draws: IWAE(q*) >= their mean = ELBO(q*)
        best_mu, best_lv = torch.as_tensor(svi.best_mu), torch.as_tensor(svi.best_logvar)
        lw_q = log_weights(lm, x, best_mu, best_lv, CRN_SAMPLES)
        iwae_q = iwae_curve(lw_q, (len(lw_q),)).bound[0]
        log_px, bound, elbo_q = max(float(curve.bound[-1]), iwae_q), True, svi.elbo
    return Ledger(
        log_px=log_px,
        log_px_is_bound=bound,
        elbo_q_star=elbo_q,
        elbo_encoder=svi.elbo_encoder,
        approximation_gap=log_px - elbo_q,
        amortisation_gap=elbo_q - svi.elbo_encoder,
        multi_modal=post.multi_modal if post is not None else None,
        iwae=curve,
        svi=svi,
        exact=post,
    )


@dataclass(frozen=True)
class Gaps:
    """Both gaps for many images (2-D models), and the images where each is largest."""

    log_px: np.ndarray  # (N,)
    elbo_q_star: np.ndarray  # (N,)
    elbo_encoder: np.ndarray  # (N,)
    approximation: np.ndarray  # (N,) log p(x) - ELBO(q*)
    amortisation: np.ndarray  # (N,) ELBO(q*) - ELBO(encoder)
    largest_approximation: np.ndarray  # (top,) indices, largest first
    largest_amortisation: np.ndarray  # (top,)


def gaps(
    model: VAE | LatentModel,
    xs: torch.Tensor,
    svi_steps: int = 100,
    batch_size: int = 100,
    top: int = 10,
) -> Gaps:
    """Approximation and amortisation gaps over images xs (N, ...) of a 2-D model.

    A cheaper SVI than the single-image ledger: 100 steps of 4 samples at learning rate 0.1
    for a whole batch at once (fit_q_batch), so q* may stop short of the optimum and the
    amortisation gap is a lower estimate; both ELBOs use the same Gauss-Hermite rule.
    """
    lm = as_latent_model(model)
    log_px = exact_log_px(lm, xs, batch_size)
    qs, es = [], []
    for s in range(0, len(xs), batch_size):
        q, e = fit_q_batch(lm, xs[s : s + batch_size], steps=svi_steps)
        qs.append(q)
        es.append(e)
    q_star, enc = np.concatenate(qs), np.concatenate(es)
    approx_gap, amort_gap = log_px - q_star, q_star - enc
    return Gaps(
        log_px=log_px,
        elbo_q_star=q_star,
        elbo_encoder=enc,
        approximation=approx_gap,
        amortisation=amort_gap,
        largest_approximation=np.argsort(-approx_gap)[:top],
        largest_amortisation=np.argsort(-amort_gap)[:top],
    )
