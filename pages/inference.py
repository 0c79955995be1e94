"""Inference: Bayes' rule on a die, then the true posterior of a real model beside its guesses.

Part 1, the die: prior, likelihood, the exact posterior and its normalising constant, with a
Metropolis chain and variational inference side by side. Part 2, the model: for one image,
the exact p(z|x) (2-D models), the encoder's q(z|x), SVI's q* and MCMC on one map, the
ledger in nats and both gaps of Cremer et al. (2018), and the gaps over many test images.
The figures live in ui/inference_figures.py, the rest of part 2 in ui/inference_model.py and
ui/inference_image.py (its image picker).
"""

from __future__ import annotations

import streamlit as st

from ui import inference_figures as figs
from ui import inference_model as model_part
from ui import state
from ui.i18n import N_, _, bound_labels, take_link_value
from ui.lessons import fit_figure
from ui.selection import current_checkpoint
from vae.inference import toy

PARTS = [N_("The die: Bayes by hand"), N_("The model: the true posterior")]  # ?part= values
PRIORS = (N_("flat"), N_("fair"), N_("custom"))  # also the ?prior= values (shown translated)

st.title(_(":material/functions: Inference: the true posterior and its approximations"))
st.caption(
    _(
        "Bayes' rule gives the posterior p(z|x) = p(x|z) p(z) / p(x), and the normalising "
        "constant p(x) is what cannot be computed for a VAE. Two ways around it: MCMC (exact in "
        "the limit, slow) and variational inference (an optimisation, fast, biased). Here both "
        "are judged against the exact answer: first on a die, then on a real model."
    )
)
ckpt = current_checkpoint()


def die() -> None:
    """The die toy: controls, Bayes' rule, then Metropolis and VI on the same axes."""
    st.markdown(
        _(
            "A die is thrown **n** times and shows a one **k** times. What is θ, the chance of a "
            "one? The maximum-likelihood answer is k / n; a Bayesian answers with a distribution."
        )
    )
    c = st.columns([3, 2, 2, 2, 2])
    take_link_value(state.INFERENCE_PRIOR, PRIORS, shown=False)
    prior = (
        c[0].segmented_control(
            _("Prior on θ"),
            PRIORS,
            format_func={prior: _(prior) for prior in PRIORS}.__getitem__,
            default="flat",
            key=state.INFERENCE_PRIOR,
            bind="query-params",
            help=_(
                "Beta(a, b). Flat: Beta(1, 1). Fair: Beta(5, 25), mean 1/6, as if 30 throws "
                "with 5 ones had been seen. Custom: your a and b."
            ),
        )
        or "flat"
    )
    a, b = toy.PRESETS.get(prior, (2.0, 2.0))
    if prior == "custom":
        a = float(c[1].number_input("a", 0.1, 500.0, 2.0, 0.5, key="inference_a"))
        b = float(c[2].number_input("b", 0.1, 500.0, 2.0, 0.5, key="inference_b"))
    n = int(
        c[3].number_input(
            _("Throws n"), 0, 10_000, 6, key=state.INFERENCE_THROWS, bind="query-params"
        )
    )
    k = int(
        c[4].number_input(_("Ones k"), 0, 10_000, 2, key=state.INFERENCE_ONES, bind="query-params")
    )
    if k > n:
        st.error(
            _("There cannot be {k} ones in {n} throws: choose k ≤ n.").format(k=k, n=n),
            icon=":material/error:",
        )
        return
    ex = toy.exact(n, k, a, b)
    m = st.columns(4)
    m[0].metric(_("MLE k / n"), "—" if n == 0 else f"{ex.mle:.4f}")
    m[1].metric(_("p(data), the normalising constant"), f"{ex.evidence:.4g}")
    m[2].metric(_("posterior mean"), f"{ex.posterior_mean:.4f}")
    m[3].metric(_("exact posterior"), f"Beta({ex.a_post:g}, {ex.b_post:g})")
    st.caption(
        _(
            "p(data) = C(n, k) B(a + k, b + n − k) / B(a, b) = {evidence:.6g}: the integral of "
            "likelihood × prior over θ. Conjugacy makes it a formula here; for a VAE it is an "
            "integral over the whole latent space."
        ).format(evidence=ex.evidence)
    )
    st.plotly_chart(fit_figure(figs.bayes_figure(ex)), key="inference_bayes")
    if a == b == 1.0 and n > 0:
        st.caption(
            _(
                "With the flat prior Beta(1, 1) the posterior is likelihood × 1, normalised: the "
                "scaled likelihood is the posterior itself, so its dotted curve lies under the "
                "posterior's."
            )
        )

    st.subheader(_("Approximate inference: MCMC beside variational inference"))
    c3 = st.columns(3)
    steps = c3[0].slider(_("MCMC steps"), 100, 20_000, 5_000, 100, key="inference_steps")
    width = c3[1].slider(_("Proposal width"), 0.01, 1.0, 0.1, 0.01, key="inference_width")
    iters = c3[2].slider(_("VI iterations"), 0, 100, 30, key="inference_iters")
    chain = toy.metropolis(n, k, a, b, steps=steps, width=width)
    burn = steps // 10
    edges, density = toy.histogram(chain.trace, bins=40, burn_in=burn)
    vi = toy.variational(n, k, a, b, iterations=iters)
    st.plotly_chart(fit_figure(figs.approx_figure(ex, edges, density, vi)), key="inference_approx")
    left, right = st.columns(2)
    with left:
        st.metric(_("MCMC acceptance rate"), f"{chain.acceptance_rate:.1%}")
        st.plotly_chart(fit_figure(figs.trace_figure(chain, burn)), key="inference_trace")
        st.caption(
            _(
                "The chain's state per step; the first {burn} (shaded) are dropped as burn-in."
            ).format(burn=burn)
        )
    with right:
        st.metric(_("KL(q‖posterior) after VI"), f"{vi.kl[-1]:.4f} nats")
        st.plotly_chart(fit_figure(figs.vi_figure(vi)), key="inference_vi")
        st.caption(_("ELBO = log p(data) − KL(q‖posterior): as it rises, the KL falls."))
    st.markdown(
        _(
            "**Exact** is only the formula. **MCMC** never needs p(data) (it cancels in the "
            "acceptance ratio) and is exact in the limit, but needs many steps and its histogram "
            "is noisy. **Variational inference** is an optimisation: a few iterations, a smooth "
            "answer, but only the best member of its family (here a Gaussian on the logit "
            "scale), so a small bias remains. A VAE's encoder is variational inference "
            "*amortised*: one network outputs q(z|x) for every image at once, instead of an "
            "optimisation per image."
        )
    )


shown = bound_labels(state.INFERENCE_PART, PARTS)
tabs = st.tabs(shown, key=state.INFERENCE_PART, on_change="rerun", bind="query-params")
with tabs[0]:
    if tabs[0].open is not False:
        die()
with tabs[1]:
    if tabs[1].open:
        model_part.show(ckpt)
