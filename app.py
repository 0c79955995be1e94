"""The VAE latent-space explorer: page config, the sidebar checkpoint picker, navigation.

Run with `streamlit run app.py`. Checkpoints are the run folders under VAE_CHECKPOINT_DIR
(default: checkpoints/ beside this file).
"""

from __future__ import annotations

import streamlit as st

from pages.common import CHECKPOINT_KEY, take_link_run, write_link_run
from vae.runfolder.runs import RunSummary, checkpoint_dir, default_run, list_runs

st.set_page_config(
    page_title="VAE latent space explorer",
    page_icon=":material/blur_on:",
    layout="wide",
    initial_sidebar_state="expanded",
)

PAGES = [
    st.Page(
        "pages/overview.py",
        title="Overview",
        icon=":material/school:",
        url_path="overview",
    ),
    st.Page(
        "pages/training.py",
        title="Training",
        icon=":material/model_training:",
        url_path="training",
    ),
    st.Page(
        "pages/latent.py", title="Latent space", icon=":material/scatter_plot:", url_path="latent"
    ),
    st.Page("pages/decoder.py", title="Decoder", icon=":material/tune:", url_path="decoder"),
    st.Page(
        "pages/reconstructions.py",
        title="Reconstructions",
        icon=":material/compare:",
        url_path="reconstructions",
    ),
    st.Page(
        "pages/interpolate.py",
        title="Interpolation",
        icon=":material/conversion_path:",
        url_path="interpolate",
    ),
    st.Page(
        "pages/compare.py",
        title="Compare models",
        icon=":material/compare_arrows:",
        url_path="compare",
    ),
]


def _home() -> None:
    """`/` opens the Overview at its own address, /overview, keeping the link's parameters."""
    st.switch_page(PAGES[0], query_params=st.query_params.to_dict())


HOME = st.Page(_home, title="Overview", url_path="home", default=True, visibility="hidden")


def checkpoint_picker() -> None:
    """The sidebar select box over every usable run; broken runs are listed as errors."""
    runs = list_runs()
    usable: dict[str, RunSummary] = {r.name: r for r in runs if r.ok}
    st.sidebar.subheader(":material/deployed_code: Model")
    if not usable:
        st.sidebar.info(
            f"No usable checkpoints in `{checkpoint_dir()}`. Train one on the Training page.",
            icon=":material/info:",
        )
        st.session_state.pop(CHECKPOINT_KEY, None)
    else:
        take_link_run(list(usable), default_run(runs))
        chosen = st.session_state.get(CHECKPOINT_KEY)
        if chosen is not None and chosen not in usable:
            fallback = default_run(runs)
            st.sidebar.error(
                f"The checkpoint **{chosen}** you had selected is gone or no longer loads "
                f"(deleted, moved or broken on disk). Showing **{fallback}** instead; restore "
                "the folder and reload to use it again.",
                icon=":material/folder_off:",
            )
            chosen = None
        if chosen is None:
            st.session_state[CHECKPOINT_KEY] = default_run(runs)
        st.sidebar.selectbox(
            "Checkpoint",
            options=list(usable),
            format_func=lambda name: usable[name].label,
            key=CHECKPOINT_KEY,
            help="A trained run folder: its data set, latent size z and test −ELBO "
            "in nats per image (lower is better).",
        )
        run = usable[st.session_state[CHECKPOINT_KEY]]
        write_link_run(run.name)
        elbo = "n/a" if run.test_elbo is None else f"{run.test_elbo:.2f} nats"
        st.sidebar.caption(
            f"**{run.name}**: {run.dataset}, {run.arch} with latent size {run.latent_dim}, "
            f"test −ELBO {elbo}. Every page uses this model; the choice holds across pages."
        )
    for run in runs:
        if not run.ok:
            st.sidebar.error(
                f"**{run.name}** cannot be used: {run.error}", icon=":material/broken_image:"
            )


navigation = st.navigation([HOME, *PAGES])
checkpoint_picker()
st.sidebar.divider()
st.sidebar.caption(
    "After Kingma & Welling, *Auto-Encoding Variational Bayes* (2013). "
    "Losses are in nats per image."
)
navigation.run()
