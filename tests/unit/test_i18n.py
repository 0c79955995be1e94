"""ui/i18n.py: which language a run uses, and the catalog behind _()."""

from __future__ import annotations

import pytest

from ui import i18n


@pytest.mark.parametrize(
    ("locale", "lang"),
    [("ko-KR", "ko"), ("ko", "ko"), ("ko_KR", "ko"), ("KO-kr", "ko"), ("en-US", "en"),
     ("en", "en"), ("fr-FR", None), ("", None), (None, None), ("zh-Hans-CN", None)],
)  # fmt: skip
def test_a_browser_locale_maps_to_a_language_of_the_app(locale, lang):
    assert i18n.from_locale(locale) == lang


def test_the_link_wins_then_the_session_then_the_browser_then_english():
    assert i18n.pick_language("ko", "en", "en-US") == "ko"
    assert i18n.pick_language("en", "ko", "ko-KR") == "en"
    assert i18n.pick_language(None, "ko", "en-US") == "ko"
    assert i18n.pick_language(None, None, "ko-KR") == "ko"
    assert i18n.pick_language(None, None, "de-DE") == "en"
    assert i18n.pick_language("xx", None, None) == "en"  # unknown values are ignored
    assert i18n.pick_language(None, "../etc", "ko-KR") == "ko"


def test_the_korean_catalog_is_compiled_and_english_is_the_message_itself():
    ko = i18n.translations("ko")
    assert ko.gettext("Decoder") == "디코더"
    assert ko.gettext("Latent space") == "잠재 공간"
    assert ko.gettext("a message no source has") == "a message no source has"
    assert i18n.translations("en").gettext("Decoder") == "Decoder"


def test_outside_a_session_the_language_is_english_and_links_carry_none():
    assert i18n.language() == "en"
    assert i18n._("Decoder") == "Decoder"
    assert i18n.with_language({"run": "mnist-2d"}) == {"run": "mnist-2d"}
    assert i18n.N_("Decoder") == "Decoder"
