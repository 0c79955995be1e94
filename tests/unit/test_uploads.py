"""vae.web.uploads: hostile files are refused with a clear UploadError; good ones become inputs."""

from __future__ import annotations

import io
import re
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from vae.web.uploads import MAX_BYTES, UploadError, border_mean, prepare_upload

MNIST = (1, 28, 28)


def encode(im: Image.Image, fmt: str = "PNG", **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def digit(size: tuple[int, int] = (100, 100), ink: int = 0, ground: int = 255) -> Image.Image:
    """A dark vertical bar (a '1') on a light ground, like a digit drawn on paper."""
    a = np.full((size[1], size[0]), ground, np.uint8)
    w, h = size
    a[h // 5 : 4 * h // 5, w // 2 - w // 16 : w // 2 + w // 16] = ink
    return Image.fromarray(a, "L")


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    """A valid PNG header claiming width x height, with almost no data: nothing is allocated."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def refused(data: bytes, *words: str) -> str:
    with pytest.raises(UploadError) as info:
        prepare_upload(data, MNIST)
    message = str(info.value)
    for word in words:
        assert word in message.lower(), message
    # A person reads it: no exception class names, no word said twice in one message.
    assert not re.search(r"[A-Z][a-z]+Error|Exception", message), message
    assert message.lower().count("truncated") <= 1, message
    return message


# --- hostile files -----------------------------------------------------------------------


def test_empty_file_is_refused() -> None:
    refused(b"", "empty")


def test_file_over_the_size_cap_is_refused_before_reading() -> None:
    refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES, "10 mb", "limit")


@pytest.mark.parametrize(
    "data",
    [
        b"hello, I am a text file\n" * 20,
        b"%PDF-1.4\n" + b"\x00" * 100,
        b"\x80\x04\x95pickle",
        bytes(range(256)),
    ],
)
def test_non_images_are_refused(data: bytes) -> None:
    refused(data, "not an image", "png")


def test_a_format_outside_the_allowed_list_is_refused() -> None:
    refused(encode(digit(), "TIFF"), "not an image")


def test_truncated_png_is_refused() -> None:
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200), np.uint8))
    data = encode(noisy)
    refused(data[: len(data) // 2], "truncated")


def test_truncated_jpeg_is_refused() -> None:
    noisy = Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200, 3), np.uint8))
    data = encode(noisy, "JPEG")
    refused(data[: len(data) // 3], "truncated")


def test_decompression_bomb_is_refused_from_its_header() -> None:
    message = refused(bomb_png(30000, 30000), "pixel", "bomb")
    assert "resize" in message


def test_image_over_the_pixel_cap_below_pil_limit_is_refused() -> None:
    refused(bomb_png(6000, 6000), "6000 x 6000", "bomb")


# --- awkward but valid files -------------------------------------------------------------


def test_16_bit_png_is_scaled_not_clipped() -> None:
    a = np.zeros((28, 28), np.uint16)
    a[:, 14:] = 32896  # mid-grey in 16 bits = 128 in 8 bits
    a[:, 21:] = 65535
    im = Image.fromarray(a)
    assert im.mode == "I;16"
    out = prepare_upload(encode(im), MNIST, invert="no")
    assert out.pixels.dtype == np.uint8 and out.pixels.shape == MNIST
    row = out.pixels[0, 14]
    assert row[3] == 0 and abs(int(row[17]) - 128) <= 1 and row[25] == 255
    assert any("16-bit" in n for n in map(str, out.notes))


def test_cmyk_jpeg_is_converted() -> None:
    im = Image.new("CMYK", (56, 56), (0, 0, 0, 0))  # no ink: white
    im.paste((0, 0, 0, 255), (20, 8, 36, 48))  # black bar
    out = prepare_upload(encode(im, "JPEG", quality=95), MNIST, invert="no")
    assert out.file_format == "JPEG" and out.pixels.shape == MNIST
    assert out.pixels[0, 0, 0] > 230 and out.pixels[0, 14, 14] < 30
    assert any("CMYK" in n for n in map(str, out.notes))


def test_animated_gif_uses_the_first_frame_and_says_so() -> None:
    first = Image.new("L", (28, 28), 0)
    second = Image.new("L", (28, 28), 255)
    buf = io.BytesIO()
    first.save(buf, "GIF", save_all=True, append_images=[second, first], duration=100)
    out = prepare_upload(buf.getvalue(), MNIST, invert="no")
    assert out.pixels.max() < 10  # the black first frame, not the white second one
    assert any("3 frames" in n and "first frame" in n for n in map(str, out.notes))


def test_transparent_png_gets_a_contrasting_ground() -> None:
    a = np.zeros((40, 40, 4), np.uint8)  # fully transparent ...
    a[5:35, 18:22] = (0, 0, 0, 255)  # ... except a black stroke
    out = prepare_upload(encode(Image.fromarray(a, "RGBA")), MNIST, invert="no")
    assert out.pixels[0, 0, 0] == 255 and out.pixels[0, 14, 14] < 60  # filled with white
    assert any("white" in n for n in map(str, out.notes))
    a[5:35, 18:22] = (255, 255, 255, 255)  # a white stroke gets a black ground
    out = prepare_upload(encode(Image.fromarray(a, "RGBA")), MNIST, invert="no")
    assert out.pixels[0, 0, 0] == 0 and out.pixels[0, 14, 14] > 200


def test_palette_image_with_transparency_index() -> None:
    im = Image.new("P", (30, 30), 0)
    im.putpalette([255, 0, 0, 0, 0, 0] + [0] * 762)
    im.paste(1, (12, 4, 18, 26))
    im.info["transparency"] = 0
    out = prepare_upload(encode(im, transparency=0), MNIST, invert="no")
    assert out.pixels[0, 0, 0] == 255 and out.pixels[0, 14, 14] < 60


# --- good files and the conversions -------------------------------------------------------


def test_good_png_is_resized_to_the_model_and_auto_inverted() -> None:
    out = prepare_upload(encode(digit()), MNIST)  # dark ink on white paper
    assert out.pixels.shape == MNIST and out.pixels.dtype == np.uint8
    assert out.inverted  # MNIST is light on dark
    assert out.pixels[0, 0, 0] == 0 and out.pixels[0, 14, 14] == 255
    assert out.original_size == (100, 100) and out.file_format == "PNG"


def test_good_jpeg_rgb_model_keeps_three_channels() -> None:
    im = Image.new("RGB", (64, 48), (200, 30, 30))
    out = prepare_upload(encode(im, "JPEG"), (3, 16, 16), invert="no")
    assert out.pixels.shape == (3, 16, 16)
    r, g, b = out.pixels[:, 8, 8].astype(int)
    assert r > 150 and g < 80 and b < 80


def test_invert_choices() -> None:
    data = encode(digit())
    assert not prepare_upload(data, MNIST, invert="no").inverted
    assert prepare_upload(data, MNIST, invert="yes").inverted
    # Data on a light ground (reference border bright): a light upload is left alone.
    assert not prepare_upload(data, MNIST, invert="auto", reference_border=230.0).inverted
    assert prepare_upload(encode(digit(ink=255, ground=0)), MNIST, invert="yes").inverted


def test_pad_keeps_everything_crop_fills_the_frame() -> None:
    a = np.zeros((20, 80), np.uint8)
    a[:, :10] = 255  # a white band at the far left of a wide image
    data = encode(Image.fromarray(a))
    padded = prepare_upload(data, MNIST, invert="no", fit="pad").pixels[0]
    cropped = prepare_upload(data, MNIST, invert="no", fit="crop").pixels[0]
    assert padded[14, 0] > 200  # the band survives padding
    assert cropped[:, :3].max() < 30  # the centre crop loses it
    assert padded[0].max() < 30  # padded with the (dark) border colour


def test_non_square_model_shape() -> None:
    out = prepare_upload(encode(digit((50, 90))), (1, 28, 20))
    assert out.pixels.shape == (1, 28, 20)


def test_bad_options_raise_value_error() -> None:
    with pytest.raises(ValueError):
        prepare_upload(encode(digit()), MNIST, invert="maybe")


def test_border_mean() -> None:
    x = np.zeros((2, 1, 8, 8), np.uint8)
    x[..., 0, :] = 255
    assert border_mean(x) == pytest.approx(255 * 8 / 28)
