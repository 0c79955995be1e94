"""The Inference page's second part: one image's posterior, its ledger, the gaps over many images.

The image is a test image by index (?image=N, by default the Latent page's selection) or an
upload through the shared upload widget (the picker: ui/inference_image.py). 2-D models get the
exact posterior; above 2-D the ledger's log p(x) is the K = 5000 IWAE bound and the map shows
the two dimensions where q(z|x) is furthest from the prior.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import inference_data as data
from ui import inference_figures as figs
from ui import state
from ui.errors import describe, show_error
from ui.i18n import N_, _
from ui.images import show_image, show_tiles
from ui.inference_image import Chosen, choose_image, open_image
from ui.lessons import fit_figure
from ui.testset import Images, dataset_images
from vae import Checkpoint
from vae.analysis.inference import NotAutogradModel, kl_dims, share_below
from vae.inference import Ledger, NeedsTwoDimensions, require_2d

GAP_IMAGES = 200
SHADE = N_(
    "Blue: the exact posterior p(z|x), normalised by quadrature, shaded by its log (white 12 "
    "nats below the peak, so a second, fainter mode still shows). "
)


def show_ledger(led: Ledger) -> None:
    """The ledger in nats, the IWAE curve, and both gaps named."""
    head = _("IWAE bound on log p(x) (K = 5000)") if led.log_px_is_bound else _("log p(x), exact")
    m = st.columns(5)
    m[0].metric(head, f"{led.log_px:.2f}")
    m[1].metric("ELBO(q*)", f"{led.elbo_q_star:.2f}")
    m[2].metric(_("ELBO(encoder)"), f"{led.elbo_encoder:.2f}")
    m[3].metric(_("approximation gap"), f"{led.approximation_gap:.2f}")
    m[4].metric(_("amortisation gap"), f"{led.amortisation_gap:.2f}")
    bound = _(
        "Above 2-D log p(x) is not known: the figure is the IWAE lower bound, so the "
        "approximation gap shown is a lower bound too."
    )
    st.caption(
        _(
            "Nats, after Cremer, Li & Duvenaud (2018): **approximation gap** = log p(x) − "
            "ELBO(q*), what the Gaussian family itself costs; **amortisation gap** = ELBO(q*) − "
            "ELBO(encoder), what sharing one encoder across all images costs."
        )
        + (" " + bound if led.log_px_is_bound else " ")
    )
    st.plotly_chart(
        fit_figure(
            figs.iwae_figure(
                led.iwae, led.log_px, led.log_px_is_bound, led.elbo_q_star, led.elbo_encoder
            )
        ),
        key="inference_iwae",
    )
    st.caption(
        _(
            "The importance-weighted bound (Burda et al. 2015) for K = 1 … 5000 samples of the "
            "encoder's q: {first:.2f} at K = 1 (the ELBO), {last:.2f} at K = 5000, climbing "
            "towards log p(x)."
        ).format(first=led.iwae.bound[0], last=led.iwae.bound[-1])
    )
    if led.multi_modal:
        far = led.exact.far_mass if led.exact is not None else 0.0
        st.warning(
            _(
                "**Several modes.** {far:.0%} of this posterior's mass lies far from the "
                "encoder's answer: the image could be explained by quite different codes. One "
                "Gaussian can cover only one of them, so the approximation gap is large, and the "
                "MCMC chain, started at the encoder's mean, stays in the encoder's mode and "
                "misses the others."
            ).format(far=far),
            icon=":material/call_split:",
        )
    elif led.multi_modal is False:
        st.caption(
            _(":material/check: One mode: the posterior's mass is near the encoder's answer.")
        )


def show_gaps(ckpt: Checkpoint, images: Images, chosen: Chosen, led: Ledger) -> None:
    """Both gaps over the first test images, the largest to open, where this image stands."""
    n = min(GAP_IMAGES, len(images.x))
    st.subheader(_("Both gaps over {n} test images").format(n=n))
    asked: set[str] = st.session_state.setdefault(state.INFERENCE_GAPS, set())
    key = f"{ckpt.path}|{images.source}"
    if key not in asked:
        if st.button(
            _("Compute the gaps over {n} test images (about half a minute)").format(n=n),
            key="inference_gaps_go",
        ):
            asked.add(key)
        else:
            if chosen.index is None:
                st.caption(
                    _("Compute them to compare your upload's amortisation gap with the test set's.")
                )
            return
    with st.spinner(_("Exact posteriors and SVI for {n} images…").format(n=n)):
        g = data.gaps(ckpt, images.source, images.x, n)
    st.plotly_chart(
        fit_figure(figs.gaps_figure(g, (led.approximation_gap, led.amortisation_gap))),
        key="inference_gaps",
    )
    st.caption(
        _(
            "Median approximation gap {approximation:.2f} nats, amortisation gap "
            "{amortisation:.2f} nats; the red line is the image shown above. The batch uses a "
            "cheaper SVI (100 steps), so its amortisation gaps are slight underestimates."
        ).format(approximation=np.median(g.approximation), amortisation=np.median(g.amortisation))
    )
    if chosen.index is None:
        frac = share_below(led.amortisation_gap, g.amortisation)
        if frac >= 0.9:
            st.warning(
                _(
                    "Your upload's amortisation gap ({gap:.2f} nats) is larger than {frac:.0%} of "
                    "the test images': the encoder was trained on {dataset} and guesses worse on "
                    "an image unlike them, which an optimisation for this one image (q*) repairs."
                ).format(gap=led.amortisation_gap, frac=frac, dataset=ckpt.config.dataset),
                icon=":material/travel_explore:",
            )
        else:
            st.info(
                _(
                    "Your upload's amortisation gap ({gap:.2f} nats) is within the test set's "
                    "range ({frac:.0%} of test images have a smaller one): the encoder treats it "
                    "much like a training-like image."
                ).format(gap=led.amortisation_gap, frac=frac),
                icon=":material/info:",
            )
    cols = st.columns(2)
    for col, name, title, rows, values in (
        (cols[0], "approximation", _("**Largest approximation gaps**"), g.largest_approximation,
         g.approximation),
        (cols[1], "amortisation", _("**Largest amortisation gaps**"), g.largest_amortisation,
         g.amortisation),
    ):  # fmt: skip
        with col:
            st.markdown(title)
            pics = images.x[rows] / 255.0
            show_tiles(pics, min(10, len(rows)), target=420)
            options: list[int] = [int(r) for r in rows]
            labels = {r: f"#{r}: {values[r]:.2f} nats" for r in options}
            pick = st.selectbox(
                _("Open one"),
                options,
                format_func=labels.__getitem__,
                key=f"inference_pick_{name}",
            )
            st.button(
                _("Open it above"), key=f"inference_open_{name}", on_click=open_image, args=(pick,)
            )


def show(ckpt: Checkpoint) -> None:
    """Part 2 of the page for the selected checkpoint."""
    try:
        data.latent_model(ckpt)
    except NotAutogradModel as exc:
        show_error(exc, _("This model cannot be explored here"))
        return
    images = dataset_images(ckpt)
    left, right = st.columns([1, 3], gap="medium")
    chosen = choose_image(ckpt, images, left)
    if chosen is None:
        return
    with left:
        show_image(chosen.pixels / 255.0, chosen.name, target=168)
    two_d = ckpt.config.model.latent_dim == 2
    with right:
        if not two_d:
            try:
                require_2d(data.latent_model(ckpt))
            except NeedsTwoDimensions as exc:
                st.info(
                    _("**No exact posterior here:** {reason}.").format(reason=describe(exc)),
                    icon=":material/grid_off:",
                )
        with st.spinner(_("Exact posterior, SVI and the IWAE curve for this image…")):
            led = data.ledger(ckpt, chosen.key, chosen.pixels)
        view = None
        if two_d and led.exact is not None:
            with st.spinner(_("The heat map…")):
                view = data.view(ckpt, chosen.key, chosen.pixels, led.exact)
        with st.spinner(_("2,000 MCMC samples (MALA)…")):
            chain = data.chain(ckpt, chosen.key, chosen.pixels)
        svi = led.svi
        dims = (0, 1) if two_d else kl_dims(svi.mu[0], svi.logvar[0])
        steps = len(svi.mu) - 1
        step = st.slider(
            _("SVI step"), 0, steps, svi.best_step, key=f"inference_step_{chosen.key}",
            help=_("Scrub q along its path from the encoder's answer (step 0) to q*."),
        )  # fmt: skip
        ok = chain.status == "ok"
        d = list(dims)
        layers = figs.MapLayers(
            dims=dims,
            encoder_mu=svi.mu[0, d],
            encoder_sd=np.exp(0.5 * svi.logvar[0, d]),
            svi_mu=svi.mu[:, d],
            svi_sd=np.exp(0.5 * svi.logvar[:, d]),
            step=step,
            best_step=svi.best_step,
            samples=chain.samples[:, d] if ok else None,
            chain_path=chain.path[:, d] if ok else None,
        )
        st.plotly_chart(fit_figure(figs.posterior_map(view, layers)), key="inference_map")
        where = (
            ""
            if two_d
            else " "
            + _(
                "The map shows z{a} and z{b}, the two dimensions where q(z|x) is furthest from "
                "the prior."
            ).format(a=dims[0] + 1, b=dims[1] + 1)
        )
        st.caption(
            (_(SHADE) if view else "")
            + _(
                "Red: the encoder's q(z|x) at 1, 2 and 3σ. Green: q along SVI's path; q* is the "
                "best point (step {step}). Orange: MCMC samples of the true posterior."
            ).format(step=svi.best_step)
            + where
        )
        if ok:
            st.caption(
                _(
                    ":material/timeline: MALA: {n:,} samples from 4 chains started at the "
                    "encoder's mean, acceptance rate {rate:.0%}. Chains started there stay in the "
                    "encoder's mode when the posterior has several."
                ).format(n=len(chain.samples), rate=chain.acceptance_rate)
            )
        else:
            st.warning(
                _("The MCMC samples are not shown: {reason}.").format(
                    reason=describe(chain.message)
                ),
                icon=":material/warning:",
            )
    show_ledger(led)
    if two_d:
        show_gaps(ckpt, images, chosen, led)
    else:
        st.caption(
            _(
                ":material/info: The gaps over many test images need the exact log p(x): "
                "a 2-D model."
            )
        )
