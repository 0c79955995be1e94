"""The Inference page's second part: one image's posterior, its ledger, the gaps over many images.

The image is a test image by index (?image=N, by default the Latent page's selection) or an
upload through the shared upload widget. 2-D models get the exact posterior; above 2-D the
ledger's log p(x) is the K = 5000 IWAE bound and the map shows the two dimensions where
q(z|x) is furthest from the prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui import inference_data as data
from ui import inference_figures as figs
from ui import state
from ui.errors import show_error
from ui.images import show_image, show_tiles, upload_image
from ui.testset import Images, dataset_images
from vae import Checkpoint
from vae.analysis.inference import NotAutogradModel, image_id, kl_dims, share_below
from vae.inference import Ledger, NeedsTwoDimensions, require_2d

SOURCES = ("Test image", "Upload")
GAP_IMAGES = 200
SHADE = (
    "Blue: the exact posterior p(z|x), normalised by quadrature, shaded by its log (white 12 "
    "nats below the peak, so a second, fainter mode still shows). "
)


@dataclass(frozen=True)
class Chosen:
    """The image shown: its pixels (uint8 (C, H, W)), a cache identity, and words for it."""

    pixels: np.ndarray
    key: str
    name: str
    index: int | None  # its row in the test images, None for an upload


def _open_image(row: int) -> None:
    st.session_state[state.INFERENCE_SOURCE] = SOURCES[0]
    st.session_state[state.INFERENCE_IMAGE] = row


def choose_image(
    ckpt: Checkpoint, images: Images, box: st.delta_generator.DeltaGenerator
) -> Chosen | None:
    """The image picker: a test image by index, or an upload (None until there is a usable one)."""
    source = (
        box.segmented_control("Image", SOURCES, default=SOURCES[0], key=state.INFERENCE_SOURCE)
        or SOURCES[0]
    )
    if source == SOURCES[1]:
        prepared = upload_image(
            "Upload an image (PNG, JPEG, GIF, WebP)",
            key="inference_upload",
            shape=ckpt.config.model.image_shape,
            reference=images.x,
            box=box,
            report=box,
            help="Any picture; it is converted to the model's input size and colours.",
            empty="Upload a picture to see its posterior; something unlike the training images "
            "shows a larger amortisation gap.",
        )
        if prepared is None:
            return None
        return Chosen(prepared.pixels, f"upload:{image_id(prepared.pixels)}", "your upload", None)
    focus = st.session_state.get(state.LATENT_FOCUS)
    start = int(focus) if isinstance(focus, int) and 0 <= focus < len(images.x) else 0
    row = int(
        box.number_input(
            f"Test image (0 to {len(images.x) - 1})",
            0,
            len(images.x) - 1,
            start,
            key=state.INFERENCE_IMAGE,
            bind="query-params",
            help="Its index in the test set, as the Latent page shows on hover; a point "
            "selected there is the default.",
        )
    )
    label = images.class_name(int(images.y[row]))
    if focus == row:
        box.caption(":material/scatter_plot: The image selected on the Latent page.")
    return Chosen(images.x[row], f"{images.source}#{row}", f"test image #{row} ({label})", row)


def show_ledger(led: Ledger) -> None:
    """The ledger in nats, the IWAE curve, and both gaps named."""
    head = "IWAE bound on log p(x) (K = 5000)" if led.log_px_is_bound else "log p(x), exact"
    m = st.columns(5)
    m[0].metric(head, f"{led.log_px:.2f}")
    m[1].metric("ELBO(q*)", f"{led.elbo_q_star:.2f}")
    m[2].metric("ELBO(encoder)", f"{led.elbo_encoder:.2f}")
    m[3].metric("approximation gap", f"{led.approximation_gap:.2f}")
    m[4].metric("amortisation gap", f"{led.amortisation_gap:.2f}")
    st.caption(
        "Nats, after Cremer, Li & Duvenaud (2018): **approximation gap** = log p(x) − ELBO(q*), "
        "what the Gaussian family itself costs; **amortisation gap** = ELBO(q*) − ELBO(encoder), "
        "what sharing one encoder across all images costs. "
        + ("Above 2-D log p(x) is not known: the figure is the IWAE lower bound, so the "
           "approximation gap shown is a lower bound too." if led.log_px_is_bound else "")
    )  # fmt: skip
    st.plotly_chart(
        figs.iwae_figure(
            led.iwae, led.log_px, led.log_px_is_bound, led.elbo_q_star, led.elbo_encoder
        ),
        key="inference_iwae",
    )
    st.caption(
        f"The importance-weighted bound (Burda et al. 2015) for K = 1 … 5000 samples of the "
        f"encoder's q: {led.iwae.bound[0]:.2f} at K = 1 (the ELBO), {led.iwae.bound[-1]:.2f} "
        "at K = 5000, climbing towards log p(x)."
    )
    if led.multi_modal:
        far = led.exact.far_mass if led.exact is not None else 0.0
        st.warning(
            f"**Several modes.** {far:.0%} of this posterior's mass lies far from the encoder's "
            "answer: the image could be explained by quite different codes. One Gaussian can "
            "cover only one of them, so the approximation gap is large, and the MCMC chain, "
            "started at the encoder's mean, stays in the encoder's mode and misses the others.",
            icon=":material/call_split:",
        )
    elif led.multi_modal is False:
        st.caption(":material/check: One mode: the posterior's mass is near the encoder's answer.")


def show_gaps(ckpt: Checkpoint, images: Images, chosen: Chosen, led: Ledger) -> None:
    """Both gaps over the first test images, the largest to open, where this image stands."""
    st.subheader(f"Both gaps over {min(GAP_IMAGES, len(images.x))} test images")
    n = min(GAP_IMAGES, len(images.x))
    asked: set[str] = st.session_state.setdefault(state.INFERENCE_GAPS, set())
    key = f"{ckpt.path}|{images.source}"
    if key not in asked:
        if st.button(
            f"Compute the gaps over {n} test images (about half a minute)", key="inference_gaps_go"
        ):
            asked.add(key)
        else:
            if chosen.index is None:
                st.caption(
                    "Compute them to compare your upload's amortisation gap with the test set's."
                )
            return
    with st.spinner(f"Exact posteriors and SVI for {n} images…"):
        g = data.gaps(ckpt, images.source, images.x, n)
    st.plotly_chart(
        figs.gaps_figure(g, (led.approximation_gap, led.amortisation_gap)), key="inference_gaps"
    )
    st.caption(
        f"Median approximation gap {np.median(g.approximation):.2f} nats, amortisation gap "
        f"{np.median(g.amortisation):.2f} nats; the red line is the image shown above. The batch "
        "uses a cheaper SVI (100 steps), so its amortisation gaps are slight underestimates."
    )
    if chosen.index is None:
        frac = share_below(led.amortisation_gap, g.amortisation)
        if frac >= 0.9:
            st.warning(
                f"Your upload's amortisation gap ({led.amortisation_gap:.2f} nats) is larger than "
                f"{frac:.0%} of the test images': the encoder was trained on {ckpt.config.dataset} "
                "and guesses worse on an image unlike them, which an optimisation for this one "
                "image (q*) repairs.",
                icon=":material/travel_explore:",
            )
        else:
            st.info(
                f"Your upload's amortisation gap ({led.amortisation_gap:.2f} nats) is within the "
                f"test set's range ({frac:.0%} of test images have a smaller one): the encoder "
                "treats it much like a training-like image.",
                icon=":material/info:",
            )
    cols = st.columns(2)
    for col, name, rows, values in (
        (cols[0], "approximation", g.largest_approximation, g.approximation),
        (cols[1], "amortisation", g.largest_amortisation, g.amortisation),
    ):
        with col:
            st.markdown(f"**Largest {name} gaps**")
            pics = images.x[rows] / 255.0
            show_tiles(pics, min(10, len(rows)), target=420)
            options: list[int] = [int(r) for r in rows]
            labels = {r: f"#{r}: {values[r]:.2f} nats" for r in options}
            pick = st.selectbox(
                "Open one", options, format_func=labels.__getitem__, key=f"inference_pick_{name}"
            )
            st.button(
                "Open it above", key=f"inference_open_{name}", on_click=_open_image, args=(pick,)
            )


def show(ckpt: Checkpoint) -> None:
    """Part 2 of the page for the selected checkpoint."""
    try:
        data.latent_model(ckpt)
    except NotAutogradModel as exc:
        show_error(exc, "This model cannot be explored here")
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
                st.info(f"**No exact posterior here:** {exc}.", icon=":material/grid_off:")
        with st.spinner("Exact posterior, SVI and the IWAE curve for this image…"):
            led = data.ledger(ckpt, chosen.key, chosen.pixels)
        view = None
        if two_d and led.exact is not None:
            with st.spinner("The heat map…"):
                view = data.view(ckpt, chosen.key, chosen.pixels, led.exact)
        with st.spinner("2,000 MCMC samples (MALA)…"):
            chain = data.chain(ckpt, chosen.key, chosen.pixels)
        svi = led.svi
        dims = (0, 1) if two_d else kl_dims(svi.mu[0], svi.logvar[0])
        steps = len(svi.mu) - 1
        step = st.slider(
            "SVI step", 0, steps, svi.best_step, key=f"inference_step_{chosen.key}",
            help="Scrub q along its path from the encoder's answer (step 0) to q*.",
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
        st.plotly_chart(figs.posterior_map(view, layers), key="inference_map")
        where = (
            ""
            if two_d
            else f" The map shows z{dims[0] + 1} and z{dims[1] + 1}, the two dimensions where "
            "q(z|x) is furthest from the prior."
        )
        st.caption(
            (SHADE if view else "")
            + "Red: the encoder's q(z|x) at 1, 2 and 3σ. Green: q along SVI's path; q* is the best "
            f"point (step {svi.best_step}). Orange: MCMC samples of the true posterior." + where
        )  # fmt: skip
        if ok:
            st.caption(
                f":material/timeline: MALA: {len(chain.samples):,} samples from 4 chains started "
                f"at the encoder's mean, acceptance rate {chain.acceptance_rate:.0%}. Chains "
                "started there stay in the encoder's mode when the posterior has several."
            )
        else:
            st.warning(
                f"The MCMC samples are not shown: {chain.message}.", icon=":material/warning:"
            )
    show_ledger(led)
    if two_d:
        show_gaps(ckpt, images, chosen, led)
    else:
        st.caption(
            ":material/info: The gaps over many test images need the exact log p(x): a 2-D model."
        )
