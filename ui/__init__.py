"""The app's shared Streamlit code: what the pages in pages/ call to select, show and draw.

state.py            every session-state key and query parameter that code reads or writes
selection.py        the sidebar checkpoint picker, the selected and cached checkpoint, ?run= links
testset.py          the test images a page shows, and their codes (cached)
errors.py           show_error: a message a person can act on, never a trace
images.py           pictures at a visible size, tiles, the upload widget
plots.py            the latent scatter and its overlays (plotly)
latent_*.py         the Latent page's teaching aids and their figures
decoder_parts.py    the Decoder page's point, manifold and KL bars
streamlit_compat.py the one workaround for Streamlit's legacy pages/ discovery
"""
