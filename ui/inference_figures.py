"""Plotly figures of the Inference page (no model code here).

The die toy: `bayes_figure` (prior, likelihood, exact posterior), `approx_figure` (the exact
posterior beside the Metropolis histogram and the variational q), `trace_figure`, `vi_figure`
(ELBO rising, KL falling). The real model: `posterior_map` (the exact heat map, the encoder's
ellipses, q* along its SVI path, MCMC), `iwae_figure` and `gaps_figure`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.i18n import _
from vae.inference import Gaps, IWAECurve, PosteriorView
from vae.inference.toy import MetropolisResult, ToyExact, VIResult

EXACT = "#1f77b4"
MCMC = "#ff7f0e"
VI = "#2ca02c"
ENCODER = "crimson"
Q_STAR = "#2ca02c"
SHADE_NATS = 12.0  # the heat map shades log p(z|x) down to this far below its peak


def _layout(fig: go.Figure, height: int, x: str, y: str) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis_title=x,
        yaxis_title=y,
        legend={"orientation": "h", "y": -0.25},
    )
    return fig


def bayes_figure(ex: ToyExact) -> go.Figure:
    """Prior, likelihood (scaled to area 1 so it shares the axis) and the exact posterior."""
    dt = ex.theta[1] - ex.theta[0]
    lik = ex.likelihood / max(float(ex.likelihood.sum() * dt), 1e-300)
    fig = go.Figure()
    fig.add_scatter(x=ex.theta, y=ex.prior, name=_("prior p(θ)"), line={"dash": "dash"})
    fig.add_scatter(x=ex.theta, y=lik, name=_("likelihood p(data|θ), scaled"), line={"dash": "dot"})
    fig.add_scatter(
        x=ex.theta, y=ex.posterior, name=_("exact posterior p(θ|data)"), line={"width": 3}
    )
    if np.isfinite(ex.mle):  # its label above the plot, clear of the curves' peak
        fig.add_vline(
            x=ex.mle, line={"color": "grey", "dash": "dot"}, annotation_text="MLE",
            annotation_position="top", annotation_yanchor="bottom", annotation_yshift=2,
        )  # fmt: skip
    return _chance_axis(_layout(fig, 340, _("θ, the chance of a one"), _("density")))


def _chance_axis(fig: go.Figure) -> go.Figure:
    """θ is a chance: the axis spans exactly [0, 1], with both ends labelled."""
    fig.update_xaxes(range=[0, 1], dtick=0.1)
    return fig


def approx_figure(ex: ToyExact, edges: np.ndarray, density: np.ndarray, vi: VIResult) -> go.Figure:
    """The exact posterior, the Metropolis histogram and the variational q on one axis."""
    fig = go.Figure()
    fig.add_bar(
        x=(edges[:-1] + edges[1:]) / 2,
        y=density,
        width=edges[1] - edges[0],
        name=_("MCMC: histogram of the chain"),
        marker={"color": MCMC, "opacity": 0.45},
    )
    fig.add_scatter(x=ex.theta, y=ex.posterior, name=_("exact posterior"), line={"color": EXACT})
    fig.add_scatter(
        x=vi.theta, y=vi.q_density, name=_("VI: q(θ), Gaussian on the logit scale"),
        line={"color": VI, "dash": "dash", "width": 3},
    )  # fmt: skip
    return _chance_axis(_layout(fig, 340, "θ", _("density")))


def trace_figure(chain: MetropolisResult, burn_in: int) -> go.Figure:
    """The chain's state after each step; the burn-in is shaded."""
    fig = go.Figure()
    fig.add_scatter(y=chain.trace, mode="lines", name="θ", line={"color": MCMC, "width": 1})
    if burn_in:
        fig.add_vrect(x0=0, x1=burn_in, fillcolor="grey", opacity=0.15, line_width=0)
    fig.update_layout(showlegend=False)
    return _layout(fig, 220, _("step"), "θ")


def vi_figure(vi: VIResult) -> go.Figure:
    """ELBO (left axis) rising and KL(q‖posterior) (right axis) falling per iteration."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    it = np.arange(len(vi.elbo))
    fig.add_scatter(x=it, y=vi.elbo, name="ELBO", line={"color": VI}, secondary_y=False)
    fig.add_scatter(
        x=it, y=vi.kl, name=_("KL(q‖posterior)"), line={"color": "grey"}, secondary_y=True
    )
    fig.update_yaxes(title_text="ELBO (nats)", secondary_y=False)
    fig.update_yaxes(title_text="KL (nats)", secondary_y=True, rangemode="tozero")
    return _layout(fig, 220, _("iteration"), "")


def _ellipse(mu: np.ndarray, sd: np.ndarray, r: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0, 2 * np.pi, 121)
    return mu[0] + r * sd[0] * np.cos(t), mu[1] + r * sd[1] * np.sin(t)


@dataclass(frozen=True)
class MapLayers:
    """What goes on the posterior map, already projected onto the two shown dimensions."""

    dims: tuple[int, int]
    encoder_mu: np.ndarray  # (2,)
    encoder_sd: np.ndarray  # (2,)
    svi_mu: np.ndarray  # (T+1, 2) the path
    svi_sd: np.ndarray  # (T+1, 2)
    step: int  # the SVI step shown
    best_step: int
    samples: np.ndarray | None  # (n, 2) MCMC samples
    chain_path: np.ndarray | None  # (m, 2) chain 0 from its start


def posterior_map(view: PosteriorView | None, layers: MapLayers) -> go.Figure:
    """One map: p(z|x) (2-D), q(z|x)'s 1/2/3σ, q* at a step of its path, MCMC samples and path."""
    fig = go.Figure()
    if view is not None:
        with np.errstate(divide="ignore"):
            log_d = np.log(view.density)  # (n, n); shaded in log: a sharp mode hides no other
        top = float(np.max(log_d)) if np.isfinite(log_d).any() else 0.0
        fig.add_heatmap(
            x=view.xs, y=view.ys, z=np.maximum(log_d, top - SHADE_NATS), name=_("exact p(z|x)"),
            customdata=view.density, colorscale="Blues", showscale=False,
            hovertemplate="(%{x:.3f}, %{y:.3f})<br>p(z|x) %{customdata:.3g}"
            "<extra>" + _("exact posterior") + "</extra>",
        )  # fmt: skip
    if layers.samples is not None and len(layers.samples):
        s = layers.samples[:: max(1, len(layers.samples) // 1000)]
        fig.add_scatter(
            x=s[:, 0], y=s[:, 1], mode="markers", name=_("MCMC samples (MALA)"),
            marker={"size": 3, "color": MCMC, "opacity": 0.5}, hoverinfo="skip",
        )  # fmt: skip
    if layers.chain_path is not None:
        p = layers.chain_path[:300]
        fig.add_scatter(
            x=p[:, 0], y=p[:, 1], mode="lines", name=_("MCMC path (first 300 steps)"),
            line={"color": MCMC, "width": 1}, hoverinfo="skip",
        )  # fmt: skip
    for r in (1, 2, 3):
        ex, ey = _ellipse(layers.encoder_mu, layers.encoder_sd, r)
        fig.add_scatter(
            x=ex, y=ey, mode="lines", name=_("encoder q(z|x): 1, 2, 3σ"), legendgroup="enc",
            showlegend=r == 1, line={"color": ENCODER, "width": 2 if r == 1 else 1},
            hoverinfo="skip",
        )  # fmt: skip
    t = layers.step
    path = layers.svi_mu[: t + 1]
    fig.add_scatter(
        x=path[:, 0], y=path[:, 1], mode="lines", name=_("SVI path"), hoverinfo="skip",
        line={"color": Q_STAR, "width": 1.5, "dash": "dot"},
    )  # fmt: skip
    best = _("q at SVI step {step} (q*): 1, 2σ") if t == layers.best_step else None
    name = (best or _("q at SVI step {step}: 1, 2σ")).format(step=t)
    for r in (1, 2):
        qx, qy = _ellipse(layers.svi_mu[t], layers.svi_sd[t], r)
        fig.add_scatter(
            x=qx, y=qy, mode="lines", legendgroup="q", showlegend=r == 1,
            name=name,
            line={"color": Q_STAR, "width": 2 if r == 1 else 1}, hoverinfo="skip",
        )  # fmt: skip
    if view is not None and len(view.modes):
        fig.add_scatter(
            x=view.modes[:, 0], y=view.modes[:, 1], mode="markers", name=_("modes of p(z|x)"),
            text=[_("mode, mass {mass:.1%}").format(mass=m) for m in view.mode_mass],
            marker={"symbol": "x", "size": 10, "color": "black"},
            hovertemplate="%{text}<extra></extra>",
        )  # fmt: skip
    a, b = layers.dims
    fig = _layout(fig, 560, f"z{a + 1}", f"z{b + 1}")
    fig.update_layout(uirevision="inference-map", legend={"y": -0.15})
    if view is not None:
        x0, x1, y0, y1 = view.extent
        fig.update_xaxes(range=[x0, x1])
        fig.update_yaxes(range=[y0, y1])
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def iwae_figure(
    curve: IWAECurve, log_px: float, is_bound: bool, elbo_q: float, elbo_enc: float
) -> go.Figure:
    """The IWAE bound against K (log axis) rising towards log p(x), with both ELBOs for scale."""
    fig = go.Figure()
    fig.add_scatter(
        x=curve.k, y=curve.bound, mode="lines+markers", name=_("IWAE bound (encoder q)")
    )
    label = _("log p(x) ≥ this bound (K = 5000, best q)") if is_bound else _("log p(x), exact")
    fig.add_hline(y=log_px, line={"color": "black"}, annotation_text=label)
    fig.add_hline(y=elbo_q, line={"color": Q_STAR, "dash": "dash"}, annotation_text="ELBO(q*)")
    fig.add_hline(
        y=elbo_enc, line={"color": ENCODER, "dash": "dot"}, annotation_text=_("ELBO(encoder)")
    )
    fig.update_xaxes(type="log")
    return _layout(fig, 320, _("K, importance samples"), "nats")


def gaps_figure(g: Gaps, mark: tuple[float, float] | None = None) -> go.Figure:
    """Histograms of both gaps; `mark`: this image's (approximation, amortisation) gaps."""
    fig = make_subplots(
        1, 2, subplot_titles=(_("approximation gap: log p(x) − ELBO(q*)"),
                              _("amortisation gap: ELBO(q*) − ELBO(encoder)")),
    )  # fmt: skip
    fig.add_histogram(x=g.approximation, nbinsx=40, name=_("approximation"), row=1, col=1)
    fig.add_histogram(x=g.amortisation, nbinsx=40, name=_("amortisation"), row=1, col=2)
    if mark is not None:
        for col, v in ((1, mark[0]), (2, mark[1])):
            fig.add_vline(x=v, line={"color": "crimson", "width": 2}, row=1, col=col)
    fig.update_layout(showlegend=False, bargap=0.05)
    fig.update_xaxes(title_text="nats")
    return _layout(fig, 300, "nats", _("images"))
