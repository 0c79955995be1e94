"""An uploaded file's bytes -> one model input, uint8 (C, H, W); hostile files refused clearly.

The file's content is checked here, never trusted from its name or a widget's type filter:
size cap, real image formats only, pixel cap checked from the header before decoding
(decompression bombs), truncated data, 16-bit and CMYK images, animated images (first
frame), transparency (composited on the background that contrasts with the drawing).

Fitting to the model's H x W keeps the aspect ratio. "pad" (the default) letterboxes the
image with its own border colour, so nothing drawn is cut off; "crop" takes the centred
largest box of the model's aspect ratio, filling the frame but losing the edges.
Inversion: MNIST-like data are light strokes on a dark ground. "auto" inverts when the
upload's border and the training images' border are on opposite sides of mid-grey.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from vae.errors import Message, VAEError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 25_000_000  # e.g. 5000 x 5000; checked from the header before decoding
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
INVERT_CHOICES = ("auto", "yes", "no")
FIT_CHOICES = ("pad", "crop")
LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601 weights, as PIL's "L" conversion


class UploadError(VAEError, ValueError):
    """The upload cannot be used; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class PreparedImage:
    """An upload as the model sees it, plus what was done to get there."""

    pixels: np.ndarray  # uint8 (C, H, W)
    inverted: bool
    original_size: tuple[int, int]  # (width, height) of the file's image
    file_format: str
    notes: tuple[Message, ...]  # one sentence per adjustment worth telling the user


def border_mean(images: np.ndarray) -> float:
    """Mean 0-255 value of the outermost pixel ring of uint8 images (..., H, W)."""
    a = np.asarray(images, dtype=np.float64)
    sides = (a[..., 0, :], a[..., -1, :], a[..., 1:-1, 0], a[..., 1:-1, -1])
    ring = np.concatenate([s.ravel() for s in sides])
    return float(ring.mean()) if ring.size else 0.0


def _open(data: bytes) -> Image.Image:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise UploadError("the upload is not file data; choose a PNG or JPEG file")
    size = len(data)
    if size == 0:
        raise UploadError("the file is empty (0 bytes); choose a PNG or JPEG image")
    if size > MAX_BYTES:
        raise UploadError(
            "the file is {size_mb:.1f} MB; the limit is {limit_mb} MB. "
            "Save a smaller image (a digit needs only a few hundred pixels a side)",
            size_mb=size / 2**20,
            limit_mb=MAX_BYTES // 2**20,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(bytes(data)), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb() from exc
    except Exception as exc:  # UnidentifiedImageError, or a header a plugin cannot parse
        raise UploadError(
            "the file is not an image this app can read; upload a PNG or JPEG "
            "(GIF, BMP and WebP work too)"
        ) from exc
    w, h = im.size
    if w < 1 or h < 1 or w * h > MAX_PIXELS:
        raise _bomb(w, h)
    return im


def _bomb(w: int = 0, h: int = 0) -> UploadError:
    dims = Message(" claims {w} x {h} pixels and", w=w, h=h)
    # TRANSLATORS: {dims} is empty or " claims {w} x {h} pixels and".
    return UploadError(
        "the image{dims} is larger than the {max_pixels:,}-pixel limit (a possible "
        "decompression bomb); resize it to a few hundred pixels a side and upload it again",
        dims=dims if w else "",
        max_pixels=MAX_PIXELS,
    )


def _decode(im: Image.Image, shape: tuple[int, int, int], notes: list[Message]) -> Image.Image:
    """Decode the first frame fully, catching damaged data."""
    frames = int(getattr(im, "n_frames", 1) or 1)
    if frames > 1:
        im.seek(0)
        notes.append(
            Message(
                "The file is animated ({frames} frames); the first frame is used.", frames=frames
            )
        )
    if im.format == "JPEG":  # decode at a reduced scale straight away: faster, less memory
        side = 4 * max(shape[1:])
        im.draft("RGB" if im.mode in ("RGB", "YCbCr") else im.mode, (side, side))
    try:
        im.load()
        out = ImageOps.exif_transpose(im) if im.format == "JPEG" else im
    except Exception as exc:  # truncated or corrupt data: OSError, SyntaxError, ValueError...
        raise UploadError(
            "the image data is damaged or incomplete (the file may be truncated); "
            "save it again and re-upload"
        ) from exc
    return out if out is not None else im


def _flatten(im: Image.Image, notes: list[Message]) -> np.ndarray:
    """Any mode -> float RGB (H, W, 3) in [0, 255], transparency composited."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        a = np.clip(np.asarray(im, dtype=np.float64), 0, 65535)
        if im.mode == "I" and a.max() <= 255:
            return np.repeat(a[..., None], 3, axis=2)  # an 8-bit image stored as 32-bit
        notes.append(Message("The 16-bit image was scaled to 8 bits."))
        return np.repeat((a / 257.0)[..., None], 3, axis=2)
    if im.mode == "F":
        raise UploadError("floating-point images are not supported; save as an 8-bit PNG")
    if im.mode == "CMYK":
        notes.append(Message("The CMYK image was converted to RGB."))
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    rgba = np.asarray(im.convert("RGBA"), dtype=np.float64)
    rgb, alpha = rgba[..., :3], rgba[..., 3:] / 255.0
    if not has_alpha or alpha.min() >= 1.0:
        return rgb
    weight = alpha.sum()
    ink = float(((rgb @ LUMA)[..., None] * alpha).sum() / weight) if weight else 0.0
    ground = 255.0 if ink < 128 else 0.0  # contrast with what was drawn
    notes.append(
        Message("Transparent areas were filled with white to contrast with the drawing.")
        if ground
        else Message("Transparent areas were filled with black to contrast with the drawing.")
    )
    return rgb * alpha + ground * (1.0 - alpha)


def _fit(a: np.ndarray, height: int, width: int, fit: str) -> np.ndarray:
    """Float (h, w, 3) -> float (height, width, 3), keeping the aspect ratio."""
    h, w = a.shape[:2]
    target = width / height
    if fit == "crop":
        if w / h > target:
            cw = max(1, round(h * target))
            a = a[:, (w - cw) // 2 : (w - cw) // 2 + cw]
        else:
            ch = max(1, round(w / target))
            a = a[(h - ch) // 2 : (h - ch) // 2 + ch]
    else:
        ph, pw = (h, round(h * target)) if w / h < target else (round(w / target), w)
        ph, pw = max(ph, h), max(pw, w)
        fill = np.median(np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]]), axis=0)
        canvas = np.empty((ph, pw, 3), np.float64)
        canvas[:] = fill
        top, left = (ph - h) // 2, (pw - w) // 2
        canvas[top : top + h, left : left + w] = a
        a = canvas
    small = Image.fromarray(np.clip(a, 0, 255).round().astype(np.uint8), "RGB")
    small = small.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return np.asarray(small, dtype=np.float64)


def prepare_upload(
    data: bytes,
    shape: tuple[int, int, int],
    invert: str = "auto",
    fit: str = "pad",
    reference_border: float = 0.0,
) -> PreparedImage:
    """Check and convert an uploaded file to the model's input, uint8 (C, H, W).

    shape: the model's (C, H, W). invert: "auto", "yes" or "no". fit: "pad" or "crop".
    reference_border: border_mean() of the training images (0 for MNIST's black ground),
    used by invert="auto". Raises UploadError for anything that cannot be used.
    """
    c, h, w = shape
    if invert not in INVERT_CHOICES or fit not in FIT_CHOICES or c not in (1, 3):
        raise ValueError(f"invalid options: invert={invert!r}, fit={fit!r}, channels={c}")
    notes: list[Message] = []
    with _open(data) as im:
        fmt = str(im.format or "image")
        size = im.size
        rgb = _flatten(_decode(im, shape, notes), notes)
    small = _fit(rgb, h, w, fit)
    out = (small @ LUMA)[..., None] if c == 1 else small
    pixels = np.clip(out, 0, 255).round().astype(np.uint8).transpose(2, 0, 1)
    flip = invert == "yes"
    if invert == "auto":
        flip = (border_mean(pixels) >= 128) != (reference_border >= 128)
    if flip:
        pixels = 255 - pixels
        if invert == "auto":
            notes.append(Message("Inverted (light and dark swapped) to match the training images."))
    return PreparedImage(np.ascontiguousarray(pixels), flip, size, fmt, tuple(notes))
