"""Pictures on a page: small images at a visible size, tiles with row labels, and the one
upload widget (file, optional invert and fit choices, refusals and notes) that the
Reconstructions and Interpolation pages share."""

from __future__ import annotations

import json

import numpy as np
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.errors import describe
from ui.fonts import label_font
from ui.i18n import DEFAULT, N_, _, language
from vae.analysis.pictures import tile
from vae.web.uploads import (
    FIT_CHOICES,
    INVERT_CHOICES,
    MAX_BYTES,
    PreparedImage,
    UploadError,
    border_mean,
    prepare_upload,
)

UPLOAD_TYPES = ["png", "jpg", "jpeg", "gif", "webp"]
FIT_NAMES = {"pad": N_("Pad (keep all)"), "crop": N_("Centre-crop (fill)")}
INVERT_NAMES = {"auto": N_("Auto"), "yes": N_("Yes"), "no": N_("No")}


def upscale(pic: np.ndarray, target: int = 280) -> np.ndarray:
    """Repeat pixels of a (H, W) or (H, W, 3) uint8 picture so its longer side nears `target`."""
    factor = max(1, round(target / max(pic.shape[0], pic.shape[1])))
    return pic.repeat(factor, axis=0).repeat(factor, axis=1) if factor > 1 else pic


def to_picture(image: np.ndarray) -> np.ndarray:
    """One image (C, H, W) float in [0, 1] -> uint8 (H, W) or (H, W, 3)."""
    img = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    return img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)


def show_image(pic: np.ndarray, caption: str | None = None, target: int = 280) -> None:
    """Show one picture ((C, H, W) float in [0, 1], or uint8 (H, W[, 3])) at about target px."""
    if pic.dtype != np.uint8:
        pic = to_picture(pic)
    big = upscale(pic, target)
    st.image(big, caption=caption, width=big.shape[1], output_format="PNG")


def label_rows(pic: np.ndarray, labels: list[str], font_px: int = 14) -> np.ndarray:
    """Add a white margin with one label per row, centred on that row, left of a tiled picture.

    pic: uint8 (H, W, 3) whose rows of tiles have equal height, e.g. from `tile`.
    """
    from PIL import Image, ImageDraw

    font = label_font(font_px)
    margin = 8 + max(int(font.getlength(text)) for text in labels) if labels else 0
    canvas = Image.new("RGB", (pic.shape[1] + margin, pic.shape[0]), "white")
    canvas.paste(Image.fromarray(pic), (margin, 0))
    draw = ImageDraw.Draw(canvas)
    row_h = pic.shape[0] / max(1, len(labels))
    for i, text in enumerate(labels):
        draw.text((margin - 6, (i + 0.5) * row_h), text, fill=(60, 60, 60), font=font, anchor="rm")
    return np.asarray(canvas)


def tiled(
    images: np.ndarray, nrow: int, target: int | None = None, row_labels: list[str] | None = None
) -> np.ndarray:
    """The picture show_tiles shows: (N, C, H, W) floats in [0, 1] -> uint8 (H', W', 3).

    With `target`, pixels are repeated so the whole picture's width nears `target` px;
    without it, each image is scaled to roughly 56 px. `row_labels` adds a label per row.
    """
    h, w = images.shape[2:]
    if target is None:
        scale = max(1, round(56 / max(h, w)))
    else:
        scale = max(1, round(target / (nrow * (w + 1) + 1)))
    pic = tile(images, nrow=nrow, padding=1, scale=scale)
    return label_rows(pic, row_labels) if row_labels else pic


def show_tiles(
    images: np.ndarray,
    nrow: int,
    caption: str | None = None,
    target: int | None = None,
    row_labels: list[str] | None = None,
) -> np.ndarray:
    """Tile (N, C, H, W) floats in [0, 1] into one picture (`tiled`) and show it; returns it."""
    pic = tiled(images, nrow, target, row_labels)
    st.image(pic, caption=caption, width=pic.shape[1], output_format="PNG")
    return pic


def upload_image(
    label: str,
    *,
    key: str,
    shape: tuple[int, int, int],
    reference: np.ndarray,
    box: DeltaGenerator,
    report: DeltaGenerator,
    help: str,
    choices_key: str | None = None,
    empty: str | None = None,
) -> PreparedImage | None:
    """A file uploader in `box` whose image is prepared for a model of input `shape`.

    reference: training-like images (N, C, H, W) uint8 whose border tells the background.
    With `choices_key`, Invert and Fit radios follow the uploader (keys choices_key_invert,
    choices_key_fit); without, the image is inverted automatically and padded. A refused
    file gets an st.error and the preparation's notes get captions, both in `report`;
    `empty` is shown there as an st.info while there is no file. -> the prepared image, or
    None when there is none to use.
    """
    uploader_words()
    file = box.file_uploader(
        label, type=UPLOAD_TYPES, max_upload_size=MAX_BYTES // 2**20, key=key, help=help
    )
    invert, fit = "auto", "pad"
    if choices_key is not None:
        invert = box.radio(
            _("Invert"),
            INVERT_CHOICES,
            horizontal=True,
            key=f"{choices_key}_invert",
            format_func={v: _(INVERT_NAMES.get(v, v.capitalize())) for v in INVERT_CHOICES}.get,
            help=_(
                "Auto swaps light and dark when your background differs from the training "
                "images' (MNIST is white on black)."
            ),
        )
        fit = box.radio(
            _("Fit"),
            FIT_CHOICES,
            horizontal=True,
            key=f"{choices_key}_fit",
            format_func={v: _(FIT_NAMES.get(v, v)) for v in FIT_CHOICES}.get,
            help=_("Keep the aspect ratio by padding with the border colour, or by cropping."),
        )
    if file is None:
        if empty:
            report.info(empty)
        return None
    try:
        prepared = prepare_upload(
            file.getvalue(), shape, invert or "auto", fit or "pad", border_mean(reference[:500])
        )
    except UploadError as exc:
        report.error(
            _("{name} cannot be used: {reason}.").format(name=file.name, reason=describe(exc)),
            icon=":material/image_not_supported:",
        )
        return None
    for note in prepared.notes:
        report.caption(f":material/info: {describe(note)}")
    return prepared


UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] p::after {
  content: %s; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: %s; font-size: 0.875rem; }
</style>"""


def uploader_words() -> None:
    """Streamlit writes its file uploader's own words (the button, the size and types line) in
    English only; in another language, CSS shows their translation in their place."""
    if language() == DEFAULT:
        return
    types = ", ".join(t.upper() for t in UPLOAD_TYPES if t != "jpeg")  # as Streamlit lists them
    line = _("{size} MB per file • {types}").format(size=MAX_BYTES // 2**20, types=types)
    words = [json.dumps(w, ensure_ascii=False) for w in (_("Upload"), line)]
    st.html(UPLOADER_CSS % tuple(words))
