"""Reconstructions: inputs beside what the model gives back, ranked by loss; upload your own."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from ui.errors import show_error
from ui.i18n import N_, _
from ui.images import show_image, upload_image
from ui.lessons import fit_figure
from ui.plots import MAP_CONFIG, add_markers, latent_scatter
from ui.selection import cache_key, current_checkpoint
from ui.tables import data_frame
from ui.testset import Images, dataset_images, encoded
from vae import Checkpoint
from vae.analysis.explore import encode, pca, reconstruct
from vae.analysis.pictures import tile

POOL = 2000  # images ranked per class choice
CHUNK = 500
PER_ROW = 8  # pairs per row of the picture
WIDTH = 1000  # the picture's width at most, in px
ORDERS = (N_("Worst first"), N_("Best first"), N_("Data set order"))  # values, shown with _()
ALL = N_("All classes")

st.title(_(":material/compare: Reconstructions"))
st.caption(
    _(
        "Each input beside its reconstruction: the image is encoded to μ(x) and decoded again. "
        "The loss is the image's −ELBO in nats: what it costs the model to describe the image. "
        "The worst ones show what the model has not learned."
    )
)

ckpt = current_checkpoint()
images = dataset_images(ckpt)


@st.cache_resource(show_spinner=False, max_entries=16)
def _ranked(
    key: tuple[str, tuple[int, ...]], source: str, label: int, _ckpt: Checkpoint, _img: Images
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, reconstructions, -ELBO) for the first POOL images of a class (-1: all)."""
    _x = _img.x
    rows = np.arange(len(_x)) if label < 0 else np.flatnonzero(_img.y == label)
    rows = rows[:POOL]
    parts = [reconstruct(_ckpt.model, _x[rows[s : s + CHUNK]]) for s in range(0, len(rows), CHUNK)]
    if not parts:
        c, h, w = _ckpt.config.model.image_shape
        return rows, np.zeros((0, c, h, w), np.float32), np.zeros(0, np.float32)
    return rows, np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def pairs(inputs: np.ndarray, recons: np.ndarray) -> np.ndarray:
    """(N, C, H, W) inputs and reconstructions -> (N, C, H, 2W+1): each pair side by side."""
    n, c, h = inputs.shape[:3]
    gap = np.full((n, c, h, 1), 1.0, np.float32)
    return np.concatenate([inputs, gap, recons], axis=3)


def gallery(ckpt: Checkpoint, images: Images) -> None:
    labels = [int(v) for v in np.unique(images.y)]
    a, b, c = st.columns([2, 2, 3])
    # the format function looks up, never translates: AppTest calls it outside the run
    shown_as: dict[str | int, str] = {ALL: _(ALL)}
    shown_as.update({v: images.shown_class(v) for v in labels})
    choice = a.selectbox(
        _("Class"),
        [ALL, *labels],
        format_func=shown_as.__getitem__,
        key="recon_class",
        disabled=len(labels) < 2,
        help=_("Show one class only, or all of them."),
    )
    count = b.slider(
        _("Pairs"), 4, 64, 16, step=4, key="recon_count", help=_("How many pairs to show.")
    )
    order = c.segmented_control(
        _("Sort by loss"),
        ORDERS,
        default=ORDERS[0],
        format_func={v: _(v) for v in ORDERS}.__getitem__,
        key="recon_order",
        help=_("Highest −ELBO first (what the model finds hardest), lowest first, or unsorted."),
    )
    label = choice if isinstance(choice, int) else -1  # ALL: every class
    with st.spinner(_("Reconstructing…")):
        rows, recons, loss = _ranked(cache_key(ckpt), images.source, label, ckpt, images)
    if len(rows) == 0:
        st.info(_("There are no images of this class in the set shown."))
        return
    order = order or ORDERS[0]
    idx = np.arange(len(rows))
    if order != ORDERS[2]:
        idx = np.argsort(loss, kind="stable")
        idx = idx[::-1] if order == ORDERS[0] else idx
    shown = idx[:count]
    pics = pairs(images.x[rows[shown]] / 255.0, recons[shown])
    pic = tile(pics, nrow=min(PER_ROW, len(shown)), padding=4)
    factor = max(1, WIDTH // pic.shape[1])  # whole pixels: nearest-neighbour, never blurred
    pic = pic.repeat(factor, axis=0).repeat(factor, axis=1)
    st.image(pic, width=pic.shape[1], output_format="PNG")
    if order == ORDERS[2]:
        text = _(
            "Left of each pair: the input from {source}; right: its reconstruction. "
            "Read left to right, top to bottom."
        ).format(source=images.source_text)
    else:
        text = _(
            "Left of each pair: the input from {source}; right: its reconstruction. "
            "Read left to right, top to bottom, ranked among {n:,} images."
        ).format(source=images.source_text, n=len(rows))
    if ckpt.config.model.likelihood == "gaussian":
        text += " " + _(
            "With a Gaussian decoder the pixels are continuous, so the loss is a density and "
            "can be negative; lower is still better."
        )
    st.caption(text)
    loss_col = _("−ELBO (nats)")
    table = data_frame(
        {
            _("pair"): np.arange(1, len(shown) + 1),
            _("index"): rows[shown],
            _("class"): [images.shown_class(int(images.y[r])) for r in rows[shown]],
            loss_col: loss[shown],
        }
    )
    left, right = st.columns([2, 3])
    left.dataframe(
        table,
        hide_index=True,
        height=260,
        column_config={loss_col: st.column_config.NumberColumn(format="%.1f")},
    )
    hist = go.Figure(go.Histogram(x=loss, nbinsx=40, marker_color="#9e9e9e", name=_("all ranked")))
    hist.add_trace(go.Histogram(x=loss[shown], nbinsx=40, marker_color="#c2185b", name=_("shown")))
    hist.update_layout(
        barmode="overlay",
        height=260,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        title={"text": _("Per-image −ELBO"), "font": {"size": 14}},
        xaxis_title="nats",
        legend={"orientation": "h", "y": 1.15, "x": 1, "xanchor": "right"},
    )
    right.plotly_chart(fit_figure(hist), key="recon_hist")


def latent_map(mu: np.ndarray, point: np.ndarray) -> go.Figure:
    """The test set's codes with the upload's code as a star; PCA when there are >2 dims."""
    d = mu.shape[1]
    if d == 1:
        xy = np.column_stack([mu[:, 0], np.zeros(len(mu))])
        pt, titles = np.array([[point[0], 0.0]]), ("z1", "")
    elif d == 2:
        xy, pt, titles = mu, point[None], ("z1", "z2")
    else:
        both = pca(np.vstack([mu, point[None]]))
        xy, pt, titles = both[:-1], both[-1:], ("PC 1", "PC 2")
    rows = np.arange(len(xy))
    fig = latent_scatter(xy, rows, images.y[: len(xy)], images.shown_classes, titles, height=420)
    add_markers(fig, pt, _("your image"), [_("your image")])
    fig.update_layout(dragmode="pan")
    return fig


def upload_section(ckpt: Checkpoint, images: Images) -> None:
    st.subheader(_("Your own image"))
    left, right = st.columns([2, 3], gap="large")
    prepared = upload_image(
        _("A PNG or JPEG image"),
        key="recon_upload",
        shape=ckpt.config.model.image_shape,
        reference=images.x,
        box=left,
        report=right,
        help=_(
            "Up to 10 MB. A digit drawn dark on light or light on dark; it is resized "
            "to the model's input size."
        ),
        choices_key="recon",
        empty=_("Upload an image to see how the model reconstructs it and where it lands."),
    )
    if prepared is None:
        return
    recon, loss = reconstruct(ckpt.model, prepared.pixels[None])
    mu = encode(ckpt.model, prepared.pixels[None])[0]
    with right:
        x_col, r_col, m_col = st.columns(3)
        with x_col:
            show_image(prepared.pixels / 255.0, _("What the model sees"), target=168)
        with r_col:
            show_image(recon[0], _("Its reconstruction"), target=168)
        m_col.metric(_("−ELBO (nats)"), f"{float(loss[0]):.1f}", help=_("Lower: better explained."))
        typical = float(np.median(_ranked(cache_key(ckpt), images.source, -1, ckpt, images)[2]))
        m_col.caption(_("Typical test image: {loss:.1f} nats.").format(loss=typical))
        test_mu = encoded(ckpt, images)[0]
        st.plotly_chart(
            fit_figure(latent_map(test_mu, mu[0])), key="recon_upload_map", config=MAP_CONFIG
        )
        d = mu.shape[1]
        if d <= 2:
            where = _(
                "Where your image lands (star) among the test codes, on its two latent dimensions."
            )
        else:
            where = _(
                "Where your image lands (star) among the test codes, on the first two principal "
                "components."
            )
        st.caption(where)


gallery(ckpt, images)
st.divider()
try:
    upload_section(ckpt, images)
except Exception as exc:  # never a trace: say what failed and keep the page alive
    show_error(exc, _("The upload could not be processed"))
