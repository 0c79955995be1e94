"""The shipped checkpoints: they load, fit the size budget, and teach what they promise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from vae.analysis.compare import families, rate_distortion_points
from vae.analysis.explore import decode
from vae.analysis.pictures import to_pixels
from vae.analysis.stored_samples import SEED, prior_codes, read_cover
from vae.model.inputs import to_input
from vae.model.objectives import elbo_terms
from vae.runfolder.checkpoint import load_checkpoint
from vae.runfolder.runs import list_runs

SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints"
FAMILY = [f"mnist-16d-beta{b}" for b in ("0.5", "1", "2", "4", "8")]
BUDGET_MB = 40


def test_every_shipped_checkpoint_loads_and_the_folder_fits_its_budget() -> None:
    runs = list_runs(SHIPPED)
    assert {r.name for r in runs} >= {*FAMILY, "mnist-2d", "mnist-2d-beta4"}
    assert all(r.ok for r in runs), [r.error for r in runs if not r.ok]
    size = sum(p.stat().st_size for p in SHIPPED.rglob("*") if p.is_file())
    assert size <= BUDGET_MB * 1024 * 1024, f"{size / 2**20:.1f} MB"


@pytest.mark.parametrize("name", sorted(p.name for p in SHIPPED.iterdir() if p.is_dir()))
def test_every_shipped_checkpoint_stores_the_overview_s_first_samples(name: str) -> None:
    """The Overview opens on these without torch: they must be what its model decodes."""
    cover = read_cover(SHIPPED / name)
    assert cover is not None, f"run scripts/store_samples.py checkpoints/{name}"
    ckpt = load_checkpoint(SHIPPED / name)
    assert (cover.config, cover.metrics, cover.epoch) == (ckpt.config, ckpt.metrics, ckpt.epoch)
    z = prior_codes(ckpt.config.model.latent_dim, SEED)
    np.testing.assert_array_equal(cover.samples, to_pixels(decode(ckpt.model, z)))


def test_the_beta_family_trades_rate_for_distortion_and_loses_dimensions() -> None:
    runs = [r for r in list_runs(SHIPPED) if r.name in FAMILY]
    (curve,) = families(rate_distortion_points(runs)).values()
    assert [p.name for p in curve] == FAMILY  # one family, in beta order
    rates = [p.rate for p in curve]
    distortions = [p.distortion for p in curve]
    assert rates == sorted(rates, reverse=True)  # the rate falls as beta grows
    assert distortions == sorted(distortions)  # and the distortion rises
    active = [load_checkpoint(SHIPPED / name).metrics["active_units"] for name in FAMILY]
    assert active[0] == 16 and active[-1] < 16  # dimensions collapse at large beta
    assert active == sorted(active, reverse=True)


def test_the_2d_beta_model_carries_fewer_nats_than_mnist_2d() -> None:
    one, four = (load_checkpoint(SHIPPED / n) for n in ("mnist-2d", "mnist-2d-beta4"))
    assert four.config.train.beta == 4 and one.config.train.beta == 1
    assert four.config.model == one.config.model  # the same network: only beta differs
    assert four.metrics["test_kl"] < one.metrics["test_kl"]
    assert four.metrics["test_recon"] > one.metrics["test_recon"]


@pytest.mark.parametrize("name", ["mnist-16d-beta1", "mnist-2d-beta4", "mnist-2d"])
def test_float16_weights_load_as_float32_with_their_values(name: str) -> None:
    """Stored in float16 (half the bytes); the model computes in float32 on those values."""
    stored = load_file(SHIPPED / name / "model.safetensors")
    assert {t.dtype for t in stored.values()} == {torch.float16}
    ckpt = load_checkpoint(SHIPPED / name)
    for key, value in ckpt.model.state_dict().items():
        assert value.dtype == torch.float32 and torch.equal(value, stored[key].float())
    x = to_input(torch.from_numpy(ckpt.preview_x[:2000]), False)
    torch.manual_seed(0)
    with torch.inference_mode():
        loss = elbo_terms(ckpt.model, x)[0].mean().item()
    # the preview images are held-out test images: their mean is near the test figure
    assert loss == pytest.approx(ckpt.metrics["test_elbo"], abs=3.0)
