"""The reference for page visits: a Streamlit app with the explorer's nine pages, each trivial.

The same sidebar navigation (titles and url paths as in app.py), and each page only draws
its heading and one 280 x 280 grey picture, as bench/trivial_app.py does.
"""

from collections.abc import Callable

import numpy as np
import streamlit as st

PAGES = [
    ("overview", "Overview", "What a variational autoencoder is"),
    ("training", "Training", "Training"),
    ("latent", "Latent space", "The latent space"),
    ("decoder", "Decoder", "The decoder"),
    ("reconstructions", "Reconstructions", "Reconstructions"),
    ("interpolate", "Interpolation", "Interpolation"),
    ("inference", "Inference", "Inference"),
    ("compare", "Compare models", "Compare two models"),
    ("lessons", "Lessons", "Lessons"),
]


def page(heading: str, shade: float) -> Callable[[], None]:
    def draw() -> None:
        st.title(heading)
        x = np.linspace(0.0, 1.0, 28, dtype=np.float32)
        pic = (np.outer(x, x) * 255 * shade).astype(np.uint8)
        st.image(pic.repeat(10, 0).repeat(10, 1), width=280, output_format="PNG")

    return draw


st.set_page_config(page_title="Trivial pages", layout="wide", initial_sidebar_state="expanded")
pages = [
    st.Page(page(heading, (i + 1) / len(PAGES)), title=title, url_path=path)
    for i, (path, title, heading) in enumerate(PAGES)
]


def home() -> None:
    """`/` opens /overview, as app.py's hidden home page does (a default page has no path)."""
    st.switch_page(pages[0])


navigation = st.navigation(
    [st.Page(home, url_path="home", default=True, visibility="hidden"), *pages]
)
navigation.run()
