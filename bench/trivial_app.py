"""The reference for the browser figures: a Streamlit page that only redraws an image.

One slider; each move reruns the script, which makes a 280 x 280 grey picture from the
value and shows it with st.image, as the Decoder page shows its decoded image.
"""

import numpy as np
import streamlit as st

st.title("Trivial image page")
v = st.slider("value", -3.0, 3.0, 0.0, step=0.05, format="%.2f")
x = np.linspace(0.0, 1.0, 28, dtype=np.float32)
pic = np.clip(np.outer(x, x) * 255 * (v + 3) / 6, 0, 255).astype(np.uint8)
st.image(pic.repeat(10, 0).repeat(10, 1), width=280, output_format="PNG")
