"""Drawing a latent map in Chromium: WebGL at plotly's 2 canvas pixels per CSS pixel against the
app's 1 (ui.plots.MAP_CONFIG), one map and Compare's two panels.

The figures are the app's own (ui.plots.latent_scatter and side_by_side) of 10,000 codes in 10
classes, drawn by the plotly.js that the plotly package ships (Streamlit bundles a copy of
plotly.js of its own) in a blank page of the same headless Chromium the other sections use.
Each draw is timed in the page from Plotly.newPlot to the frame after it; the variants take
turns, so a busy moment of the machine falls on all of them alike.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from bench.browser import chromium
from bench.report import Section, cell, stat

POINTS = 10_000
DRAW_JS = """async ([fig, config]) => {
    const el = document.getElementById("map");
    Plotly.purge(el);
    await new Promise((r) => requestAnimationFrame(() => r()));
    const t0 = performance.now();
    await Plotly.newPlot(el, fig.data, fig.layout, config);
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const scale = Array.from(el.querySelectorAll("canvas.gl-canvas-context")).map(
        (c) => c.width / c.getBoundingClientRect().width);
    return [performance.now() - t0, scale[0] ?? 0];
}"""


def figures() -> dict[str, dict[str, Any]]:
    """One 10,000-point map and Compare's two panels of 10,000 each, as plotly JSON."""
    from ui.plots import add_codes, latent_scatter, side_by_side

    rng = np.random.default_rng(0)
    classes = [str(i) for i in range(10)]

    def codes() -> tuple[np.ndarray, np.ndarray]:
        return rng.normal(size=(POINTS, 2)), rng.integers(0, 10, POINTS)

    xy, labels = codes()
    one = latent_scatter(xy, np.arange(POINTS), labels, classes)
    two = side_by_side(("left", "right"), (("z1", "z2"), ("PC 1", "PC 2")), height=440)
    for panel in (1, 2):
        xy, labels = codes()
        add_codes(two, xy, np.arange(POINTS), labels, classes, panel)
    return {"one map": json.loads(one.to_json()), "two panels": json.loads(two.to_json())}


def map_drawing(sec: Section, repeats: int) -> None:
    import plotly

    from ui.plots import MAP_CONFIG

    script = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    configs = {"plotly's default (2)": {}, "the app's (1)": MAP_CONFIG}
    figs = figures()
    times: dict[tuple[str, str], list[float]] = {(f, c): [] for f in figs for c in configs}
    scales: dict[str, float] = {}
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_content('<div id="map" style="width: 1200px"></div>')
        page.add_script_tag(path=str(script))
        version = page.evaluate("Plotly.version")
        for i in range(repeats + 1):  # the first round warms the page up and is not counted
            for fname, fig in figs.items():
                for cname, config in configs.items():
                    ms, scale = page.evaluate(DRAW_JS, [fig, config])
                    scales[cname] = scale
                    if i:
                        times[(fname, cname)].append(ms / 1000)
    sec.add(
        f"{POINTS:,} codes per map in 10 classes drawn by plotly.js {version} in headless "
        f"Chromium (WebGL in software: no GPU), {repeats} draws of each in turn after one not "
        "counted; seconds from Plotly.newPlot to the next frame, median (min–max). Canvas "
        "pixels per CSS pixel as drawn: "
        + ", ".join(f"{name} {scale:g}" for name, scale in scales.items())
        + "."
    )
    rows = []
    for fname in figs:
        ref = stat(times[(fname, "plotly's default (2)")])
        app = stat(times[(fname, "the app's (1)")])
        rows.append([fname, cell(ref), cell(app), f"{ref.median / app.median:.2f}×"])
    sec.table(["figure", "plotly's default (2)", "the app's (1)", "default / app"], rows)
