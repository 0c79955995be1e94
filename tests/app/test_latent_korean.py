"""The Latent page in Korean: a lesson's ?view=Map link opens the map, the tabs show Korean."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import app, texts
from tests.app.test_latent import select
from ui import latent_aids as aids
from ui import state as keys
from ui.i18n import translations

TIMEOUT = 300  # a busy machine; the first run imports torch
KO = translations("ko").gettext


def latent(query: dict[str, str]) -> AppTest:
    """The app opened at /latent?<query>, as a pasted link opens it."""
    at = app(checkpoint="digits-2d")
    at.default_timeout = TIMEOUT
    at.query_params.update(query)
    return at.switch_page("pages/latent.py").run()


def test_an_english_view_link_opens_the_map_in_korean(ckpt_dir):
    at = latent({"lang": "ko", "view": aids.MAP_TAB})
    assert not at.exception
    assert "잠재 공간" in at.title[0].value
    english = aids.tabs_for(2)
    assert [t.label for t in at.tabs] == [KO(label) for label in english]
    assert [t.label for t in at.tabs] != english  # every tab has its Korean label
    assert at.query_params.get("view") in (None, KO(aids.MAP_TAB))  # the first tab: no need
    # The map's content, and no other tab's: the scatter, its toggles and its hint.
    charts = [c.proto.id.split("-", 2)[2] for c in at.get("plotly_chart")]
    assert charts == ["latent_chart_digits-2d_Two latent dimensions_(0, 1)"]
    toggles = {t.label for t in at.toggle}
    assert toggles == {KO("Prior N(0, I) contours"), KO("Shade where q(z) is thin")}
    assert "지도에서 점을 선택하면" in texts(at.info)
    assert "테스트 세트의 점" in texts(at.caption)


def test_an_english_link_still_opens_the_map_in_english(ckpt_dir):
    at = latent({"view": aids.MAP_TAB})
    assert not at.exception
    assert [t.label for t in at.tabs] == aids.tabs_for(2)
    assert at.query_params.get("view") in (None, aids.MAP_TAB)
    assert "Select points" in texts(at.info)


def test_a_lessons_training_link_opens_that_tab_in_korean(ckpt_dir):
    at = latent({"lang": "ko", "view": aids.TRAINING_TAB})  # as lessons/map.toml links it
    assert not at.exception
    assert not at.toggle  # the map's toggles are on a closed tab
    charts = [c.proto.id.split("-", 2)[2] for c in at.get("plotly_chart")]
    assert charts == ["latent_formation_digits-2d_None"]
    assert "에폭 각각이 끝난 뒤 인코딩한 결과" in texts(at.caption)
    at.run()
    assert at.query_params["view"] == KO(aids.TRAINING_TAB)  # the address holds the shown label


def test_changing_the_language_keeps_the_open_tab(ckpt_dir):
    at = latent({"view": aids.TRAINING_TAB})
    assert at.query_params["view"] == aids.TRAINING_TAB
    (picker,) = [b for b in at.sidebar.button_group if "언어" in b.label]
    picker.set_value("ko").run()
    assert not at.exception
    assert at.session_state[keys.VIEW_PARAM] == KO(aids.TRAINING_TAB)
    assert [t.label for t in at.tabs][-1] == KO(aids.TRAINING_TAB) and not at.toggle
    assert "에폭 각각이 끝난 뒤 인코딩한 결과" in texts(at.caption)
    picker.set_value("en").run()  # and back
    assert not at.exception
    assert at.session_state[keys.VIEW_PARAM] == aids.TRAINING_TAB
    assert "epochs (epoch 0" in texts(at.caption)


def test_samples_button_opens_its_tab_in_korean(ckpt_dir):
    at = latent({"lang": "ko", "view": aids.MAP_TAB})
    select(at, [12, 30])
    assert not at.exception
    assert list(at.dataframe[0].value.columns)[:2] == [KO("index"), KO("label")]
    assert at.subheader[0].value == KO("Selected images")
    (draw,) = [b for b in at.button if b.label == KO(aids.SAMPLES_TAB)]
    draw.click().run()
    assert not at.exception
    assert at.session_state[keys.VIEW_PARAM] == KO(aids.SAMPLES_TAB)
    assert at.number_input(key="latent_enc_row").value == 12
