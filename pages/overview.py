"""Overview: what a VAE is, and the selected model's architecture, figures and prior samples."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import state
from ui.images import show_tiles
from ui.lesson_links import lesson_links
from ui.selection import current_checkpoint
from vae.analysis.explore import decode

st.title(":material/school: What a variational autoencoder is")

intro, maths = st.columns([3, 2], gap="large")
with intro:
    st.markdown(
        """
A **variational autoencoder** (Kingma & Welling, *Auto-Encoding Variational Bayes*, 2013)
is a generative model: draw a code **z** from a simple prior p(z) = N(0, I), and a
neural network, the **decoder** p<sub>θ</sub>(x | z), turns it into an image.
The true posterior p(z | x), which codes could have made a given image, is intractable,
so a second network, the **encoder**, learns an approximate posterior
q<sub>φ</sub>(z | x) = N(μ<sub>φ</sub>(x), diag σ²<sub>φ</sub>(x)): for every image,
a small Gaussian cloud in the latent space.

Both networks are trained together by maximising the **evidence lower bound (ELBO)**:
how well images are reconstructed from codes drawn from q, minus how far q strays from
the prior. The KL term pulls every cloud towards N(0, I), so the codes fill one smooth,
dense space, and decoding any point of it gives a plausible image.

To let gradients pass through the random draw, the **reparameterisation trick** writes the
sample as a deterministic function of the encoder's outputs and independent noise ε.
        """,
        unsafe_allow_html=True,
    )
with maths:
    st.markdown("**The reparameterisation trick:**")
    st.latex(r"z = \mu_\phi(x) + \sigma_\phi(x) \odot \varepsilon,\qquad \varepsilon\sim N(0, I)")
    st.markdown("**The KL term in closed form** for a Gaussian q and prior:")
    st.latex(
        r"D_{\mathrm{KL}} = -\tfrac12 \sum_{j=1}^{J}"
        r"\left(1 + \log\sigma_j^2 - \mu_j^2 - \sigma_j^2\right)"
    )

st.markdown("**The evidence lower bound**, maximised over the decoder θ and the encoder φ:")
st.latex(
    r"\log p_\theta(x) \;\ge\; \mathcal{L}(\theta,\phi;x) = "
    r"\underbrace{\mathbb{E}_{q_\phi(z\mid x)}\big[\log p_\theta(x\mid z)\big]}"
    r"_{\text{reconstruction}} \;-\; "
    r"\underbrace{D_{\mathrm{KL}}\big(q_\phi(z\mid x)\,\|\,p(z)\big)}_{\text{KL}}"
)
st.caption(
    "The losses on these pages are −ℒ in nats per image: reconstruction plus KL, lower is better."
)

lesson_links()

ckpt = current_checkpoint()
model_cfg, train_cfg, metrics = ckpt.config.model, ckpt.config.train, ckpt.metrics

st.header(f":material/deployed_code: The selected model: {ckpt.name}", divider="gray")


def _figure(key: str) -> str:
    value = metrics.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "n/a"
    return f"{value:.2f}" if np.isfinite(value) else "n/a"


cols = st.columns(5)
cols[0].metric(
    "Test −ELBO (nats)",
    _figure("test_elbo"),
    help="Negative ELBO per test image: reconstruction + KL. Lower is better. With a Gaussian "
    "decoder on continuous pixels it is a density, so it can be negative.",
)
cols[1].metric(
    "Reconstruction (nats)",
    _figure("test_recon"),
    help="−E_q[log p(x|z)] per test image: how many nats the decoder needs to describe x.",
)
cols[2].metric(
    "KL (nats)",
    _figure("test_kl"),
    help="KL(q(z|x) ‖ p(z)) per test image: the information the code carries about x.",
)
cols[3].metric(
    "Active units",
    f"{metrics.get('active_units', 'n/a')} / {model_cfg.latent_dim}",
    help="Latent dimensions whose mean code varies across the test set (Burda et al. 2016); "
    "the rest have collapsed to the prior and carry no information.",
)
cols[4].metric(
    "IWAE bound (nats)",
    _figure("iwae_nll"),
    help="A tighter estimate of −log p(x) from importance-weighted samples, when computed.",
)

arch, samples = st.columns([2, 3], gap="large")
with arch:
    st.subheader("Architecture and training")
    c, h, w = model_cfg.image_shape
    kind = "convolutional" if model_cfg.arch == "conv" else "fully connected (MLP)"
    layers = "channels" if model_cfg.arch == "conv" else "hidden units"
    decoder = {
        "bernoulli": "Bernoulli (pixel intensities in [0, 1])",
        "gaussian": "Gaussian with a learned per-pixel scale",
    }[model_cfg.likelihood]
    if ckpt.imported and model_cfg.likelihood == "gaussian":
        decoder = "Gaussian with the per-pixel scale its folder gives"
    hidden = ", ".join(map(str, model_cfg.hidden_dims))
    channels = f"images {h}×{w}, {c} channel{'s' if c > 1 else ''}"
    if ckpt.imported:
        n = metrics.get("test_images")
        shown = f"{n:,} images from the folder" if isinstance(n, int) else "the folder's images"
        st.markdown(
            f"""
- **Model:** an imported ONNX model (encoder.onnx and decoder.onnx, run by onnxruntime)
- **Data:** {ckpt.config.dataset}, {channels}; the figures above are on {shown}
- **Latent size:** {model_cfg.latent_dim}
- **Decoder likelihood:** {decoder}
- **Parameters:** {model_cfg.parameter_count():,} (the weights of the two graphs)
"""
        )
        st.caption(
            "It was trained elsewhere: its layers are whatever its author exported, and it "
            "has no training history here."
        )
    else:
        st.markdown(
            f"""
- **Data set:** {ckpt.config.dataset}, {channels}
- **Encoder and decoder:** {kind}, {layers} {hidden}
- **Latent size:** {model_cfg.latent_dim}
- **Decoder likelihood:** {decoder}
- **Parameters:** {model_cfg.parameter_count():,}
- **Training:** {ckpt.epoch} of {train_cfg.epochs} epochs, batch size {train_cfg.batch_size}, \
Adam with learning rate {train_cfg.lr:g}, β = {train_cfg.beta:g}
"""
        )
with samples:
    st.subheader("Samples from the prior")
    st.caption(
        "Each tile decodes a fresh z ~ N(0, I): what the model generates with no input image."
    )
    seed = int(st.session_state.get(state.OVERVIEW_SEED, 0))
    z = np.random.default_rng(seed).standard_normal((64, model_cfg.latent_dim))
    with st.spinner("Decoding samples…"):
        show_tiles(decode(ckpt.model, z), nrow=8, target=448)
    if st.button(
        "Draw new samples",
        icon=":material/casino:",
        help="Draw 64 new codes from the prior and decode them.",
    ):
        st.session_state[state.OVERVIEW_SEED] = seed + 1
        st.rerun()
