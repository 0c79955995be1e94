"""The Interpolation and Compare pages in a real browser: content drawn, no exception box.

Screenshots go to the artifacts folder; the README's pictures (`make docs`) are
docs/interpolation.png (mnist-20d) and docs/compare.png (mnist-2d against mnist-20d). A
beta comparison uses digits-2d (beta = 1) against a beta = 2 model trained here with the
same architecture.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from testkit.browser import (
    REPO,
    assert_no_exception,
    open_app,
    readme_picture,
    screenshot,
    wait_for_app,
    webgl_scales,
)

pytestmark = pytest.mark.e2e

MAIN = '[data-testid="stMain"]'
PLOTS_DRAWN_JS = """n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n
    && !document.querySelector('[data-testid="stSkeleton"]')"""
STRIP_RATIOS_JS = f"""() => Array.from(document.querySelectorAll('{MAIN} img'))
    .filter(i => i.complete && i.naturalHeight > 0)
    .map(i => [i.naturalWidth, i.naturalHeight, i.src.split('?')[0].split('.').pop()])"""


# {trace name: y values} of the chart titled "Norm ..." (plotly's decoded data of the graph div)
NORMS_JS = """() => {
    const gd = Array.from(document.querySelectorAll('.js-plotly-plot'))
        .find(g => ((g.layout.title || {}).text || '').includes('Norm'));
    return Object.fromEntries(gd._fullData.map(t => [t.name, Array.from(t.y)]));
}"""


def wait_for_plots(page: Any, count: int) -> None:
    """Wait until `count` plotly charts have drawn and no element is still loading."""
    page.wait_for_function(PLOTS_DRAWN_JS, arg=2 * count, timeout=240_000)
    page.wait_for_timeout(1000)  # WebGL scatter points draw a moment after the SVG


def strips(page: Any, steps: int, side: int = 28) -> list[list[Any]]:
    """Shown pictures shaped like one row of `steps` tiles of side x side px, 1 px apart."""
    wide, high = steps * (side + 1) + 1, side + 2
    images = page.evaluate(STRIP_RATIOS_JS)
    return [i for i in images if i[0] * high == i[1] * wide]


def save_docs(page: Any, name: str) -> Path:
    return readme_picture(screenshot(page, name), name)


def test_interpolation_draws_both_strips_the_map_and_the_gif(page: Any, app_url: str) -> None:
    open_app(page, f"{app_url}/interpolate?run=mnist-2d")
    wait_for_plots(page, 2)
    assert_no_exception(page)
    assert "interpolation" in page.locator(f"{MAIN} h1").first.inner_text().lower()
    assert len(strips(page, 10)) == 2  # linear and spherical, 10 steps each
    kinds = [i[2] for i in page.evaluate(STRIP_RATIOS_JS)]
    assert "gif" in kinds  # the animation is shown as the GIF it offers
    button = page.locator(MAIN).get_by_role("button", name="Download the GIF")
    assert button.is_visible()
    screenshot(page, "interpolate-mnist-2d")


@pytest.mark.docs
def test_slerp_keeps_the_norm_in_20d(page: Any, app_url: str) -> None:
    """The README's picture: mnist-20d, where the straight path dips and slerp does not."""
    page.set_viewport_size({"width": 1400, "height": 1560})
    open_app(page, f"{app_url}/interpolate?run=mnist-20d")
    wait_for_plots(page, 2)
    assert_no_exception(page)
    norms = page.evaluate(NORMS_JS)
    linear, spherical = norms["Linear (lerp)"], norms["Spherical (slerp)"]
    assert len(linear) == len(spherical) == 10
    assert min(linear) < 0.8 * min(spherical)  # the straight line cuts through the middle
    assert "20-dimensional space" in page.locator(MAIN).inner_text()
    assert (save_docs(page, "interpolation")).stat().st_size > 50_000


def test_interpolation_follows_the_steps_slider(page: Any, app_url: str) -> None:
    open_app(page, f"{app_url}/interpolate?run=mnist-2d")
    wait_for_plots(page, 2)
    thumb = page.locator(".st-key-interp_steps input[type='range']")
    thumb.focus()
    thumb.press("End")  # the most steps: 24
    wait_for_app(page, rerun=True)
    page.wait_for_function(
        f"() => ({STRIP_RATIOS_JS})().filter(i => i[0] * 30 == i[1] * (24 * 29 + 1)).length == 2"
    )
    assert_no_exception(page)
    assert "46 frames" in page.locator(MAIN).inner_text()  # 2 x 24 - 2, A to B and back
    screenshot(page, "interpolate-24-steps")


def test_compare_of_different_data_explains_and_still_plots(page: Any, app_url: str) -> None:
    open_app(page, f"{app_url}/compare?run=frey-2d")  # the only Frey run: no partner on its data
    wait_for_plots(page, 2)  # rate-distortion, and both maps in one figure
    assert_no_exception(page)
    text = page.locator(MAIN).inner_text()
    assert "cannot be shown the same images" in text and "rate: KL" in text
    assert page.locator(f'{MAIN} [data-testid="stDataFrame"]').count() == 0
    screenshot(page, "compare-different-data")


@pytest.mark.docs
def test_compare_2d_with_20d_mnist(page: Any, app_url: str) -> None:
    """The README's picture: the shipped mnist-2d against mnist-20d on the same images."""
    page.set_viewport_size({"width": 1400, "height": 2100})
    open_app(page, f"{app_url}/compare?run=mnist-2d&vs=mnist-20d")  # not its beta-4 sibling
    wait_for_plots(page, 2)
    assert_no_exception(page)
    main = page.locator(MAIN)
    text = main.inner_text()
    assert "mnist-20d" in text and "latent size 20" in text and "PCA of its 20 dimensions" in text
    assert "rate: KL" in main.locator(".js-plotly-plot").first.inner_text()
    assert main.locator('[data-testid="stDataFrame"]').count() == 1  # per-image −ELBO
    scales = webgl_scales(page)  # both maps in one WebGL chart, drawn at the screen's pixels
    assert len(scales) == 1 and abs(scales[0] - 1) < 0.01, scales
    assert (save_docs(page, "compare")).stat().st_size > 50_000


@pytest.fixture(scope="module")
def beta_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped checkpoints plus digits-2d-beta2: digits-2d's architecture, beta = 2."""
    from vae import TrainConfig, load_checkpoint, load_dataset
    from vae.training.loop import train

    root = tmp_path_factory.mktemp("beta_runs")
    for run in (REPO / "checkpoints").iterdir():
        if (run / "config.json").is_file():
            shutil.copytree(run, root / run.name)
    base = load_checkpoint(root / "digits-2d").config
    cfg = TrainConfig(dataset="digits", epochs=40, batch_size=64, beta=2.0, device="cpu", seed=0)
    train(load_dataset("digits"), base.model, cfg, root / "digits-2d-beta2", log=io.StringIO())
    (root / "digits-2d-beta2" / ".lock").unlink(missing_ok=True)
    return root


def test_compare_beta_1_with_beta_2(
    page: Any, start_app: Callable[..., str], beta_runs: Path
) -> None:
    url = start_app(checkpoint_dir=beta_runs)
    page.set_viewport_size({"width": 1400, "height": 2020})
    open_app(page, f"{url}/compare?run=digits-2d")
    wait_for_plots(page, 2)
    assert_no_exception(page)
    main = page.locator(MAIN)
    text = main.inner_text()
    assert "digits-2d-beta2" in text and "β = 2" in text and "right minus left" in text
    rd = main.locator(".js-plotly-plot").first
    assert "rate: KL" in rd.inner_text() and "digits-2d-beta2" in rd.inner_text()
    assert main.locator('[data-testid="stDataFrame"]').count() == 1  # per-image −ELBO
    screenshot(page, "compare-beta")
