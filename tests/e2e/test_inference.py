"""The Inference page in Chromium on mnist-2d: a link opens an image's map and ledger, and the die.

The link names the part and the test image (/inference?run=mnist-2d&part=...&image=17); the
map must hold the exact posterior's heat map with the encoder's ellipses and the MCMC
samples, the ledger the exact log p(x). The die's tab shows p(data) = 1/7 for its defaults.
Screenshots go to the artifacts folder as inference_*.png.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest

from testkit.browser import assert_no_exception, open_app, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

MODEL = "The model: the true posterior"
DIE = "The die: Bayes by hand"
MAIN = '[data-testid="stMain"]'
TRACES = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')]
    .map((gd) => (gd.data || []).map((t) => ({type: t.type || "", name: String(t.name || "")})))"""


def test_a_link_opens_the_image_s_map_and_ledger_and_the_die(page: Any, app_url: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1300})
    open_app(page, app_url)  # the root first: a fresh server runs every page through app.py
    open_app(page, f"{app_url}/inference?run=mnist-2d&part={quote_plus(MODEL)}&image=17")
    main = page.locator(MAIN)
    # the ledger's line (the chart's annotation says it too, once the chart is drawn)
    main.locator("p").filter(has_text="log p(x), exact").first.wait_for(timeout=180_000)
    wait_for_app(page, timeout_ms=180_000)
    assert_no_exception(page)
    assert parse_qs(urlsplit(page.url).query)["image"] == ["17"]  # the link keeps its image
    assert page.get_by_role("spinbutton").first.input_value() == "17"
    text = main.inner_text()
    for words in ("ELBO(q*)", "ELBO(encoder)", "approximation gap", "amortisation gap"):
        assert words in text
    page.wait_for_function(f"() => ({TRACES})().some((c) => c.some((t) => t.type === 'heatmap'))")
    charts = page.evaluate(TRACES)
    (traces,) = [c for c in charts if any(t["type"] == "heatmap" for t in c)]
    names = {t["name"] for t in traces}
    assert "exact p(z|x)" in names and "encoder q(z|x): 1, 2, 3σ" in names
    assert "MCMC samples (MALA)" in names and "SVI path" in names
    assert any(c and all(t["type"] == "scatter" for t in c) and len(c) == 1 for c in charts)
    screenshot(page, "inference_model")

    page.get_by_role("tab", name=DIE).click()
    main.get_by_text("p(data), the normalising constant").wait_for()
    wait_for_app(page, rerun=True)
    assert_no_exception(page)
    assert "0.1429" in main.inner_text()  # 6 throws, 2 ones, flat prior: p(data) = 1/7
    assert "Beta(3, 5)" in main.inner_text()
    query = parse_qs(urlsplit(page.url).query)
    assert "part" not in query and query["run"] == ["mnist-2d"]  # the default part: no parameter
    screenshot(page, "inference_die")
