"""Inference: Bayes' rule on a die, then the true posterior of a real model beside its guesses.

Part 1, the die: prior, likelihood, the exact posterior and its normalising constant, with a
Metropolis chain and variational inference side by side. Part 2, the model: for one image,
the exact p(z|x) (2-D models), the encoder's q(z|x), SVI's q* and MCMC on one map, the
ledger in nats and both gaps of Cremer et al. (2018), and the gaps over many test images.
The figures live in ui/inference_figures.py, the rest of part 2 in ui/inference_model.py.
"""

from __future__ import annotations

import streamlit as st

from ui import inference_figures as figs
from ui import inference_model as model_part
from ui import state
from ui.selection import current_checkpoint
from vae.inference import toy

PARTS = ("The die: Bayes by hand", "The model: the true posterior")
PRIORS = ("flat", "fair", "custom")  # also the ?prior= values

st.title(":material/functions: Inference: the true posterior and its approximations")
st.caption(
    "Bayes' rule gives the posterior p(z|x) = p(x|z) p(z) / p(x), and the normalising "
    "constant p(x) is what cannot be computed for a VAE. Two ways around it: MCMC (exact in "
    "the limit, slow) and variational inference (an optimisation, fast, biased). Here both "
    "are judged against the exact answer: first on a die, then on a real model."
)
ckpt = current_checkpoint()


def die() -> None:
    """The die toy: controls, Bayes' rule, then Metropolis and VI on the same axes."""
    st.markdown(
        "A die is thrown **n** times and shows a one **k** times. What is θ, the chance of a "
        "one? The maximum-likelihood answer is k / n; a Bayesian answers with a distribution."
    )
    c = st.columns([3, 2, 2, 2, 2])
    prior = (
        c[0].segmented_control(
            "Prior on θ",
            PRIORS,
            default="flat",
            key=state.INFERENCE_PRIOR,
            bind="query-params",
            help="Beta(a, b). Flat: Beta(1, 1). Fair: Beta(5, 25), mean 1/6, as if 30 throws "
            "with 5 ones had been seen. Custom: your a and b.",
        )
        or "flat"
    )
    a, b = toy.PRESETS.get(prior, (2.0, 2.0))
    if prior == "custom":
        a = float(c[1].number_input("a", 0.1, 500.0, 2.0, 0.5, key="inference_a"))
        b = float(c[2].number_input("b", 0.1, 500.0, 2.0, 0.5, key="inference_b"))
    n = int(
        c[3].number_input("Throws n", 0, 10_000, 6, key=state.INFERENCE_THROWS, bind="query-params")
    )
    k = int(
        c[4].number_input("Ones k", 0, 10_000, 2, key=state.INFERENCE_ONES, bind="query-params")
    )
    if k > n:
        st.error(f"There cannot be {k} ones in {n} throws: choose k ≤ n.", icon=":material/error:")
        return
    ex = toy.exact(n, k, a, b)
    m = st.columns(4)
    m[0].metric("MLE k / n", "—" if n == 0 else f"{ex.mle:.4f}")
    m[1].metric("p(data), the normalising constant", f"{ex.evidence:.4g}")
    m[2].metric("posterior mean", f"{ex.posterior_mean:.4f}")
    m[3].metric("exact posterior", f"Beta({ex.a_post:g}, {ex.b_post:g})")
    st.caption(
        f"p(data) = C(n, k) B(a + k, b + n − k) / B(a, b) = {ex.evidence:.6g}: the integral of "
        "likelihood × prior over θ. Conjugacy makes it a formula here; for a VAE it is an "
        "integral over the whole latent space."
    )
    st.plotly_chart(figs.bayes_figure(ex), key="inference_bayes")

    st.subheader("Approximate inference: MCMC beside variational inference")
    c3 = st.columns(3)
    steps = c3[0].slider("MCMC steps", 100, 20_000, 5_000, 100, key="inference_steps")
    width = c3[1].slider("Proposal width", 0.01, 1.0, 0.1, 0.01, key="inference_width")
    iters = c3[2].slider("VI iterations", 0, 100, 30, key="inference_iters")
    chain = toy.metropolis(n, k, a, b, steps=steps, width=width)
    burn = steps // 10
    edges, density = toy.histogram(chain.trace, bins=40, burn_in=burn)
    vi = toy.variational(n, k, a, b, iterations=iters)
    st.plotly_chart(figs.approx_figure(ex, edges, density, vi), key="inference_approx")
    left, right = st.columns(2)
    with left:
        st.metric("MCMC acceptance rate", f"{chain.acceptance_rate:.1%}")
        st.plotly_chart(figs.trace_figure(chain, burn), key="inference_trace")
        st.caption(f"The chain's state per step; the first {burn} (shaded) are dropped as burn-in.")
    with right:
        st.metric("KL(q‖posterior) after VI", f"{vi.kl[-1]:.4f} nats")
        st.plotly_chart(figs.vi_figure(vi), key="inference_vi")
        st.caption("ELBO = log p(data) − KL(q‖posterior): as it rises, the KL falls.")
    st.markdown(
        "**Exact** is only the formula. **MCMC** never needs p(data) (it cancels in the "
        "acceptance ratio) and is exact in the limit, but needs many steps and its histogram is "
        "noisy. **Variational inference** is an optimisation: a few iterations, a smooth answer, "
        "but only the best member of its family (here a Gaussian on the logit scale), so a "
        "small bias remains. A VAE's encoder is variational inference *amortised*: one network "
        "outputs q(z|x) for every image at once, instead of an optimisation per image."
    )


tabs = st.tabs(PARTS, key=state.INFERENCE_PART, on_change="rerun", bind="query-params")
with tabs[0]:
    if tabs[0].open is not False:
        die()
with tabs[1]:
    if tabs[1].open:
        model_part.show(ckpt)
