"""ui/fonts.py: words drawn into pictures use a font that has the page language's letters."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from ui import fonts, images


def _drawn(text: str, monkeypatch: pytest.MonkeyPatch, lang: str) -> np.ndarray:
    monkeypatch.setattr(fonts, "language", lambda: lang)
    return images.label_rows(np.zeros((40, 40, 3), np.uint8), [text])[:, :-40]


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="no fontconfig on this machine")
def test_korean_labels_are_drawn_with_a_font_that_has_hangul(monkeypatch) -> None:
    path = fonts.font_file("ko")
    covering = subprocess.run(
        ["fc-list", ":lang=ko", "-f", "%{file}\n"], capture_output=True, text=True
    ).stdout.split()
    assert path in covering  # the set-up installs one (fonts-nanum)
    # Two different syllables are two different pictures: not the same box for a missing glyph.
    a, b = _drawn("입력", monkeypatch, "ko"), _drawn("출력", monkeypatch, "ko")
    assert a.shape == b.shape and not np.array_equal(a, b) and (a < 250).any()
    default_a = _drawn("입력", monkeypatch, "en")
    default_b = _drawn("출력", monkeypatch, "en")
    assert np.array_equal(default_a, default_b)  # PIL's own font: both the same missing glyphs


def test_english_keeps_the_default_font_and_an_unknown_language_falls_back() -> None:
    assert fonts.font_file("en") is None
    assert fonts.font_file("xx-not-a-language") is None


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="no fontconfig on this machine")
def test_the_gifs_titles_are_drawn_with_that_font() -> None:
    from vae.analysis.interpolation import animation_frames

    strip = np.zeros((2, 1, 8, 8))
    head = [
        animation_frames([strip, strip], names, font_file=fonts.font_file("ko"))[0][:20]
        for names in (("직선", "구면"), ("구면", "직선"))
    ]
    assert not np.array_equal(*head) and (head[0] < 250).any()
