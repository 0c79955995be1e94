"""The Reconstructions page: ranked pairs with their losses, and uploads good and hostile."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.app.conftest import PAGES, app, image_bytes, png_size, texts
from tests.app.conftest_jobs import drawn_one, plotly_spec, png, values
from vae import load_checkpoint, load_dataset
from vae.analysis.explore import encode, reconstruct
from vae.web.uploads import border_mean, prepare_upload

PAGE = PAGES / "reconstructions.py"
LOSS = "−ELBO (nats)"


def losses(at) -> list[float]:  # type: ignore[no-untyped-def]
    return [float(v) for v in at.dataframe[0].value[LOSS]]


def test_pairs_are_sorted_worst_first_with_their_losses(ckpt_dir: Path, media) -> None:  # type: ignore[no-untyped-def]
    at = app(PAGE, checkpoint="digits-2d").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 16 and list(table["pair"]) == list(range(1, 17))
    shown = losses(at)
    assert shown == sorted(shown, reverse=True)
    (picture, *_) = image_bytes(at, media)
    width, height = png_size(picture)
    # 16 pairs in 2 rows of 8; each pair is 8 x (8 + 1 + 8) px, tiled with 4 px of padding.
    assert width * (2 * 12 + 4) == height * (8 * 21 + 4)


def test_best_first_count_and_class(ckpt_dir: Path, media) -> None:  # type: ignore[no-untyped-def]
    at = app(PAGE, checkpoint="digits-2d").run()
    at.segmented_control(key="recon_order").set_value("Best first").run()
    at.slider(key="recon_count").set_value(8).run()
    assert not at.exception
    shown = losses(at)
    assert len(shown) == 8 and shown == sorted(shown)
    (picture, *_) = image_bytes(at, media)
    width, height = png_size(picture)
    assert width * 16 == height * (8 * 21 + 4)  # one row of 8 pairs
    at.selectbox(key="recon_class").set_value(3).run()
    assert not at.exception
    assert set(at.dataframe[0].value["class"]) == {"3"}
    assert sorted(losses(at)) == losses(at)


def test_shown_losses_match_the_model(ckpt_dir: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d").run()
    table = at.dataframe[0].value
    test_x = load_dataset("digits").test_x.numpy()
    ckpt = load_checkpoint(ckpt_dir / "digits-2d")
    _, expected = reconstruct(ckpt.model, test_x[list(table["index"])])
    assert losses(at) == pytest.approx(expected.tolist(), rel=1e-4)
    assert max(losses(at)) == pytest.approx(reconstruct(ckpt.model, test_x)[1].max(), rel=1e-4)


def test_an_upload_is_reconstructed_and_placed_on_the_latent_map(ckpt_dir: Path) -> None:
    at = app(PAGE, checkpoint="digits-2d").run()
    at.file_uploader(key="recon_upload").set_value(("one.png", drawn_one(), "image/png")).run()
    assert not at.exception and not at.error, texts(at.error)
    metric = next(m for m in at.metric if m.label == LOSS)
    assert float(metric.value) > 0
    assert "Inverted" in texts(at.caption)  # dark on white -> MNIST-like white on black
    star = next(t for t in plotly_spec(at, 1)["data"] if t["name"] == "your image")
    x, y = values(star["x"]), values(star["y"])
    assert len(x) == len(y) == 1
    # The star sits at the encoder's mean for the converted upload.
    test_x = load_dataset("digits").test_x.numpy()
    prepared = prepare_upload(drawn_one(), (1, 8, 8), reference_border=border_mean(test_x[:500]))
    mu, _ = encode(load_checkpoint(ckpt_dir / "digits-2d").model, prepared.pixels[None])
    assert [x[0], y[0]] == pytest.approx(mu[0].tolist(), abs=1e-5)


def test_upload_on_a_3d_model_uses_pca(ckpt_dir: Path) -> None:
    at = app(PAGE, checkpoint="digits-3d").run()
    at.file_uploader(key="recon_upload").set_value(("one.png", drawn_one(), "image/png")).run()
    assert not at.exception and not at.error
    assert plotly_spec(at, 1)["layout"]["xaxis"]["title"]["text"] == "PC 1"


def bomb() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    head = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", zlib.compress(b"\0" * 99))


def truncated() -> bytes:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64), np.uint8)
    data = png(Image.fromarray(noise))
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.png", b"", "empty"),
        ("notes.png", b"this is plain text, not a picture\n" * 10, "not an image"),
        ("half.png", truncated(), "truncated"),
        ("bomb.png", bomb(), "decompression bomb"),
    ],
)
def test_a_hostile_upload_shows_an_error_and_the_page_lives(
    ckpt_dir: Path, name: str, data: bytes, words: str
) -> None:
    at = app(PAGE, checkpoint="digits-2d").run()
    at.file_uploader(key="recon_upload").set_value((name, data, "image/png")).run()
    assert not at.exception
    message = texts(at.error)
    assert message.startswith(f"{name} cannot be used") and words in message, message
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 16  # the rest still works
    at.file_uploader(key="recon_upload").set_value(("one.png", drawn_one(), "image/png")).run()
    assert not at.exception and not at.error  # and a good file after a bad one works


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [("empty.png", b"", "파일이 비어 있어요(0바이트)"), ("bomb.png", bomb(), "압축 폭탄")],
)
def test_a_refused_upload_reads_korean_in_a_korean_session(
    ckpt_dir: Path, name: str, data: bytes, words: str
) -> None:
    """The core's refusal is translated with the page's sentence around it: no English left."""
    at = app(PAGE, checkpoint="digits-2d", language="ko").run()
    at.file_uploader(key="recon_upload").set_value((name, data, "image/png")).run()
    assert not at.exception
    message = texts(at.error)
    assert message.startswith(f"{name}") and words in message, message
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", message), message  # no English sentence


def test_the_uploaders_own_words_are_korean_in_a_korean_session(ckpt_dir: Path) -> None:
    """Streamlit draws "Upload" and "10MB per file • ..." itself: CSS puts Korean there."""
    css = [
        h.proto.body
        for h in app(PAGE, checkpoint="digits-2d", language="ko").run().get("html")
        if "stFileUploaderDropzone" in h.proto.body
    ]
    assert len(css) == 1
    assert '"업로드"' in css[0] and '"파일당 10MB • PNG, JPG, GIF, WEBP"' in css[0]
    english = app(PAGE, checkpoint="digits-2d").run().get("html")
    assert not [h for h in english if "stFileUploaderDropzone" in h.proto.body]


def test_an_uploads_notes_read_korean_in_a_korean_session(ckpt_dir: Path) -> None:
    import io

    buf = io.BytesIO()
    Image.new("CMYK", (28, 28), (0, 0, 0, 255)).save(buf, format="JPEG")
    at = app(PAGE, checkpoint="digits-2d", language="ko").run()
    at.file_uploader(key="recon_upload").set_value(("ink.jpg", buf.getvalue(), "image/jpeg")).run()
    assert not at.exception and not at.error, texts(at.error)
    shown = texts(at.caption)
    assert "CMYK 이미지를 RGB로 바꿨어요." in shown and "was converted" not in shown
