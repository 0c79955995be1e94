"""Decoder: move through the latent space and see what the decoder makes there.

The decoder runs in the browser as the pointer moves (components.live_decoder); the server
sliders are the fallback, or a choice. The settled point marks the grid, sets the
traversals' base and goes into the URL, so a copied link opens this exact view.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import streamlit as st

from components.live_decoder import UnsupportedDecoder, live_decoder, spec_for
from ui import state
from ui.decoder_parts import SPAN, STEP, DecoderPoint, clicked_dim, collapse_note, kl_figure
from ui.decoder_pictures import GRID, show_manifold, show_traversals
from ui.errors import describe
from ui.i18n import N_, _, with_language
from ui.images import show_image, show_tiles
from ui.lessons import fit_figure, presenting
from ui.selection import cache_key, current_checkpoint
from ui.testset import dataset_images, encoded
from vae import Checkpoint
from vae.analysis.dims import DimStats, dim_traversal, from_posterior
from vae.analysis.explore import decode
from vae.web.decoder_spec import DecoderSpec
from vae.web.share import share_link

PAD, SLIDERS = N_("2-D pad"), N_("Sliders")

st.title(_(":material/tune: The decoder"))
st.caption(
    _(
        "The decoder p(x|z) turns any point z of the latent space into an image. Move through "
        "the space and watch the image follow: only the decoder runs, no image is encoded."
    )
)

ckpt = current_checkpoint()
d = ckpt.config.model.latent_dim
point = DecoderPoint(ckpt.name, d)
point.take_handoff(st.session_state.pop(state.DECODER_HANDOFF, None))
point.take_link(st.query_params.get(state.Z_PARAM))
if note := point.note():
    st.info(note, icon=":material/my_location:")
MEAN = {
    "bernoulli": _("the Bernoulli mean: each pixel's probability of being on, σ(logits)"),
    "gaussian": _("the Gaussian mean: each pixel's expected grey level"),
}[ckpt.config.model.likelihood]


@st.cache_resource(show_spinner=False, max_entries=8)
def _dim_stats(
    key: tuple[str, tuple[int, ...]], source: str, _mu: np.ndarray, _sigma: np.ndarray
) -> DimStats:
    return from_posterior(_mu, _sigma)


def dim_stats() -> tuple[DimStats, str]:
    """KL and activity of each dimension over the test images (cached), and where they came
    from, in the reader's language."""
    images = dataset_images(ckpt, note=False)
    return _dim_stats(cache_key(ckpt), images.source, *encoded(ckpt, images)), images.source_text


options = st.columns([2, 2, 3], vertical_alignment="bottom")
server = options[0].toggle(
    _("Decode on the server"),
    key=state.DECODER_SERVER,
    help=_(
        "Run the decoder in Python, one round trip per slider move, instead of in your browser."
    ),
)
layout, pad_dims = SLIDERS, (0, min(1, d - 1))
if d >= 2 and not server:
    layout = (
        options[1].segmented_control(
            _("Controls"),
            [PAD, SLIDERS],
            default=PAD if d == 2 else SLIDERS,
            format_func={v: _(v) for v in (PAD, SLIDERS)}.__getitem__,
            key=f"decoder_layout_{ckpt.name}",
            help=_("Drag a point over two dimensions, or one slider per dimension."),
        )
        or SLIDERS
    )
    if layout == PAD and d > 2:
        names = [f"z{i + 1}" for i in range(d)]
        by_kl = [int(i) for i in np.argsort(-dim_stats()[0].kl, kind="stable")]
        a, b = options[2].columns(2)
        across = a.selectbox(
            _("Pad across"),
            range(d),
            by_kl[0],
            format_func=names.__getitem__,
            key=f"decoder_pad_x_{ckpt.name}",
            help=_("The dimension along the pad's horizontal axis (default: the largest KL)."),
        )
        rest = [i for i in by_kl if i != across]
        up = b.selectbox(
            _("Pad up"),
            rest,
            0,
            format_func=names.__getitem__,
            key=f"decoder_pad_y_{ckpt.name}",
            help=_("The dimension along the pad's vertical axis."),
        )
        pad_dims = (across, up if up is not None else rest[0])

spec: DecoderSpec | None = None
if not server:
    try:
        spec = spec_for(ckpt.model)
    except UnsupportedDecoder as exc:
        st.info(
            _(
                "This decoder cannot run in the browser ({reason}), so it runs on the server: "
                "each slider move is a round trip."
            ).format(reason=describe(exc)),
            icon=":material/dns:",
        )


def share_box(ckpt: Checkpoint) -> None:
    """The point goes into the URL; the full link is shown to copy."""
    params = with_language({"run": ckpt.name, "z": point.write_link()})
    link = share_link(st.context.url, "decoder", params)
    st.markdown(_("**Share this view**"))
    st.code(link, language=None, wrap_lines=True)
    st.caption(
        _(
            "Copy the link (button at its right) to open this page on this checkpoint at this "
            "point. The address bar holds it too."
        )
    )


def views(ckpt: Checkpoint, z: np.ndarray) -> None:
    """Everything that follows the point: the grid (2-D), traversals, KL per dimension."""
    left, right = st.columns(2, gap="large")
    with left:
        if d == 2:
            st.subheader(_("The learned manifold"))
            show_manifold(ckpt, z)
            st.caption(
                _(
                    "Kingma & Welling's Figure 4: a {n}×{n} grid of evenly spaced "
                    "probabilities (5% to 95%) mapped through the inverse CDF of N(0, 1), so "
                    "each tile covers an equal share of the prior's mass; z1 grows to the "
                    "right, z2 upwards. The red box marks the tile nearest the point."
                ).format(n=GRID)
            )
    with right if d == 2 else left:
        st.subheader(_("Traversals"))
        active = dim_stats()[0].active
        collapsed = _("{z} · collapsed")
        labels = [f"z{i + 1}" if active[i] else collapsed.format(z=f"z{i + 1}") for i in range(d)]
        show_traversals(ckpt, z, labels)
        st.caption(
            _(
                "One row per dimension: it runs from −3 (left) to +3 (right) while the others "
                "stay at the point. A flat row is a collapsed dimension (see the KL bars)."
            )
        )
    with right:
        kl_section(ckpt, z)


def kl_section(ckpt: Checkpoint, z: np.ndarray) -> None:
    """Mean KL per dimension with collapsed ones flagged; a clicked bar shows its traversal."""
    st.subheader(_("KL per dimension"))
    stats, source = dim_stats()
    chart_key = f"decoder_kl_{ckpt.name}"
    dim = clicked_dim(st.session_state.get(chart_key), d)
    st.plotly_chart(
        fit_figure(kl_figure(stats)), key=chart_key, on_select="rerun", selection_mode="points"
    )
    st.caption(
        _(
            "Mean KL(q(z_d|x) ‖ N(0, 1)) of each dimension over {images:,} images of "
            "{source}; the bars sum to the ELBO's KL term, {kl:.2f} nats. "
            "{active} of {d} dimensions are active: the spread of their code "
            "Var_x(μ_d) exceeds 0.01 (Burda et al., 2015)."
        ).format(
            images=stats.images, source=source, kl=stats.total_kl, active=stats.active_units, d=d
        )
    )
    if dim is None:
        st.info(_("Click a bar to see that dimension's traversal."), icon=":material/touch_app:")
    else:
        state = _("active") if stats.active[dim] else _("collapsed")
        st.markdown(
            _("**z{n}** · mean KL {kl:.3f} nats · {state}").format(
                n=dim + 1, kl=stats.kl[dim], state=state
            )
        )
        row = dim_traversal(ckpt.model, z, dim, steps=9, span=SPAN)
        show_tiles(row, nrow=9, target=440, row_labels=[f"z{dim + 1}"])
        st.caption(_("z{n} from −3 to +3, the other dimensions at the point.").format(n=dim + 1))
    st.caption(
        _(
            "A collapsed dimension has q(z_d|x) equal to the prior N(0, 1) for every image: "
            "it costs no KL, so it carries no information about x, and the decoder learns to "
            "ignore it. Moving it changes nothing, which is why its traversal is flat."
        )
    )
    why = collapse_note(d, stats.active_units, ckpt.config.train.beta)
    if why:
        st.info(why, icon=":material/compress:")


@st.fragment
def live_view(ckpt: Checkpoint, spec: DecoderSpec, layout: str, pad_dims: tuple[int, int]) -> None:
    """The in-browser decoder; its settled position reruns only this fragment."""
    mode: Literal["pad", "sliders"] = "pad" if layout == PAD else "sliders"
    view_key = f"decoder_live_{ckpt.name}_{mode}_{pad_dims[0]}_{pad_dims[1]}"
    left, right = st.columns([2, 1], gap="large")
    with left:
        settled = live_decoder(
            spec, key=view_key, mode=mode, z0=point.start(view_key), pad_dims=pad_dims
        )
        point.from_live(view_key, settled)
    with right:
        if not presenting():  # presenter mode hides the caption the heading is for
            st.markdown(_("**What you see**"))
        seen = _(
            "The image is {mean} at z: E[x|z], not a sample, which would add independent "
            "noise to every pixel. Your browser decodes it as you move; the point is sent "
            "back when you let go."
        ).format(mean=MEAN)
        if mode == "pad":
            seen += " " + _("The dashed circles on the pad are 1, 2 and 3 prior σ.")
        st.caption(seen)
        share_box(ckpt)
    views(ckpt, point.z)


@st.fragment
def server_view(ckpt: Checkpoint) -> None:
    """Sliders and the decoded image, both on the server; a move reruns only this fragment."""
    controls, view = st.columns([1, 1], gap="large")
    with controls:
        st.subheader(_("Latent code z"))
        ncols = 1 if d <= 4 else 2 if d <= 12 else 3
        cols = st.columns(ncols)
        for i, key in enumerate(point.slider_keys):
            with cols[i % ncols]:
                st.slider(
                    f"z{i + 1}",
                    -SPAN,
                    SPAN,
                    step=STEP,
                    format="%.2f",
                    key=key,
                    persist_state="session",
                    help=_(
                        "Latent dimension {n}, in standard deviations of the prior N(0, 1)."
                    ).format(n=i + 1),
                )
        st.caption(_("Each slider runs from −3 to +3 prior standard deviations."))
        a, b = st.columns(2)
        a.button(
            _("Origin"),
            icon=":material/center_focus_strong:",
            on_click=point.jump,
            args=(np.zeros(d),),
            help=_("Set every dimension to 0, the prior's mean."),
            width="stretch",
        )
        b.button(
            _("Random z ~ N(0, I)"),
            icon=":material/casino:",
            on_click=lambda: point.jump(np.random.default_rng().standard_normal(d)),
            help=_("Draw a code from the prior, as when the model generates a new image."),
            width="stretch",
        )
    point.from_sliders()
    z = point.z
    with view:
        st.subheader(_("Decoded image"))
        show_image(decode(ckpt.model, z[None])[0], target=280)
        shown = ", ".join(f"{v:+.2f}" for v in z[:8]) + (", …" if d > 8 else "")
        st.caption(
            _("The decoder's output at z = ({shown}): {mean}, enlarged pixel by pixel.").format(
                shown=shown, mean=MEAN
            )
        )
        share_box(ckpt)
    views(ckpt, z)


if spec is not None:
    live_view(ckpt, spec, layout, pad_dims)
else:
    server_view(ckpt)
