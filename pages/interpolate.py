"""Interpolation: walk from one image's code to another's, straight and along the sphere."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui import state
from ui.errors import show_error
from ui.fonts import font_file
from ui.i18n import N_, _, language
from ui.images import show_image, show_tiles, upload_image
from ui.interpolation_parts import NAMES, latent_map, norm_chart
from ui.lessons import fit_figure
from ui.plots import context_rows
from ui.selection import current_checkpoint
from ui.testset import Images, dataset_images, encoded
from vae import Checkpoint
from vae.analysis.explore import encode
from vae.analysis.interpolation import (
    LatentPath,
    animation_frames,
    fit_projection,
    gif_bytes,
    interpolate,
    nth_of_class,
    prior_norm_range,
    random_pair,
)

SOURCES = (N_("Test images"), N_("Random pair"), N_("Your uploads"))  # values, shown with _()
ANIMATE = {  # the radio's values, shown with _()
    N_("Both paths"): ("linear", "spherical"),
    N_("Spherical"): ("spherical",),
    N_("Linear"): ("linear",),
}
STRIP_WIDTH = 1100  # px, the widest a strip is shown

st.title(_(":material/conversion_path: Interpolation"))
st.caption(
    _(
        "Encode two images to their codes μ and walk from one to the other, decoding every "
        "step. A smooth morph means the space between the codes is filled with plausible "
        "images: the KL term packs the codes together so that there are no empty gaps "
        "between them."
    )
)

ckpt = current_checkpoint()
images = dataset_images(ckpt)
mu = encoded(ckpt, images)[0]
d = ckpt.config.model.latent_dim


def endpoint_from_test(images: Images, side: str, default: int) -> tuple[int, str]:
    """Class and number-in-class pickers for one endpoint. -> (row, description)."""
    labels = [int(v) for v in np.unique(images.y)]
    left, right = st.columns([3, 2])
    label = left.selectbox(
        _("Class of {side}").format(side=side),
        labels,
        index=min(default, len(labels) - 1),
        format_func=images.class_name,
        key=f"interp_{side}_class_{ckpt.config.dataset}",
        disabled=len(labels) < 2,
        help=_("The class of image {side}.").format(side=side),
    )
    count = int(np.sum(images.y == label))
    n = right.number_input(
        _("Number (of {count:,})").format(count=count),
        0,
        count - 1,
        0 if side == "A" or len(labels) > 1 else min(1, count - 1),
        key=f"interp_{side}_n_{ckpt.config.dataset}_{label}",
        help=_("Which image of that class, counted from 0 in the test set's order."),
    )
    row = nth_of_class(images.y, label, int(n))
    return row, _("test image #{row} ({name})").format(row=row, name=images.shown_class(label))


def endpoint_from_upload(side: str, box: DeltaGenerator) -> np.ndarray | None:
    """A file uploader for one endpoint; the prepared pixels (C, H, W) or None."""
    prepared = upload_image(
        _("Image {side}").format(side=side),
        key=f"interp_upload_{side}",
        shape=ckpt.config.model.image_shape,
        reference=images.x,
        box=box,
        report=box,
        help=_(
            "A PNG or JPEG of up to 10 MB; it is resized (padded) to the model's input "
            "size and inverted when its background differs from the training images'."
        ),
    )
    return None if prepared is None else prepared.pixels


def choose_endpoints() -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """The controls for the two endpoints. -> (inputs (2, C, H, W) uint8, codes (2, D), names)."""
    source_col, steps_col = st.columns([2, 3], gap="large")
    steps_col.slider(
        _("Steps"),
        3,
        24,
        10,
        key=state.INTERP_STEPS,
        help=_("How many points along each path, both endpoints included."),
    )
    source = source_col.segmented_control(
        _("Endpoints"),
        SOURCES,
        default=SOURCES[0],
        format_func={v: _(v) for v in SOURCES}.__getitem__,
        key="interp_source",
        help=_(
            "Two test images you choose, a random pair of different classes, or two images "
            "of your own."
        ),
    )
    a_box, b_box = st.columns(2)
    if source == "Your uploads":
        pixels = [endpoint_from_upload(s, box) for s, box in zip("AB", (a_box, b_box), strict=True)]
        if pixels[0] is None or pixels[1] is None:
            st.info(
                _("Upload two images, A and B, to walk between them."), icon=":material/upload:"
            )
            return None
        x = np.stack([pixels[0], pixels[1]])
        return x, encode(ckpt.model, x)[0], [_("your image A"), _("your image B")]
    if source == "Random pair":
        seed = int(st.session_state.get(state.INTERP_SEED, 0))
        rows = list(random_pair(images.y, seed))
        if a_box.button(
            _("New random pair"), icon=":material/casino:", help=_("Draw two new images.")
        ):
            st.session_state[state.INTERP_SEED] = seed + 1
            st.rerun()
        names = [
            _("test image #{row} ({name})").format(row=r, name=images.shown_class(int(images.y[r])))
            for r in rows
        ]
    else:
        rows, names = [], []
        for side, box, default in (("A", a_box, 0), ("B", b_box, 1)):
            with box:
                row, name = endpoint_from_test(images, side, default)
            rows.append(row)
            names.append(name)
    return images.x[rows], mu[rows], names


def render(ckpt: Checkpoint) -> None:
    chosen = choose_endpoints()
    if chosen is None:
        return
    x, ends, names = chosen
    steps = int(st.session_state[state.INTERP_STEPS])
    a_pic, b_pic, summary = st.columns([1, 1, 4], vertical_alignment="center")
    with a_pic:
        show_image(x[0] / 255.0, "A", target=84)
    with b_pic:
        show_image(x[1] / 255.0, "B", target=84)
    summary.markdown(
        _("From **{a}** to **{b}**, both encoded to their means μ.").format(a=names[0], b=names[1])
    )
    with st.spinner(_("Decoding the paths…")):
        paths = interpolate(ckpt.model, ends[0], ends[1], steps)
    width = min(STRIP_WIDTH, steps * 110)  # about 110 px a step, whatever the image size
    for kind, path in paths.items():
        st.markdown(f"**{_(NAMES[kind])}**")
        show_tiles(path.images, nrow=steps, target=width)
    st.caption(
        _(
            "Each strip decodes {steps} evenly spaced points, from A's code (left) to B's "
            "(right). The ends are the reconstructions of A and B, not the inputs themselves."
        ).format(steps=steps)
    )
    map_col, side = st.columns([3, 2], gap="large")
    with map_col:
        view = fit_projection(mu)  # PCA above two dimensions
        rows = context_rows(len(mu))  # the codes are the paths' background
        fig = latent_map(paths, ends, view, mu, images, rows)
        st.plotly_chart(fit_figure(fig), key="interp_map")
        shown_codes = (
            " "
            + _("{shown:,} of the {n:,} test codes are drawn.").format(shown=len(rows), n=len(mu))
            if len(rows) < len(mu)
            else ""
        )
        if d > 2:
            st.caption(
                _(
                    "The {d}-dimensional space seen through the first two principal components "
                    "of the test codes ({explained:.0%} of their variance). The straight path "
                    "stays straight in this view; the spherical one bends."
                ).format(d=d, explained=view.explained)
                + shown_codes
            )
        else:
            st.caption(
                _(
                    "The test codes, both paths and the points that were decoded (hover for t "
                    "and ‖z‖). Dashed circles: the prior N(0, I) at 1, 2 and 3σ."
                )
                + shown_codes
            )
    with side:
        st.plotly_chart(fit_figure(norm_chart(paths, d)), key="interp_norms")
        lo, hi = prior_norm_range(d)
        st.caption(
            _(
                "Grey band: 90% of prior draws in D = {d} have a norm between {lo:.2f} and "
                "{hi:.2f}."
            ).format(d=d, lo=lo, hi=hi)
        )
        st.markdown(
            _(
                """
**Why spherical?** For z ~ N(0, I) in D dimensions, ‖z‖² is a sum of D squares, so
‖z‖ concentrates near √D: the prior's mass lies in a shell and the middle of the ball is
nearly empty. The decoder was trained on codes from that shell. A straight line cuts
through the middle: between two nearly perpendicular codes of norm r its midpoint has
norm r/√2, where the decoder has rarely been, so the middle images can fade or blur.
Slerp follows the great circle between the two directions and keeps the norm near the
endpoints'. In 2-D the shell is thick and the paths differ little; the gap grows with D.
            """
            )
        )
    gif_section(paths)


@st.cache_data(show_spinner=False, max_entries=32)
def _animation(
    images: tuple[np.ndarray, ...], names: tuple[str, ...], font: str | None
) -> tuple[bytes, int, int]:
    """(GIF bytes, frames, width) for the decoded paths: keyed by the pictures themselves,
    so a rerun that changes nothing on the paths does not quantise every frame again."""
    frames = animation_frames(list(images), list(names), font_file=font)
    return gif_bytes(frames), len(frames), int(frames[0].shape[1])


def gif_section(paths: dict[str, LatentPath]) -> None:
    st.subheader(_("Animation"))
    choice_col, show_col = st.columns([2, 3], gap="large")
    with choice_col:
        what = st.radio(
            _("Animate"),
            list(ANIMATE),
            horizontal=True,
            format_func={v: _(v) for v in ANIMATE}.__getitem__,
            key="interp_gif_paths",
            help=_("Which path the GIF plays; both play side by side."),
        )
        kinds = ANIMATE[what or "Both paths"]
        with st.spinner(_("Making the GIF…")):
            data, count, width = _animation(
                tuple(paths[k].images for k in kinds),
                tuple(_(NAMES[k]) for k in kinds) if len(kinds) > 1 else (),
                font_file(language()),
            )
        st.download_button(
            _("Download the GIF"),
            data=data,
            file_name=f"{ckpt.name}-interpolation.gif",
            mime="image/gif",
            icon=":material/download:",
            key="interp_gif",
            help=_("An endlessly looping GIF that plays from A to B and back."),
        )
        st.caption(
            _("{n} frames, A to B and back; the bar marks t along the path.").format(
                n=2 * count - 2
            )
        )
    show_col.image(data, caption=_("The path, animated"), width=width)


try:
    render(ckpt)
except Exception as exc:  # never a trace: say what failed and keep the page alive
    show_error(exc, _("The interpolation could not be drawn"))
