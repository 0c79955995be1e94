"""The Korean catalog: complete, current, compiled, and true to the glossary.

Fails when a message of the app (a marked string in app.py, pages/, ui/, components/, or a
lesson's text) lacks a Korean translation, when the .po keeps a message no source has any
more, when the .mo the app reads is older than the .po, when a translation drops or renames
a {placeholder}, or when it translates a glossary term another way.
"""

from __future__ import annotations

import gettext
import importlib.util
import re
import string
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "ko" / "LC_MESSAGES" / "messages.po"
GLOSSARY = ROOT / "locale" / "ko" / "glossary.toml"

pytest.importorskip("babel")


def _messages_module():
    spec = importlib.util.spec_from_file_location("messages", ROOT / "scripts" / "messages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("messages", module)
    spec.loader.exec_module(module)
    return module


messages = _messages_module()


@pytest.fixture(scope="module")
def template():
    return messages.template()


@pytest.fixture(scope="module")
def korean():
    return messages.read("ko")


def _ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _strings(msg) -> list[str]:
    return list(msg.string) if isinstance(msg.string, tuple) else [msg.string]


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_the_sources_have_messages_and_lessons_are_among_them(template):
    ids = _ids(template)
    assert len(ids) > 40
    from vae.lessons import load_lessons

    for lesson in load_lessons():
        assert lesson.title in ids and lesson.summary in ids
        assert all(step.text in ids and step.title in ids for step in lesson.steps)


def test_every_message_has_a_korean_translation(template, korean):
    missing = messages.missing("ko")
    assert not missing, f"{len(missing)} message(s) without Korean, e.g. {missing[:5]}"


def test_the_catalog_keeps_no_stale_message(template, korean):
    stale = _ids(korean) - _ids(template)
    assert not stale, f"the .po translates messages no source has: {sorted(stale)[:5]}"
    assert not korean.obsolete


def test_the_compiled_catalog_matches_the_po(korean):
    mo = PO.with_suffix(".mo")
    with mo.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for msg in korean:
        if not msg.id or msg.fuzzy or isinstance(msg.id, tuple):
            continue
        assert compiled.gettext(msg.id) == msg.string, f"stale .mo for {msg.id[:60]!r}"


def test_translations_keep_every_placeholder(korean):
    for msg in korean:
        if not msg.id:
            continue
        ids = [msg.id] if isinstance(msg.id, str) else list(msg.id)
        want = set().union(*(_fields(i) for i in ids))
        for text in _strings(msg):
            assert _fields(text) == want, f"{msg.id!r:.60}: placeholders {_fields(text)}"


def test_translations_use_the_glossary_terms(korean):
    terms = tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))["terms"]
    assert len(terms) >= 10
    wrong = []
    for msg in korean:
        if not msg.id or not msg.string:
            continue
        english = msg.id if isinstance(msg.id, str) else msg.id[0]
        english = re.sub(r"\{[^{}]*\}", " ", english)  # a placeholder's name is not a word
        text = " ".join(_strings(msg))
        for pattern, term in terms.items():
            if re.search(rf"\b(?:{pattern})\b", english, re.IGNORECASE) and term not in text:
                wrong.append(f"{english[:50]!r}: {pattern!r} -> {term!r}")
    assert not wrong, "\n".join(wrong[:20])


def test_the_core_s_labels_the_pages_translate_are_in_the_catalog(template):
    """Labels defined in vae/ and shown through _() (marked there with vae.errors.N_): a
    change of the core's wording must reach the catalog, or the page falls back to English."""
    from vae.analysis.compare import FIGURES
    from vae.training.jobrequest import FIELD_LABELS

    ids = _ids(template)
    from vae.data import IDX_CLASSES

    core = [*FIELD_LABELS.values(), *(t for _, label, help_ in FIGURES for t in (label, help_))]
    core += [*IDX_CLASSES["MNIST"], *IDX_CLASSES["FashionMNIST"]]  # ui.i18n.CLASS_NAMES
    missing = [text for text in core if text not in ids and text != "−ELBO"]
    assert not missing, f"core labels without a message id: {missing}"


# Streamlit calls whose first argument (or label=/help=/placeholder=) a person reads.
_TEXT_CALLS = {
    "markdown", "caption", "header", "subheader", "title", "info", "warning", "error",
    "success", "toast", "button", "download_button", "link_button", "form_submit_button",
    "toggle", "checkbox", "radio", "selectbox", "multiselect", "slider", "select_slider",
    "number_input", "text_input", "text_area", "file_uploader", "segmented_control", "pills",
    "metric", "expander", "popover", "spinner", "status", "page_link", "text", "write",
}  # fmt: skip
_ENGLISH = re.compile(r"[A-Za-z]{3,}[ ,.;:'-]+[A-Za-z]{3,}")  # two English words in a row


def _unmarked(path: Path) -> list[str]:
    """Literal text with English words passed straight to a Streamlit text call."""
    import ast

    source = path.read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in _TEXT_CALLS:
            continue
        owner = node.func.value
        if isinstance(owner, ast.Name) and "log" in owner.id.lower():
            continue  # a logger's line for the server's log, not the page
        args = [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("label", "help"))]
        for arg in args:
            if isinstance(arg, ast.JoinedStr):  # an f-string: its literal parts
                parts = [v.value for v in arg.values if isinstance(v, ast.Constant)]
            elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                parts = [arg.value]
            else:
                continue
            text = " | ".join(str(part) for part in parts)
            if _ENGLISH.search(text) and not HANGUL.search(text):
                found.append(f"{path.relative_to(ROOT)}:{arg.lineno}: {text[:70]}")
    return found


HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_no_page_text_is_left_unmarked():
    places = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
    places += (ROOT / "components").rglob("*.py")
    unmarked = [hit for path in sorted(places) for hit in _unmarked(path)]
    assert not unmarked, "text shown without _():\n" + "\n".join(unmarked)
