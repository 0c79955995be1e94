"""The Overview and the Lessons page in Korean (?lang=ko): translated text, English links."""

from __future__ import annotations

from pathlib import Path

from tests.app.conftest import app, texts


def test_the_overview_in_korean(ckpt_dir: Path) -> None:
    at = app()
    at.query_params["lang"] = "ko"
    at.run()  # app.py opens the Overview first
    assert not at.exception
    assert at.title[0].value.endswith("변분 오토인코더란 무엇인가")
    assert at.header[0].value.endswith("선택한 모델: digits-2d")
    assert "아키텍처와 학습" in texts(at.subheader) and "사전분포에서 뽑은 표본" in texts(
        at.subheader
    )
    text = texts(at.markdown)
    assert "근사 사후분포" in text and "**증거 하한**(ELBO)" in text and "Kingma & Welling" in text
    assert "**잠재 크기:** 2" in text
    assert {m.label for m in at.metric} >= {"테스트 −ELBO (nats)", "재구성 (nats)", "활성 유닛"}
    assert at.button[0].label == "새 표본 뽑기"
    assert r"\mathcal{L}" in "\n".join(e.value for e in at.latex)  # the formulas as they are


def test_the_lessons_page_in_korean(ckpt_dir: Path) -> None:
    at = app()
    at.query_params["lang"] = "ko"
    at.run()
    at.switch_page("pages/lessons.py").run()
    assert not at.exception
    assert at.title[0].value.endswith("수업")
    shown = texts(at.main.subheader)
    assert "1. 잠재 공간은 지도다" in shown and "사후분포 붕괴" in shown
    labels = {e.proto.label: e.proto for e in at.get("page_link")}
    step = labels["2. β = 8에서는 절반이 아무것도 담지 않는다"]
    assert "lesson=collapse&step=2" in step.query_string  # the link's values stay English
    assert "발표하기" in labels
    assert "필요한 체크포인트가 이 서버에 없어요" in texts(at.caption)
