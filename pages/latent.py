"""Latent space: every test image encoded to mu; select points to see them and their codes.

Tabs: the map (with the prior and the aggregate posterior), hover-to-decode in the browser
(2-D models), samples from q(z|x), and the space forming over training. The teaching aids
live in ui/latent_aids.py and ui/latent_hover.py.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import latent_aids as aids
from ui import latent_hover as hover
from ui import plots, state
from ui.i18n import N_, _
from ui.images import show_tiles
from ui.lessons import fit_figure
from ui.plots import add_prior_contours, add_sigma_ellipses, latent_scatter, selected_rows
from ui.projections import projection
from ui.selection import current_checkpoint
from ui.tables import data_frame
from ui.testset import Images, dataset_images, encoded
from vae import Checkpoint
from vae.analysis.explore import reconstruct

SHOWN = 24  # selected images shown at most
VIEWS = (N_("Two latent dimensions"), "PCA", "t-SNE", "UMAP")  # values: shown through _()
NONLINEAR = ("t-SNE", "UMAP")

st.title(_(":material/scatter_plot: The latent space"))
st.caption(
    _(
        "Every test image, encoded to the mean μ of its approximate posterior q(z|x): one point "
        "per image. Images the model finds alike land close together; the KL term pulls the "
        "whole cloud towards the prior N(0, I), the distribution new images are sampled from."
    )
)

ckpt = current_checkpoint()
images = dataset_images(ckpt)
mu, sigma = encoded(ckpt, images)
n, d = mu.shape


view, dims = VIEWS[0], (0, min(1, d - 1))
if d > 2:
    left, _blank = st.columns([3, 2], vertical_alignment="bottom")
    with left:
        view = (
            st.segmented_control(
                _("View"),
                VIEWS,
                default=VIEWS[0],
                format_func={v: _(v) for v in VIEWS}.__getitem__,  # looked up: no _() later
                key="latent_view",
                help=_(
                    "Two latent dimensions as they are, or a 2-D projection of all of them: "
                    "PCA (linear, keeps distances on the largest axes), t-SNE (non-linear, keeps "
                    "neighbours, distorts distances) or UMAP (non-linear, keeps neighbours and "
                    "more of the overall layout)."
                ),
            )
            or VIEWS[0]
        )
        if view == VIEWS[0]:
            a, b = st.columns(2)
            names = [f"z{i + 1}" for i in range(d)]
            dx = a.selectbox(
                _("Horizontal axis"),
                range(d),
                0,
                format_func=names.__getitem__,
                key="latent_dx",
                help=_("The latent dimension along the x axis."),
            )
            dy = b.selectbox(
                _("Vertical axis"),
                range(d),
                1,
                format_func=names.__getitem__,
                key="latent_dy",
                help=_("The latent dimension along the y axis."),
            )
            dims = (dx, dy)
on_axes = view == VIEWS[0] and d > 1


def show_map() -> tuple[list[int], bool]:
    """The scatter of every code mu, with the prior and q(z) overlays.

    Returns the selected rows and whether the prior contours are on.
    """
    a, b = st.columns(2)
    prior = a.toggle(
        _("Prior N(0, I) contours"),
        value=True,
        key="latent_prior",
        disabled=not on_axes,
        help=_(
            "Circles at 1, 2 and 3 standard deviations of the prior p(z), the distribution "
            "samples are drawn from. Only on latent axes, not on projections."
        ),
    )
    density = b.toggle(
        _("Shade where q(z) is thin"),
        value=False,
        key="latent_density",
        disabled=not on_axes,
        help=_(
            "Shade the map by the aggregate posterior q(z), the average of every image's "
            "q(z|x): dark where few codes land. Only on latent axes."
        ),
    )
    if view == VIEWS[0]:
        rows = np.arange(n)
        if d == 1:
            jitter = np.random.default_rng(0).uniform(-0.5, 0.5, size=(n,)).astype(np.float32)
            xy, titles = (
                np.column_stack([mu[:, 0], jitter]),
                ("z1", _("random jitter (no meaning)")),
            )
        else:
            xy, titles = mu[:, list(dims)], (f"z{dims[0] + 1}", f"z{dims[1] + 1}")
    else:
        got = projection(ckpt, images, mu, view)
        if got is None:
            return [], False
        rows, xy = got
        titles = (f"{view} 1", f"{view} 2") if view in NONLINEAR else ("PC 1", "PC 2")
        if len(rows) < n:
            st.caption(
                _(
                    ":material/info: {view} shows a random subsample of {shown:,} of the "
                    "{n:,} images, since it would be slow on all of them."
                ).format(view=view, shown=len(rows), n=n)
            )

    fig = latent_scatter(xy, rows, images.y[rows], images.shown_classes, titles, equal_axes=on_axes)
    if prior and on_axes:
        add_prior_contours(fig)
    if density and on_axes:
        aids.show_density(fig, ckpt, images, mu, sigma, dims)

    chart_key = f"latent_chart_{ckpt.name}_{view}_{dims}"
    st.caption(
        _(
            "{n:,} points from {source}. Hover for label and index; click a point, "
            "or drag a box or lasso, to see the images (double-click to clear)."
        ).format(n=len(rows), source=images.source_text)
    )
    event = st.plotly_chart(
        fit_figure(fig),
        key=chart_key,
        on_select="rerun",
        selection_mode=("points", "box", "lasso"),
        config=plots.MAP_CONFIG,
    )
    return selected_rows(event, n), bool(prior and on_axes)


def show_selection(ckpt: Checkpoint, images: Images, chosen: list[int], prior: bool) -> None:
    """Inputs beside their reconstructions, a table of codes, and the hand-off to the Decoder."""
    shown = chosen[:SHOWN]
    if len(chosen) > SHOWN:
        heading = _("Selected images (the first {shown} of {n})").format(shown=SHOWN, n=len(chosen))
    else:
        heading = _("Selected images")
    st.subheader(heading)
    recon, loss = reconstruct(ckpt.model, images.x[shown])
    nrow = min(len(shown), 8)
    a, b = st.columns(2)
    with a:
        show_tiles(images.x[shown] / 255.0, nrow, _("Inputs x"), target=360)
    with b:
        show_tiles(recon, nrow, _("Reconstructions: the decoder's mean at z = μ(x)"), target=360)

    def fmt(v: np.ndarray) -> str:
        return ", ".join(f"{t:+.2f}" for t in v[:4]) + (", …" if len(v) > 4 else "")

    mean_sigma, neg_elbo = _("mean σ"), _("−ELBO (nats)")
    table = data_frame(
        {
            _("index"): shown,
            _("label"): [images.shown_class(int(images.y[i])) for i in shown],
            "μ": [fmt(mu[i]) for i in shown],
            "σ": [fmt(sigma[i]) for i in shown],
            mean_sigma: sigma[shown].mean(1),
            neg_elbo: loss,
        }
    )
    left, right = st.columns([3, 2], gap="medium") if on_axes else (st.container(), None)
    left.dataframe(
        table,
        hide_index=True,
        column_config={
            mean_sigma: st.column_config.NumberColumn(format="%.3f"),
            neg_elbo: st.column_config.NumberColumn(format="%.1f"),
        },
    )
    left.caption(
        _(
            "σ is the encoder's uncertainty: how far the code could move and still explain the "
            "image. Small σ on a dimension means the code pins it down; σ near 1 means that "
            "dimension carries nothing about this image."
        )
    )
    if right is not None:
        m, s = mu[shown][:, list(dims)], sigma[shown][:, list(dims)]
        lo, hi = (m - 2 * s).min(0), (m + 2 * s).max(0)
        pad = 0.1 * (hi - lo).max() + 0.05
        titles = (f"z{dims[0] + 1}", f"z{dims[1] + 1}")
        zoom = latent_scatter(m, np.asarray(shown), images.y[shown], images.shown_classes, titles)
        add_sigma_ellipses(zoom, m, s)
        if prior:
            add_prior_contours(zoom)
        zoom.update_layout(dragmode="pan", showlegend=False, height=340, margin={"t": 10})
        zoom.update_xaxes(range=[lo[0] - pad, hi[0] + pad])
        zoom.update_yaxes(range=[lo[1] - pad, hi[1] + pad])
        right.plotly_chart(fit_figure(zoom), key="latent_zoom")
        right.caption(
            _("The selected codes μ with one-σ ellipses of q(z|x), the encoder's Gaussian.")
        )
    pick, go_btn, draw_btn = st.columns([4, 2, 2], vertical_alignment="bottom")
    row = pick.selectbox(
        _("Image to open in the Decoder"),
        shown,
        format_func={
            i: f"#{i} ({images.shown_class(int(images.y[i]))})" for i in shown
        }.__getitem__,
        key="latent_send_row",
        help=_("The Decoder page starts its sliders at this image's code μ."),
    )
    if go_btn.button(_("Open in the Decoder"), icon=":material/tune:", type="primary"):
        st.session_state[state.DECODER_HANDOFF] = {
            "run": ckpt.name,
            "z": [float(v) for v in mu[row]],
            "source": _("test image #{row} ({label})").format(
                row=row, label=images.shown_class(int(images.y[row]))
            ),
        }
        st.switch_page("pages/decoder.py")
    draw_btn.button(
        _("Samples from q(z|x)"),
        icon=":material/casino:",
        on_click=aids.sample_this,
        args=(row,),
        help=_("Draw codes from this image's q(z|x) and decode them."),
    )


# The tabs show (and write into ?view=) the reader's language; the code keeps the English names.
views, shown_views = aids.tabs_for(d), aids.shown_tabs(d)
tabs = dict(
    zip(
        views,
        st.tabs(shown_views, key=state.VIEW_PARAM, on_change="rerun", bind="query-params"),
        strict=True,
    )
)
with tabs[aids.MAP_TAB]:
    if tabs[aids.MAP_TAB].open is not False:
        chosen, prior = show_map()
        if chosen:
            if st.session_state.get(state.LATENT_FOCUS) != chosen[0]:
                st.session_state[state.LATENT_FOCUS] = chosen[0]
                st.session_state.pop(state.LATENT_ENC_ROW, None)
            show_selection(ckpt, images, chosen, prior)
        else:
            st.info(
                _(
                    "Select points on the map to see the images, their reconstructions and their "
                    "codes."
                ),
                icon=":material/touch_app:",
            )
if aids.HOVER_TAB in tabs:
    with tabs[aids.HOVER_TAB]:
        if tabs[aids.HOVER_TAB].open:
            hover.show_hover(ckpt, images, mu)
with tabs[aids.SAMPLES_TAB]:
    if tabs[aids.SAMPLES_TAB].open:
        if not on_axes and d > 1:
            st.caption(
                _(":material/info: The small map shows {dims}.").format(dims=aids.dims_name(dims))
            )
        aids.show_encoder_samples(ckpt, images, mu, dims)
with tabs[aids.TRAINING_TAB]:
    if tabs[aids.TRAINING_TAB].open:
        if view in NONLINEAR:
            st.caption(
                _(
                    ":material/info: {view} cannot place every epoch on the same axes; the replay "
                    "uses PCA of the final epoch instead."
                ).format(view=view)
            )
        aids.show_formation(ckpt, dims if on_axes and d > 2 else None)
