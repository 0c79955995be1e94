"""Inference for latent-variable models: a Bayesian toy, and the exact posterior of 2-D models.

toy.py        the die example: exact Beta posterior and evidence, Metropolis, variational inference
model.py      the LatentModel protocol, the project's VAE as one, a linear-Gaussian VAE
exact.py      p(z|x) and log p(x) of a 2-D model by adaptive quadrature (modes.py, quadrature.py)
evidence.py   exact log p(x) of many images, on every core when asked
view.py       the exact posterior's heat map over a view window
approx.py     ELBO estimates, SVI's q*(z|x), the IWAE curve
mcmc.py       MALA on p(z|x)
ledger.py     one image's ledger (log p(x), ELBOs, both gaps) and the gaps over many images
"""

from vae.inference.approx import (
    IWAECurve,
    SVIResult,
    elbo_estimate,
    fit_q,
    fit_q_batch,
    iwae_curve,
    log_weights,
)
from vae.inference.evidence import exact_log_px, exact_nll
from vae.inference.exact import (
    ExactPosterior,
    Mode,
    NeedsTwoDimensions,
    exact_posterior,
    exact_posteriors,
    require_2d,
)
from vae.inference.ledger import Gaps, Ledger, gaps, ledger
from vae.inference.mcmc import ChainResult, mala
from vae.inference.model import LatentModel, LinearGaussian, VAEModel, as_latent_model
from vae.inference.view import PosteriorView, default_window, posterior_view, view_mass

__all__ = [
    "ChainResult",
    "ExactPosterior",
    "Gaps",
    "IWAECurve",
    "LatentModel",
    "Ledger",
    "LinearGaussian",
    "Mode",
    "NeedsTwoDimensions",
    "PosteriorView",
    "SVIResult",
    "VAEModel",
    "as_latent_model",
    "default_window",
    "elbo_estimate",
    "exact_log_px",
    "exact_nll",
    "exact_posterior",
    "exact_posteriors",
    "fit_q",
    "fit_q_batch",
    "gaps",
    "iwae_curve",
    "ledger",
    "log_weights",
    "mala",
    "posterior_view",
    "require_2d",
    "view_mass",
]
