"""The Inference page in Korean: the die's part translated, ?part= and ?prior= links unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import app, texts
from ui import state

SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints"
DIE = "The die: Bayes by hand"
MODEL = "The model: the true posterior"
MODEL_KO = "모델: 참 사후분포"


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VAE_CHECKPOINT_DIR", str(SHIPPED))
    return SHIPPED


def inference(query: dict[str, str], **session: object) -> AppTest:
    at = app()
    for key, value in session.items():
        at.session_state[key] = value
    at.default_timeout = 300
    at.query_params.update(query)
    return at.switch_page("pages/inference.py").run()


def test_the_die_in_korean_keeps_the_link_s_english_values(shipped: Path) -> None:
    at = inference({"lang": "ko", "run": "mnist-2d", "prior": "fair", "throws": "30", "ones": "12"})
    assert not at.exception
    m = {x.label: str(x.value) for x in at.metric}
    assert m["정확한 사후분포"] == "Beta(17, 43)"  # ?prior=fair still picks Beta(5, 25)
    assert "근사 추론" in texts(at.subheader)
    assert "주사위" in texts(at.markdown)
    assert at.segmented_control(key=state.INFERENCE_PRIOR).value == "fair"
    assert [t.label for t in at.tabs] == ["주사위: 손으로 푸는 베이즈", MODEL_KO]
    at.segmented_control(key=state.INFERENCE_PRIOR).set_value("custom").run()
    assert not at.exception
    assert at.metric[3].label == "정확한 사후분포" and at.metric[3].value == "Beta(14, 20)"


@pytest.mark.parametrize(
    ("lang", "part", "shown"),
    [("ko", MODEL, MODEL_KO), ("en", MODEL, MODEL), ("en", MODEL_KO, MODEL)],
)
def test_a_part_in_the_link_opens_the_model_in_either_language(
    shipped: Path, lang: str, part: str, shown: str
) -> None:
    # An upload with no file yet: the model's part without its long computations.
    at = inference(
        {"lang": lang, "run": "mnist-2d", "part": part}, **{state.INFERENCE_SOURCE: "Upload"}
    )
    assert not at.exception
    assert at.session_state[state.INFERENCE_PART] == shown
    assert not at.metric  # the die's part is closed
    want = "그림을 업로드하면" if lang == "ko" else "Upload a picture to see its posterior"
    assert want in texts(at.info)
