"""Heat-map data of the exact posterior p(z|x) over a view window, for display."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from vae.inference._deps import VAE
from vae.inference.exact import ExactPosterior, require_2d
from vae.inference.model import LatentModel, as_latent_model, log_prior


@dataclass(frozen=True)
class PosteriorView:
    """p(z|x) on an n x n grid; row i, column j is (xs[j], ys[i]), a plotly heatmap's layout."""

    xs: np.ndarray  # (n,)
    ys: np.ndarray  # (n,)
    density: np.ndarray  # (n, n) p(z|x), normalised by the exact p(x)
    modes: np.ndarray  # (J, 2) mode locations, largest mass first
    mode_mass: np.ndarray  # (J,)
    extent: tuple[float, float, float, float]  # (x0, x1, y0, y1)


def default_window(
    post: ExactPosterior, min_mass: float = 0.01
) -> tuple[float, float, float, float]:
    """A square holding the encoder's 3-sigma ellipse and 4 sds around every mode of >= 1% mass."""
    sd_e = np.exp(0.5 * post.encoder_logvar)
    lo, hi = [post.encoder_mu - 3 * sd_e], [post.encoder_mu + 3 * sd_e]
    for m in post.modes:
        if m.mass >= min_mass:
            sd = np.sqrt(np.diag(m.cov))
            lo.append(m.z - 4 * sd)
            hi.append(m.z + 4 * sd)
    a, b = np.min(lo, 0), np.max(hi, 0)
    centre, half = (a + b) / 2, max(float((b - a).max()) / 2 * 1.1, 0.05)
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


def posterior_view(
    model: VAE | LatentModel,
    x: torch.Tensor,
    post: ExactPosterior,
    n: int = 80,
    window: tuple[float, float, float, float] | None = None,
) -> PosteriorView:
    """Evaluate p(z|x) = p(x, z) / p(x) on an n x n grid over window (default_window if None).

    n^2 decoder calls (6,400 at n = 80). A mode much narrower than the grid's spacing shows as
    a single bright cell or can fall between nodes; the mode markers do not.
    """
    lm = as_latent_model(model)
    require_2d(lm)
    x0, x1, y0, y1 = window if window is not None else default_window(post)
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    z = torch.as_tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=lm.dtype)
    near = getattr(lm, "log_likelihood_near", None)
    with torch.no_grad():
        if near is not None and post.modes:  # the window is laid around the modes
            values = near(x, z, post.modes[0].z) + log_prior(z)
        else:
            values = lm.log_likelihood_cross(x[None], z)[0] + log_prior(z)
    log_d = values.double().cpu().numpy() - post.log_px
    return PosteriorView(
        xs=xs,
        ys=ys,
        density=np.exp(np.minimum(log_d, 700.0)).reshape(n, n),
        modes=np.array([m.z for m in post.modes]).reshape(-1, 2),
        mode_mass=np.array([m.mass for m in post.modes]),
        extent=(float(x0), float(x1), float(y0), float(y1)),
    )


def view_mass(view: PosteriorView) -> float:
    """The posterior mass on the view's grid (a Riemann sum; 1 when the window holds it all)."""
    dx, dy = view.xs[1] - view.xs[0], view.ys[1] - view.ys[0]
    return float(view.density.sum() * dx * dy) if math.isfinite(dx * dy) else math.nan
