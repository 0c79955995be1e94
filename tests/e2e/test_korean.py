"""The app in Korean in a real browser: the browser's language, every page, links, a picture.

A Chromium context whose preferred language is Korean (navigator.language "ko-KR", as a
Korean reader's browser) opens the app with no ?lang=; every page is walked through the
Korean navigation and must draw without an exception and with its own text in Hangul. The
Overview in Korean is the README's docs/overview_ko.png (written there by `make docs`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from testkit.browser import (
    APP_LIMIT_MS,
    assert_no_exception,
    open_app,
    readme_picture,
    screenshot,
    wait_for_app,
)

pytestmark = pytest.mark.e2e

MAIN = '[data-testid="stMain"]'
NAV = '[data-testid="stSidebarNav"]'
# (url path, the nav link's Korean title): every page of app.py
PAGES = [
    ("overview", "개요"),
    ("training", "학습"),
    ("latent", "잠재 공간"),
    ("decoder", "디코더"),
    ("reconstructions", "재구성"),
    ("interpolate", "보간"),
    ("inference", "추론"),
    ("compare", "모델 비교"),
    ("lessons", "수업"),
]
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


@pytest.fixture
def korean_page(browser: Any) -> Iterator[Any]:
    """A page in a browser whose preferred language is Korean."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(APP_LIMIT_MS)
    yield page
    context.close()


def _main_text(page: Any) -> str:
    return str(page.locator(MAIN).inner_text())


def _settle(page: Any) -> None:
    wait_for_app(page)
    page.wait_for_timeout(1000)  # charts and components draw after the script ends
    wait_for_app(page)


def test_a_korean_browser_gets_every_page_in_korean(korean_page: Any, app_url: str) -> None:
    page = korean_page
    open_app(page, app_url)
    page.locator(NAV).filter(has_text="잠재 공간").wait_for()
    nav = page.locator(NAV).inner_text()
    assert all(title in nav for _, title in PAGES), nav
    assert "lang=ko" in page.url  # not English: a copied address opens in Korean too
    problems = []
    for path, title in PAGES:
        page.locator(f"{NAV} a").filter(has_text=title).first.click()
        try:
            page.wait_for_url(re.compile(f"/{path}"))
            _settle(page)
            assert_no_exception(page)
            text = _main_text(page)
            hangul, latin = len(HANGUL.findall(text)), len(LATIN_WORD.findall(text))
            # the page's own words are Korean; names, formulas and units stay as they are
            assert hangul >= 40 and hangul > 2 * latin, f"{hangul} Hangul, {latin} Latin words"
        except Exception as exc:  # report every page, not only the first one that fails
            problems.append(f"{path}: {str(exc).splitlines()[0]}")
        finally:
            screenshot(page, f"korean-{path}")
    assert not problems, "\n".join(problems)


@pytest.mark.docs
def test_the_korean_overview_is_the_readme_picture(korean_page: Any, app_url: str) -> None:
    page = korean_page
    page.set_viewport_size({"width": 1280, "height": 900})
    open_app(page, f"{app_url}/overview?lang=ko")
    page.locator(f"{MAIN} h1").first.wait_for()
    _settle(page)
    assert_no_exception(page)
    assert HANGUL.search(page.locator(f"{MAIN} h1").first.inner_text())
    shot = screenshot(page, "overview-ko")
    page.screenshot(path=str(shot))  # the first screen, as a reader sees it
    assert readme_picture(shot, "overview_ko").stat().st_size > 20_000


def test_english_in_the_address_wins_over_a_korean_browser_and_travels(
    korean_page: Any, app_url: str
) -> None:
    page = korean_page
    open_app(page, f"{app_url}/overview?lang=en")
    page.locator(NAV).filter(has_text="Latent space").wait_for()
    page.locator(f"{NAV} a").filter(has_text="Decoder").first.click()
    page.wait_for_url(re.compile(r"/decoder\?.*lang=en"))
    _settle(page)
    assert "Decoder" in page.locator(NAV).inner_text()
    # the sidebar's selector switches to Korean and the address says so
    page.locator('[data-testid="stSidebar"] button').filter(has_text="한국어").first.click()
    page.wait_for_url(re.compile(r"lang=ko"))
    page.locator(NAV).filter(has_text="디코더").wait_for()
    assert_no_exception(page)
