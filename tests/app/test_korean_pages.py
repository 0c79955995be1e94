"""Every page of the app in Korean (?lang=ko): no exception, its title and text in Hangul."""

from __future__ import annotations

import re

import pytest

from tests.app.conftest import APP, app, texts
from vae.lessons import PAGES as STEP_PAGES

HANGUL = re.compile(r"[\uac00-\ud7a3]")
PAGES = (*STEP_PAGES, "lessons")  # the pages a lesson step opens, and the Lessons page


def test_the_list_is_every_page_of_the_app():
    registered = re.findall(r'"pages/(\w+)\.py"', APP.read_text(encoding="utf-8"))
    assert sorted(registered) == sorted(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_a_page_in_korean(ckpt_dir, page):
    at = app()
    at.query_params["lang"] = "ko"
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    title = texts(at.title)
    assert HANGUL.search(title), title
    words = "\n".join(
        texts(getattr(at, kind)) for kind in ("markdown", "caption", "subheader", "header")
    )
    hangul = len(HANGUL.findall(words))
    assert hangul >= 20, f"{page}: {hangul} Hangul characters in\n{words[:500]}"
    assert at.query_params["lang"] == "ko"
