"""The Inference page's image picker: a test image by index (?image=N) or an upload.

By default the test image is the one selected on the Latent page. The source's option values
stay English (a widget value); they are shown translated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui import state
from ui.i18n import N_, _
from ui.images import upload_image
from ui.testset import Images
from vae import Checkpoint
from vae.analysis.inference import image_id

SOURCES = (N_("Test image"), N_("Upload"))  # widget values (shown translated)


@dataclass(frozen=True)
class Chosen:
    """The image shown: its pixels (uint8 (C, H, W)), a cache identity, and words for it."""

    pixels: np.ndarray
    key: str
    name: str
    index: int | None  # its row in the test images, None for an upload


def open_image(row: int) -> None:
    """Show test image `row` (a button's callback)."""
    st.session_state[state.INFERENCE_SOURCE] = SOURCES[0]
    st.session_state[state.INFERENCE_IMAGE] = row


def choose_image(
    ckpt: Checkpoint, images: Images, box: st.delta_generator.DeltaGenerator
) -> Chosen | None:
    """The image picker: a test image by index, or an upload (None until there is a usable one)."""
    source = (
        box.segmented_control(
            _("Image"),
            SOURCES,
            default=SOURCES[0],
            format_func={source: _(source) for source in SOURCES}.__getitem__,
            key=state.INFERENCE_SOURCE,
        )
        or SOURCES[0]
    )
    if source == SOURCES[1]:
        prepared = upload_image(
            _("Upload an image (PNG, JPEG, GIF, WebP)"),
            key="inference_upload",
            shape=ckpt.config.model.image_shape,
            reference=images.x,
            box=box,
            report=box,
            help=_("Any picture; it is converted to the model's input size and colours."),
            empty=_(
                "Upload a picture to see its posterior; something unlike the training images "
                "shows a larger amortisation gap."
            ),
        )
        if prepared is None:
            return None
        return Chosen(
            prepared.pixels, f"upload:{image_id(prepared.pixels)}", _("your upload"), None
        )
    focus = st.session_state.get(state.LATENT_FOCUS)
    start = int(focus) if isinstance(focus, int) and 0 <= focus < len(images.x) else 0
    row = int(
        box.number_input(
            _("Test image (0 to {last})").format(last=len(images.x) - 1),
            0,
            len(images.x) - 1,
            start,
            key=state.INFERENCE_IMAGE,
            bind="query-params",
            help=_(
                "Its index in the test set, as the Latent page shows on hover; a point "
                "selected there is the default."
            ),
        )
    )
    label = images.shown_class(int(images.y[row]))
    if focus == row:
        box.caption(_(":material/scatter_plot: The image selected on the Latent page."))
    name = _("test image #{row} ({label})").format(row=row, label=label)
    return Chosen(images.x[row], f"{images.source}#{row}", name, row)
