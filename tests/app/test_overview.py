"""The Overview page: the VAE explained, the selected model's figures, prior samples."""

from __future__ import annotations

import json

from tests.app.conftest import APP, PAGES, app, image_bytes, png_size
from tests.conftest import run_python


def test_explains_the_elbo_and_shows_the_model(ckpt_dir, media):
    at = app(PAGES / "overview.py", checkpoint="digits-3d").run()
    assert not at.exception
    latex = "\n".join(e.value for e in at.latex)
    assert r"\mathcal{L}" in latex and "reconstruction" in latex and "KL" in latex
    assert r"\odot \varepsilon" in latex  # the reparameterisation trick
    text = "\n".join(m.value for m in at.markdown)
    assert "approximate posterior" in text and "Kingma & Welling" in text
    assert "**Latent size:** 3" in text and "digits" in text
    assert at.header[0].value.endswith("digits-3d")

    metrics = json.loads((ckpt_dir / "digits-3d" / "metrics.json").read_text())
    shown = {m.label: m.value for m in at.metric}
    assert shown["Test −ELBO (nats)"] == f"{metrics['test_elbo']:.2f}"
    assert shown["Reconstruction (nats)"] == f"{metrics['test_recon']:.2f}"
    assert shown["KL (nats)"] == f"{metrics['test_kl']:.2f}"
    assert shown["Active units"] == f"{metrics['active_units']} / 3"

    (samples,) = image_bytes(at, media)  # one tiled picture, not 64 images
    width, height = png_size(samples)
    assert width == height and width >= 8 * 8 * 4  # 8 x 8 tiles of 8 px, enlarged


def test_the_stored_samples_show_the_picture_the_model_decodes(ckpt_dir, media):
    at = app(PAGES / "overview.py", checkpoint="digits-3d").run()
    assert not at.exception and not at.get("spinner")
    stored = image_bytes(at, media)
    (ckpt_dir / "digits-3d" / "samples.npz").unlink()  # now the page loads the model, decodes
    at = app(PAGES / "overview.py", checkpoint="digits-3d").run()
    assert not at.exception
    assert image_bytes(at, media) == stored


def test_the_app_opens_on_the_overview_without_importing_torch(ckpt_dir):
    """The cold start's first page: app.py, the sidebar and the Overview import no torch."""
    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "import ui.warmup\n"
        "ui.warmup.after_page = lambda name: None  # it imports torch once the page is drawn\n"
        f"at = AppTest.from_file({str(APP)!r}, default_timeout=120).run()\n"
        "assert not at.exception, at.exception\n"
        "print(len(at.metric), len(at.get('image')), 'torch' in sys.modules)\n"
    )
    out = run_python(code)
    assert out.split()[-3:] == ["5", "1", "False"]  # five figures, the samples, no torch


def test_new_samples_change_the_picture(ckpt_dir, media):
    at = app(PAGES / "overview.py").run()
    before = image_bytes(at, media)
    at.button[0].click().run()
    assert not at.exception
    assert image_bytes(at, media) != before


def test_the_two_lessons_link_to_their_lesson_steps(ckpt_dir):
    import shutil

    at = app(PAGES / "overview.py").run()
    assert not at.exception and not at.get("page_link")  # their checkpoints are not here
    for name in ("mnist-16d-beta1", "mnist-16d-beta8"):
        shutil.copytree(ckpt_dir / "digits-3d", ckpt_dir / name)
    at = app().run()  # through app.py: links need the app's pages
    assert not at.exception
    links = {e.proto.label: e.proto for e in at.get("page_link")}
    compare = links["A family of five"]  # lessons/rate-distortion.toml, step 3
    assert (compare.page, compare.query_string) == (
        "compare",
        "run=mnist-16d-beta1&vs=mnist-16d-beta8&lesson=rate-distortion&step=3",
    )
    decoder = links["At beta = 8, half of them carry nothing"]  # lessons/collapse.toml, step 2
    assert (decoder.page, decoder.query_string) == (
        "decoder",
        "run=mnist-16d-beta8&lesson=collapse&step=2",
    )
    text = "\n".join(m.value for m in at.markdown)
    assert "**Reconstruction against KL.** The ELBO is two terms" in text
    assert "**Posterior collapse.** When a latent dimension" in text
