"""The interface's language: English in the code as message ids, Korean from a gettext catalog.

Text a person reads is written in English and marked for translation:

    from ui.i18n import _
    st.header(_("Decoder"))
    st.caption(_("{n} test images").format(n=len(rows)))  # placeholders by name, never f"..."

Text defined at import time (a table of labels) is marked with `N_("...")`, which only marks
it, and translated where it is shown with `_(label)`. `scripts/messages.py` extracts every
marked string (and the lessons' text from lessons/*.toml) into locale/messages.pot, updates
locale/ko/LC_MESSAGES/messages.po and compiles the .mo file the app reads with Python's own
gettext. The terms a translation must use are in locale/ko/glossary.toml.

The language is chosen once per run by app.py (`choose_language`): ?lang= in the address,
else the choice this session made, else the browser's preferred language, else English.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import streamlit as st

from ui.state import LANG_PARAM, LANGUAGE, LANGUAGE_CHOSEN, LANGUAGE_PICKER

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"
LANGUAGES = {"en": "English", "ko": "한국어"}  # each in its own language, as a selector shows it
DEFAULT = "en"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalog of a language (English and a missing catalog: the message ids as they are)."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _session(key: str, default: object) -> object:
    try:
        return st.session_state.get(key, default)
    except Exception:  # no script run (a unit test, a bare import)
        return default


def language() -> str:
    """The language of this run's pages ("en" outside a session)."""
    lang = _session(LANGUAGE, DEFAULT)
    return lang if isinstance(lang, str) and lang in LANGUAGES else DEFAULT


def _(message: str) -> str:
    """`message` in this session's language."""
    return translations(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, in this session's language."""
    return translations(language()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # the gettext convention
    """Mark text for translation without translating it (translate it where it is shown)."""
    return message


def from_locale(locale: str | None) -> str | None:
    """The app's language for a browser locale such as "ko-KR" (None when it has none)."""
    if not locale:
        return None
    base = locale.replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else None


def pick_language(param: str | None, session: str | None, locale: str | None) -> str:
    """The language a run uses: the link's, else the session's, else the browser's, else English.

    An unknown ?lang= value is ignored (the page says so, in English and Korean).
    """
    for lang in (param, session, from_locale(locale)):
        if lang in LANGUAGES:
            return lang
    return DEFAULT


def _browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # no browser (AppTest)
        return None


def _picked() -> None:
    picked = st.session_state.get(LANGUAGE_PICKER)
    if picked not in LANGUAGES:  # the selected option clicked again: no change
        return
    st.session_state[LANGUAGE] = picked
    st.session_state[LANGUAGE_CHOSEN] = True
    st.query_params[LANG_PARAM] = picked  # the address's old value must not win the next run


def choose_language() -> str:
    """Set this run's language from the link, the session or the browser; keep it in the URL.

    app.py calls it first, before any text is drawn. The URL holds ?lang= whenever a link or
    the selector chose the language, or it is not English, so a copied link opens the same.
    """
    param = st.query_params.get(LANG_PARAM)
    if param is not None and param not in LANGUAGES:
        st.warning(
            f"Unknown language {param[:20]!r} in this link; choose one in the sidebar "
            f"({', '.join(LANGUAGES)}). · 링크의 언어를 알 수 없습니다. 사이드바에서 고르세요.",
            icon=":material/translate:",
        )
        param = None
    if param is not None:
        st.session_state[LANGUAGE_CHOSEN] = True
    lang = pick_language(param, st.session_state.get(LANGUAGE), _browser_locale())
    st.session_state[LANGUAGE] = lang
    if link_language() is not None and st.query_params.get(LANG_PARAM) != lang:
        st.query_params[LANG_PARAM] = lang
    return lang


def link_language() -> str | None:
    """The ?lang= value links should carry (None: links leave the language to the browser)."""
    lang = language()
    chosen = bool(_session(LANGUAGE_CHOSEN, False))
    return lang if chosen or lang != DEFAULT else None


def with_language(params: Mapping[str, str]) -> dict[str, str]:
    """A link's query parameters plus ?lang= when this session's language must travel."""
    lang = link_language()
    return {**params, LANG_PARAM: lang} if lang is not None else dict(params)


def language_selector() -> None:
    """The sidebar's language choice (its label in both languages, so either reader finds it)."""
    st.session_state[LANGUAGE_PICKER] = language()
    st.sidebar.segmented_control(
        "Language · 언어",
        options=list(LANGUAGES),
        format_func=LANGUAGES.__getitem__,
        key=LANGUAGE_PICKER,
        on_change=_picked,
        selection_mode="single",
    )


def take_link_value(param: str, options: Sequence[str], shown: bool) -> None:
    """A widget bound to ?`param`= takes a link's value in any language; call it first.

    Bound to the URL, st.tabs and a segmented control with a format_func keep their shown
    label there (?part=모델: 참 사후분포 in Korean), and a fresh page seeds them from the
    address as it was opened. So another language's spelling (the English of a lesson's link,
    a Korean session's label) becomes the widget's value through session state before it is
    drawn: the shown label (`shown`, a tab) or the English option. A tab's state after a
    language switch (the label in the language before) is carried over the same way.
    """
    mine = {_(option) for option in options}
    value = st.query_params.get(param)
    if value is None or value in mine:
        value = st.session_state.get(param) if shown else None
        if value is None or value in mine:
            return  # none, or this language's own label: the widget reads it itself
    for option in options:
        if value in {option, *(translations(lang).gettext(option) for lang in LANGUAGES)}:
            st.session_state[param] = _(option) if shown else option
            return


def bound_labels(param: str, labels: Sequence[str]) -> list[str]:
    """`labels` (English) as shown in this session's language, for tabs bound to ?`param`=.

    st.tabs has no format_func: a tab bound to the URL keeps its shown label there, so the
    link's label in any language is taken first (take_link_value).
    """
    take_link_value(param, labels, shown=True)
    return [_(label) for label in labels]


# The shipped data sets' class names (vae/data.py) that have a natural name in Korean, marked
# here so the catalog holds them; class_label() shows them in the session's language.
CLASS_NAMES = frozenset(
    (
        N_("zero"), N_("one"), N_("two"), N_("three"), N_("four"),
        N_("five"), N_("six"), N_("seven"), N_("eight"), N_("nine"),
        N_("T-shirt/top"), N_("Trouser"), N_("Pullover"), N_("Dress"), N_("Coat"),
        N_("Sandal"), N_("Shirt"), N_("Sneaker"), N_("Bag"), N_("Ankle boot"),
        N_("face"),
    )
)  # fmt: skip


def class_label(name: str) -> str:
    """A data set's class name as this session reads it (other names as they are)."""
    return _(name) if name in CLASS_NAMES else name
