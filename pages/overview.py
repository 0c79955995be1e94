"""Overview: what a VAE is, and the selected model's architecture, figures and prior samples."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import state
from ui.i18n import _, ngettext
from ui.images import show_tiles
from ui.lesson_links import lesson_links
from ui.selection import current_checkpoint, current_cover
from vae.analysis.pictures import from_pixels
from vae.analysis.stored_samples import SEED, prior_codes

st.title(":material/school: " + _("What a variational autoencoder is"))

intro, maths = st.columns([3, 2], gap="large")
with intro:
    st.markdown(
        "\n\n".join(
            (
                _(
                    "A **variational autoencoder** (Kingma & Welling, *Auto-Encoding Variational "
                    "Bayes*, 2013) is a generative model: draw a code **z** from a simple prior "
                    "p(z) = N(0, I), and a neural network, the **decoder** p<sub>θ</sub>(x | z), "
                    "turns it into an image. The true posterior p(z | x), which codes could have "
                    "made a given image, is intractable, so a second network, the **encoder**, "
                    "learns an approximate posterior q<sub>φ</sub>(z | x) = N(μ<sub>φ</sub>(x), "
                    "diag σ²<sub>φ</sub>(x)): for every image, a small Gaussian cloud in the "
                    "latent space."
                ),
                _(
                    "Both networks are trained together by maximising the **evidence lower bound "
                    "(ELBO)**: how well images are reconstructed from codes drawn from q, minus "
                    "how far q strays from the prior. The KL term pulls every cloud towards "
                    "N(0, I), so the codes fill one smooth, dense space, and decoding any point "
                    "of it gives a plausible image."
                ),
                _(
                    "To let gradients pass through the random draw, the **reparameterisation "
                    "trick** writes the sample as a deterministic function of the encoder's "
                    "outputs and independent noise ε."
                ),
            )
        ),
        unsafe_allow_html=True,
    )
with maths:
    st.markdown(_("**The reparameterisation trick:**"))
    st.latex(r"z = \mu_\phi(x) + \sigma_\phi(x) \odot \varepsilon,\qquad \varepsilon\sim N(0, I)")
    st.markdown(_("**The KL term in closed form** for a Gaussian q and prior:"))
    st.latex(
        r"D_{\mathrm{KL}} = -\tfrac12 \sum_{j=1}^{J}"
        r"\left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)"
    )

st.markdown(_("**The evidence lower bound**, maximised over the decoder θ and the encoder φ:"))
st.latex(
    r"\log p_\theta(x) \;\ge\; \mathcal{L}(\theta,\phi;x) = "
    r"\underbrace{\mathbb{E}_{q_\phi(z\mid x)}\big[\log p_\theta(x\mid z)\big]}"
    r"_{\text{reconstruction}} \;-\; "
    r"\underbrace{D_{\mathrm{KL}}\big(q_\phi(z\mid x)\,\|\,p(z)\big)}_{\text{KL}}"
)
st.caption(
    _(
        "The losses on these pages are −ℒ in nats per image: reconstruction plus KL, lower is "
        "better."
    )
)

lesson_links()

seed = int(st.session_state.get(state.OVERVIEW_SEED, SEED))
cover = current_cover()  # the run's files and first samples, stored: no weights loaded yet
ckpt = cover if cover is not None else current_checkpoint()
model_cfg, train_cfg, metrics = ckpt.config.model, ckpt.config.train, ckpt.metrics

st.header(
    ":material/deployed_code: " + _("The selected model: {name}").format(name=ckpt.name),
    divider="gray",
)


def _figure(key: str) -> str:
    value = metrics.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _("n/a")
    return f"{value:.2f}" if np.isfinite(value) else _("n/a")


cols = st.columns(5)
cols[0].metric(
    _("Test −ELBO (nats)"),
    _figure("test_elbo"),
    help=_(
        "Negative ELBO per test image: reconstruction + KL. Lower is better. With a Gaussian "
        "decoder on continuous pixels it is a density, so it can be negative."
    ),
)
cols[1].metric(
    _("Reconstruction (nats)"),
    _figure("test_recon"),
    help=_("−E_q[log p(x|z)] per test image: how many nats the decoder needs to describe x."),
)
cols[2].metric(
    _("KL (nats)"),
    _figure("test_kl"),
    help=_("KL(q(z|x) ‖ p(z)) per test image: the information the code carries about x."),
)
cols[3].metric(
    _("Active units"),
    f"{metrics.get('active_units', _('n/a'))} / {model_cfg.latent_dim}",
    help=_(
        "Latent dimensions whose mean code varies across the test set (Burda et al. 2016); "
        "the rest have collapsed to the prior and carry no information."
    ),
)
cols[4].metric(
    _("IWAE bound (nats)"),
    _figure("iwae_nll"),
    help=_("A tighter estimate of −log p(x) from importance-weighted samples, when computed."),
)


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


arch, samples = st.columns([2, 3], gap="large")
with arch:
    st.subheader(_("Architecture and training"))
    c, h, w = model_cfg.image_shape
    kind = _("convolutional") if model_cfg.arch == "conv" else _("fully connected (MLP)")
    layers = _("channels") if model_cfg.arch == "conv" else _("hidden units")
    decoder = {
        "bernoulli": _("Bernoulli (pixel intensities in [0, 1])"),
        "gaussian": _("Gaussian with a learned per-pixel scale"),
    }[model_cfg.likelihood]
    if ckpt.imported and model_cfg.likelihood == "gaussian":
        decoder = _("Gaussian with the per-pixel scale its folder gives")
    hidden = ", ".join(map(str, model_cfg.hidden_dims))
    channels = ngettext("images {h}×{w}, {c} channel", "images {h}×{w}, {c} channels", c).format(
        h=h, w=w, c=c
    )
    dataset, latent = ckpt.config.dataset, model_cfg.latent_dim
    if ckpt.imported:
        n = metrics.get("test_images")
        shown = (
            _("{n:,} images from the folder").format(n=n)
            if isinstance(n, int)
            else _("the folder's images")
        )
        st.markdown(
            _bullets(
                [
                    _(
                        "**Model:** an imported ONNX model (encoder.onnx and decoder.onnx, run "
                        "by onnxruntime)"
                    ),
                    _("**Data:** {dataset}, {channels}; the figures above are on {shown}").format(
                        dataset=dataset, channels=channels, shown=shown
                    ),
                    _("**Latent size:** {latent}").format(latent=latent),
                    _("**Decoder likelihood:** {decoder}").format(decoder=decoder),
                    _("**Parameters:** {count:,} (the weights of the two graphs)").format(
                        count=model_cfg.parameter_count()
                    ),
                ]
            )
        )
        st.caption(
            _(
                "It was trained elsewhere: its layers are whatever its author exported, and it "
                "has no training history here."
            )
        )
    else:
        st.markdown(
            _bullets(
                [
                    _("**Data set:** {dataset}, {channels}").format(
                        dataset=dataset, channels=channels
                    ),
                    _("**Encoder and decoder:** {kind}, {layers} {hidden}").format(
                        kind=kind, layers=layers, hidden=hidden
                    ),
                    _("**Latent size:** {latent}").format(latent=latent),
                    _("**Decoder likelihood:** {decoder}").format(decoder=decoder),
                    _("**Parameters:** {count:,}").format(count=model_cfg.parameter_count()),
                    _(
                        "**Training:** {epoch} of {epochs} epochs, batch size {batch}, Adam "
                        "with learning rate {lr:g}, β = {beta:g}"
                    ).format(
                        epoch=ckpt.epoch,
                        epochs=train_cfg.epochs,
                        batch=train_cfg.batch_size,
                        lr=train_cfg.lr,
                        beta=train_cfg.beta,
                    ),
                ]
            )
        )
with samples:
    st.subheader(_("Samples from the prior"))
    st.caption(
        _("Each tile decodes a fresh z ~ N(0, I): what the model generates with no input image.")
    )
    if cover is not None and seed == SEED:
        show_tiles(from_pixels(cover.samples), nrow=8, target=448)
    else:
        from vae.analysis.explore import decode  # torch: a new draw needs the model

        model = current_checkpoint().model
        with st.spinner(_("Decoding samples…")):
            show_tiles(decode(model, prior_codes(model_cfg.latent_dim, seed)), nrow=8, target=448)
    if st.button(
        _("Draw new samples"),
        icon=":material/casino:",
        help=_("Draw 64 new codes from the prior and decode them."),
    ):
        st.session_state[state.OVERVIEW_SEED] = seed + 1
        st.rerun()
