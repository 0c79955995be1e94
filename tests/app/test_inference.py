"""The Inference page on the shipped checkpoints: the die's closed form, the ledger, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import betaln, comb
from streamlit.testing.v1 import AppTest

from tests.app.conftest import app, texts
from tests.app.conftest_jobs import values
from vae.analysis import inference as core
from vae.inference import ChainResult, NeedsTwoDimensions, require_2d
from vae.runfolder.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "checkpoints"
TIMEOUT = 300
MODEL = "The model: the true posterior"
IMAGE = 17


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped checkpoints, read only."""
    monkeypatch.setenv("VAE_CHECKPOINT_DIR", str(SHIPPED))
    return SHIPPED


def inference(query: dict[str, str], **state: object) -> AppTest:
    """The app opened at /inference?<query>, as a pasted link opens it."""
    at = app(**state)
    at.default_timeout = TIMEOUT
    at.query_params.update(query)
    return at.switch_page("pages/inference.py").run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: str(m.value) for m in at.metric}


def page_images(name: str) -> np.ndarray:
    """The images the page shows for a checkpoint: the test set, else the preview set."""
    from vae.data import DatasetError, load_dataset

    ck = load_checkpoint(SHIPPED / name)
    try:
        return load_dataset(ck.config.dataset).test_x.numpy()
    except (DatasetError, OSError):
        return ck.preview_x


def test_the_die_shows_the_closed_form(shipped: Path) -> None:
    at = inference({"run": "mnist-2d"})
    assert not at.exception
    m = metrics(at)
    # Flat prior, 6 throws, 2 ones: p(data) = C(6, 2) B(3, 5) / B(1, 1) = 15 * 2! 4! / 7! = 1/7.
    assert m["p(data), the normalising constant"] == f"{1 / 7:.4g}"
    assert m["MLE k / n"] == "0.3333"
    assert m["exact posterior"] == "Beta(3, 5)"
    assert float(m["KL(q‖posterior) after VI"].split()[0]) < 0.01
    assert float(m["MCMC acceptance rate"].rstrip("%")) > 0
    # the chance θ on both die figures: exactly [0, 1], both ends labelled; MLE marked at k / n
    bayes, approx = (json.loads(c.proto.spec) for c in at.get("plotly_chart")[:2])
    for spec in (bayes, approx):
        assert (
            spec["layout"]["xaxis"]["range"] == [0, 1] and spec["layout"]["xaxis"]["dtick"] == 0.1
        )
    (line,) = bayes["layout"]["shapes"]
    assert line["x0"] == line["x1"] == pytest.approx(2 / 6)
    assert [a["text"] for a in bayes["layout"]["annotations"]] == ["MLE"]
    # a flat prior: the scaled likelihood is the posterior, as the caption says
    curves = {t["name"]: values(t["y"]) for t in bayes["data"]}
    lik, post = curves["likelihood p(data|θ), scaled"], curves["exact posterior p(θ|data)"]
    assert np.allclose(lik, post, rtol=1e-3, atol=1e-3)
    assert any("dotted curve lies under" in c.value for c in at.caption)


def test_the_fair_prior_and_other_data_from_the_link(shipped: Path) -> None:
    at = inference({"run": "mnist-2d", "prior": "fair", "throws": "30", "ones": "12"})
    assert not at.exception
    want = comb(30, 12) * math.exp(betaln(5 + 12, 25 + 18) - betaln(5, 25))
    m = metrics(at)
    assert m["p(data), the normalising constant"] == f"{want:.4g}"
    assert not any("dotted curve lies under" in c.value for c in at.caption)  # not flat
    assert m["exact posterior"] == "Beta(17, 43)"
    at.number_input(key="ones").set_value(40).run()
    assert not at.exception
    assert "cannot be 40 ones in 30 throws" in texts(at.error)


def test_the_ledger_on_screen_is_the_core_s(shipped: Path) -> None:
    at = inference({"run": "mnist-2d", "part": MODEL, "image": str(IMAGE)})
    assert not at.exception, at.exception
    assert at.number_input(key="image").value == IMAGE
    model = core.latent_model(load_checkpoint(SHIPPED / "mnist-2d").model)
    led = core.image_ledger(model, page_images("mnist-2d")[IMAGE])
    m = metrics(at)
    assert m["log p(x), exact"] == f"{led.log_px:.2f}"
    assert m["ELBO(q*)"] == f"{led.elbo_q_star:.2f}"
    assert m["ELBO(encoder)"] == f"{led.elbo_encoder:.2f}"
    assert m["approximation gap"] == f"{led.approximation_gap:.2f}"
    assert m["amortisation gap"] == f"{led.amortisation_gap:.2f}"
    assert ("Several modes" in texts(at.warning)) == bool(led.multi_modal)
    (chart,) = [c for c in at.get("plotly_chart") if "inference_map" in c.proto.id]
    spec = chart.proto.spec
    for name in ("exact p(z|x)", "encoder q(z|x)", "MCMC samples", "SVI path", "q*"):
        assert name in spec
    assert "acceptance rate" in texts(at.caption)


def test_a_20d_model_says_why_there_is_no_exact_value_and_keeps_a_ledger(shipped: Path) -> None:
    at = inference({"run": "mnist-20d", "part": MODEL, "image": "3"})
    assert not at.exception, at.exception
    ck = load_checkpoint(SHIPPED / "mnist-20d")
    with pytest.raises(NeedsTwoDimensions) as err:
        require_2d(core.latent_model(ck.model))
    assert str(err.value) in texts(at.info)
    m = metrics(at)
    bound = float(m["IWAE bound on log p(x) (K = 5000)"])
    assert bound >= float(m["ELBO(q*)"]) >= float(m["ELBO(encoder)"])
    assert "log p(x), exact" not in m
    assert (
        "MCMC samples"
        in next(c for c in at.get("plotly_chart") if "inference_map" in c.proto.id).proto.spec
    )


def test_in_korean_the_reason_for_no_exact_value_is_korean(shipped: Path) -> None:
    at = inference({"run": "mnist-20d", "part": MODEL, "image": "3", "lang": "ko"})
    assert not at.exception, at.exception
    shown = texts(at.info)
    assert "정확한 사후분포" in shown and "20차원" in shown and "10^40" in shown
    assert "need a 2-D latent space" not in shown


def test_a_bad_upload_gets_a_clear_error_and_the_page_keeps_working(shipped: Path) -> None:
    at = inference({"run": "mnist-2d", "part": MODEL})
    at.segmented_control(key="inference_source").set_value("Upload").run()
    assert not at.exception
    at.file_uploader(key="inference_upload").set_value(("photo.png", b"not a picture", "image/png"))
    at.run()
    assert not at.exception
    assert "photo.png cannot be used" in texts(at.error)
    assert "log p(x), exact" not in metrics(at)
    assert metrics(at) == {}  # the die's tab is closed; nothing half-drawn


def test_a_diverged_chain_is_explained_and_the_rest_stays(
    shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def diverged(model: object, pixels: np.ndarray, samples: int = 2000) -> ChainResult:
        return ChainResult(
            samples=np.full((samples, 2), np.nan),
            path=np.full((10, 2), np.nan),
            acceptance_rate=0.0,
            step_size=1.0,
            divergences=samples,
            status="diverged",
            message="the chain diverged: 2000 of 2000 proposals after warm-up had a log density "
            "that was not finite",
        )

    monkeypatch.setattr(core, "image_chain", diverged)
    at = inference({"run": "mnist-2d", "part": MODEL, "image": "0"})
    assert not at.exception, at.exception
    assert "The MCMC samples are not shown: the chain diverged" in texts(at.warning)
    assert "log p(x), exact" in metrics(at)


def test_the_gaps_over_test_images_open_the_largest(
    shipped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui import inference_model

    monkeypatch.setattr(inference_model, "GAP_IMAGES", 12)
    at = inference({"run": "mnist-2d", "part": MODEL, "image": "0"})
    at.button(key="inference_gaps_go").click().run()
    assert not at.exception, at.exception
    assert any("inference_gaps" in c.proto.id for c in at.get("plotly_chart"))
    model = core.latent_model(load_checkpoint(SHIPPED / "mnist-2d").model)
    g = core.many_gaps(model, page_images("mnist-2d")[:12])
    worst = int(g.largest_amortisation[0])
    assert at.selectbox(key="inference_pick_amortisation").value == worst
    at.button(key="inference_open_amortisation").click().run()
    assert not at.exception
    assert at.number_input(key="image").value == worst


def _png(pixels: np.ndarray) -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("noise", "is larger than"), ("test image", "is within the test set's range")],
)
def test_an_upload_unlike_the_data_is_flagged_by_its_amortisation_gap(
    shipped: Path, monkeypatch: pytest.MonkeyPatch, kind: str, expected: str
) -> None:
    """Uniform noise is unlike every training image: the encoder's guess for it is far worse
    than the best Gaussian for it (an amortisation gap above 90% of the test images'), and the
    page says so; a test digit uploaded as it is lies within the test set's gaps."""
    from ui import inference_model

    monkeypatch.setattr(inference_model, "GAP_IMAGES", 20)
    digit = page_images("mnist-2d")[IMAGE][0]
    noise = np.random.default_rng(0).integers(0, 256, digit.shape)
    pixels = noise if kind == "noise" else digit
    at = inference({"run": "mnist-2d", "part": MODEL})
    at.segmented_control(key="inference_source").set_value("Upload").run()
    at.file_uploader(key="inference_upload").set_value((f"{kind}.png", _png(pixels), "image/png"))
    at.run()
    at.button(key="inference_gaps_go").click().run()
    assert not at.exception, at.exception
    shown = texts(at.warning) + texts(at.info)
    assert "Your upload's amortisation gap" in shown and expected in shown, shown
