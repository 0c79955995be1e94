"""Measure pointer/slider move -> canvas drawn latency of a live decoder view in Chromium.

Use with a Playwright page that already shows one live_decoder or live_map view (a
Streamlit page, or any page that mounts the component). The component records, for every
frame it draws, the time from the earliest input event not yet drawn to the end of the
draw (window.liveDecoderStats.latencies, in ms); this helper makes the moves and reads
those numbers.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

# Resolves after the next animation frame's callbacks (the view draws in one of them).
NEXT_FRAME = "() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))"


def _path(n: int) -> list[tuple[float, float]]:
    """n points on a loop through the unit square, away from its edges."""
    return [
        (0.5 + 0.35 * math.cos(2 * math.pi * i / n), 0.5 + 0.35 * math.sin(4 * math.pi * i / n))
        for i in range(n)
    ]


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "median_ms": statistics.median(ordered),
        "p90_ms": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "max_ms": ordered[-1],
    }


def measure_latency(
    page: Any, moves: int = 60, target: str = "auto", press: bool = True
) -> dict[str, float]:
    """Make `moves` pointer moves over the view; return the median etc. of move -> drawn (ms).

    target: "plane" (the pad or map), "slider" (drag the first slider's thumb), or "auto"
    (the plane when there is one). press: drag with the button down (False: hover, which
    only the map follows).
    """
    plane = page.locator(".ld-overlay")
    if target == "auto":
        target = "plane" if plane.count() else "slider"
    box = (plane if target == "plane" else page.locator(".ld-row input").first).bounding_box()
    if box is None:
        raise RuntimeError("no live decoder view is visible on the page")
    page.wait_for_function("() => globalThis.liveDecoderStats !== undefined")
    before = page.evaluate("() => globalThis.liveDecoderStats.latencies.length")
    if target == "plane":
        x0, w, y0, h = box["x"], box["width"], box["y"], box["height"]
        points = [(x0 + fx * w, y0 + fy * h) for fx, fy in _path(moves + 1)]
    else:
        y = box["y"] + box["height"] / 2
        points = [(box["x"] + (0.05 + 0.9 * fx) * box["width"], y) for fx, _ in _path(moves + 1)]
    page.mouse.move(*points[0])
    if press:
        page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x, y)
        page.evaluate(NEXT_FRAME)  # one move, one drawn frame
    if press:
        page.mouse.up()
    samples = page.evaluate("(k) => globalThis.liveDecoderStats.latencies.slice(k)", before)
    return _summary([float(s) for s in samples[-moves:]])
