"""The interface's language through the app: ?lang=, the sidebar selector, page changes, links."""

from __future__ import annotations

from tests.app.conftest import app, texts
from ui import state


def _sidebar_text(at) -> str:
    return texts(at.sidebar.subheader) + "\n" + texts(at.sidebar.caption)


def test_a_korean_link_opens_the_app_in_korean_and_keeps_it_across_pages(ckpt_dir):
    at = app()
    at.query_params["lang"] = "ko"
    at.run()
    assert not at.exception
    assert at.session_state[state.LANGUAGE] == "ko"
    assert "모델" in _sidebar_text(at)  # the picker's heading
    assert at.sidebar.selectbox[0].label == "체크포인트"
    at.switch_page("pages/decoder.py").run()  # a page change drops the address's parameters
    assert not at.exception
    assert at.session_state[state.LANGUAGE] == "ko"
    assert at.query_params["lang"] == "ko"  # written back, so a copied address keeps it
    assert "모델" in _sidebar_text(at)


def test_the_sidebar_selector_switches_the_language_and_puts_it_in_the_address(ckpt_dir):
    at = app().run()
    assert not at.exception and "Model" in _sidebar_text(at)
    assert "lang" not in at.query_params  # English by default: nothing added to the address
    selector = at.sidebar.get("button_group")[0]
    selector.set_value("ko").run()
    assert not at.exception
    assert "모델" in _sidebar_text(at) and at.query_params["lang"] == "ko"
    at.sidebar.get("button_group")[0].set_value("en").run()
    assert "Model" in _sidebar_text(at)
    assert at.query_params["lang"] == "en"  # chosen, so it travels even as English


def test_an_unknown_language_in_a_link_says_so_in_both_languages_and_shows_english(ckpt_dir):
    at = app()
    at.query_params["lang"] = "../../etc<script>"
    at.run()
    assert not at.exception
    warning = texts(at.warning)
    assert "Unknown language" in warning and "언어를 알 수 없습니다" in warning
    assert at.session_state[state.LANGUAGE] == "en" and "Model" in _sidebar_text(at)


def test_lesson_links_made_in_korean_carry_the_language(ckpt_dir):
    at = app()
    at.query_params["lang"] = "ko"
    at.switch_page("pages/lessons.py").run()
    assert not at.exception
    links = [e.proto for e in at.get("page_link")]
    assert links and all("lang=ko" in link.query_string for link in links)
