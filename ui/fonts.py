"""Fonts for words drawn into pictures (row labels, the GIF's titles) in the page's language.

PIL's own default font has Latin letters only, so Korean drawn with it shows as boxes. For
another language the system's fontconfig is asked for a sans-serif font that covers it (the
set-up installs one for Korean: fonts-nanum); without one, the default font is used.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from typing import Any

from ui.i18n import DEFAULT, language


def _ask(*args: str) -> list[str]:
    exe = shutil.which(args[0])
    if exe is None:
        return []
    try:
        done = subprocess.run([exe, *args[1:]], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


@functools.cache
def font_file(lang: str) -> str | None:
    """A font file with the letters of `lang`; None for English or when the system has none."""
    if lang == DEFAULT:
        return None
    covering = _ask("fc-list", f":lang={lang}", "-f", "%{file}\n")
    if not covering:
        return None
    best = _ask("fc-match", f"sans-serif:lang={lang}", "-f", "%{file}\n")
    if best and best[0] in covering:
        return best[0]
    regular = [f for f in sorted(covering) if "bold" not in f.lower()]
    return (regular or sorted(covering))[0]


def label_font(size: int) -> Any:
    """A PIL font of `size` px that can draw this session's language."""
    from PIL import ImageFont

    path = font_file(language())
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size=size)
