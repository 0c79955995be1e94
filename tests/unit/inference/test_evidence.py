"""Exact log p(x) of many images: worker processes give the figures one process gives."""

from __future__ import annotations

import pytest
import torch

from tests.unit.inference.test_exact import _linear_gaussian
from vae.inference import LinearGaussian, NeedsTwoDimensions, VAEModel, exact_log_px, exact_nll
from vae.inference.evidence import cores


def _images(lg: LinearGaussian, n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    xs = lg.w @ torch.randn(2, n, generator=g, dtype=torch.float64) + lg.b[:, None]
    return (xs + 0.1 * torch.randn(xs.shape, generator=g, dtype=torch.float64)).T


def test_workers_give_the_closed_form_in_the_images_order() -> None:
    lg, _ = _linear_gaussian(0.1, (0.0, 0.0), seed=4)
    xs = _images(lg, 11, seed=6)
    closed = lg.log_marginal(xs).numpy()
    got = exact_log_px(lg, xs, batch_size=2, workers=3)  # 6 batches, the last one short
    assert got.shape == (11,)
    assert got == pytest.approx(closed, abs=1e-6)
    assert exact_nll(lg, xs, batch_size=2, workers=3) == pytest.approx(-closed.mean(), abs=1e-6)


def test_workers_compute_each_batch_as_one_process_does(tiny_run, digits) -> None:
    from vae.model.inputs import to_input
    from vae.runfolder.checkpoint import load_checkpoint

    model = VAEModel(load_checkpoint(tiny_run).model)
    xs = to_input(digits.test_x[:21], False)
    one = exact_log_px(model, xs, batch_size=8)
    assert exact_log_px(model, xs, batch_size=8, workers=2) == pytest.approx(one, abs=1e-9)
    many = exact_log_px(model, xs, batch_size=8, workers=64)  # 3 batches: 3 workers
    assert many == pytest.approx(one, abs=1e-9)


def test_no_images_and_a_model_that_is_not_2d() -> None:
    lg, _ = _linear_gaussian(0.1, (0.0, 0.0), seed=4)
    assert exact_log_px(lg, torch.zeros(0, 6, dtype=torch.float64), workers=2).shape == (0,)
    lg3, x3 = _linear_gaussian(0.1, (0.0, 0.0, 0.0), seed=0, d=3)
    with pytest.raises(NeedsTwoDimensions, match="2-D latent space"):
        exact_log_px(lg3, x3.repeat(4, 1), batch_size=1, workers=2)  # refused before forking
    assert cores() >= 1
