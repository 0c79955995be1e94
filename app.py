"""The VAE latent-space explorer: page config, the sidebar checkpoint picker, navigation.

The pages are the scripts in pages/, registered here and nowhere else; what they share is
in ui/, the core they call is vae/.

Run with `streamlit run app.py`. Checkpoints are the run folders under VAE_CHECKPOINT_DIR
(default: checkpoints/ beside this file).
"""

from __future__ import annotations

import streamlit as st

from ui.i18n import _, choose_language, language_selector
from ui.job_queue import keep_queue_moving
from ui.lessons import lesson_frame
from ui.run_times import timed_run
from ui.selection import checkpoint_picker
from ui.state import CHECKPOINT
from ui.streamlit_compat import app_run, prefetch_charts
from ui.warmup import after_page, page_run
from vae.runfolder.runs import checkpoint_dir

choose_language()  # ?lang=, the session's choice or the browser's; before any text
st.set_page_config(
    page_title=_("VAE latent space explorer"),
    page_icon=":material/blur_on:",
    layout="wide",
    initial_sidebar_state="expanded",
)

PAGES = [
    st.Page(
        "pages/overview.py",
        title=_("Overview"),
        icon=":material/school:",
        url_path="overview",
    ),
    st.Page(
        "pages/training.py",
        title=_("Training"),
        icon=":material/model_training:",
        url_path="training",
    ),
    st.Page(
        "pages/latent.py",
        title=_("Latent space"),
        icon=":material/scatter_plot:",
        url_path="latent",
    ),
    st.Page("pages/decoder.py", title=_("Decoder"), icon=":material/tune:", url_path="decoder"),
    st.Page(
        "pages/reconstructions.py",
        title=_("Reconstructions"),
        icon=":material/compare:",
        url_path="reconstructions",
    ),
    st.Page(
        "pages/interpolate.py",
        title=_("Interpolation"),
        icon=":material/conversion_path:",
        url_path="interpolate",
    ),
    st.Page(
        "pages/inference.py",
        title=_("Inference"),
        icon=":material/functions:",
        url_path="inference",
    ),
    st.Page(
        "pages/compare.py",
        title=_("Compare models"),
        icon=":material/compare_arrows:",
        url_path="compare",
    ),
    st.Page(
        "pages/lessons.py",
        title=_("Lessons"),
        icon=":material/cast_for_education:",
        url_path="lessons",
    ),
]


def _home() -> None:
    """`/` opens the Overview at its own address, /overview, keeping the link's parameters."""
    st.switch_page(PAGES[0], query_params=st.query_params.to_dict())


HOME = st.Page(_home, title=_("Overview"), url_path="home", default=True, visibility="hidden")


navigation = st.navigation([HOME, *PAGES])
lesson_frame()  # a lesson step's banner and presenter mode (?lesson=, ?step=, ?present=)
checkpoint_picker()
st.sidebar.divider()
language_selector()
st.sidebar.caption(
    _(
        "After Kingma & Welling, *Auto-Encoding Variational Bayes* (2013). "
        "Losses are in nats per image."
    )
)
with app_run(), timed_run(navigation.url_path), page_run():  # timed with $VAE_RUN_TIMES
    navigation.run()
after_page(st.session_state.get(CHECKPOINT))  # the next first visit's imports and codes
with st.sidebar:
    prefetch_charts()  # after the page: the browser loads the chart code once it has drawn it
keep_queue_moving(checkpoint_dir())  # queued training starts when a slot frees (once a process)
