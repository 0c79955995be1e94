"""A user's own VAE, exported with torch.onnx.export, imported and explored like a project run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from tests.unit.onnx.nets import (
    ConvDecoder,
    ConvEncoder,
    FcDecoder,
    FcEncoder,
    run_spec,
    torch_export,
    write_images,
    write_vae_json,
)
from vae.analysis.explore import decode, encode, reconstruct
from vae.model.objectives import elbo_terms, iwae_bound
from vae.onnx.adapter import MEAN_EPS, OnnxVAE
from vae.onnx.browser import browser_spec
from vae.onnx.load import is_imported, load_onnx_folder
from vae.onnx.spec import is_onnx_folder
from vae.training.evaluate import evaluate_model

Net = tuple[nn.Module, nn.Module, Path]


def _export(
    folder: Path,
    enc: nn.Module,
    dec: nn.Module,
    shape: tuple[int, int, int],
    d: int,
    **fields: object,
) -> Path:
    folder.mkdir()
    torch_export(enc, torch.rand(2, *shape), folder / "encoder.onnx", ["x", "mu", "logvar"])
    torch_export(dec, torch.randn(2, d), folder / "decoder.onnx", ["z", "x"])
    write_vae_json(folder, image_shape=list(shape), latent_dim=d, **fields)
    write_images(folder, shape, n=64)
    return folder


@pytest.fixture(scope="module")
def fc(tmp_path_factory: pytest.TempPathFactory) -> Net:
    torch.manual_seed(0)
    enc, dec = FcEncoder().eval(), FcDecoder().eval()
    root = tmp_path_factory.mktemp("fc")
    return enc, dec, _export(root / "fc-vae", enc, dec, (1, 28, 28), 20, decoder_output="mean")


@pytest.fixture(scope="module")
def conv(tmp_path_factory: pytest.TempPathFactory) -> Net:
    torch.manual_seed(1)
    enc, dec = ConvEncoder().eval(), ConvDecoder().eval()
    root = tmp_path_factory.mktemp("conv")
    return enc, dec, _export(root / "conv-vae", enc, dec, (1, 28, 28), 4, classes=["a", "b", "c"])


def _direct_neg_elbo(enc: nn.Module, dec: nn.Module, x: torch.Tensor, mean: bool) -> torch.Tensor:
    """-ELBO per image straight from the user's network (K&W eq. 10), one eps draw."""
    mu, logvar = enc(x)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    out = dec(z)
    if mean:
        recon = F.binary_cross_entropy(out, x, reduction="none").flatten(1).sum(1)
    else:
        recon = F.binary_cross_entropy_with_logits(out, x, reduction="none").flatten(1).sum(1)
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
    return recon + kl


@pytest.mark.parametrize("name", ["fc", "conv"])
def test_neg_elbo_equals_a_direct_computation_with_the_network(
    name: str, request: pytest.FixtureRequest
) -> None:
    enc, dec, folder = request.getfixturevalue(name)
    ckpt = load_onnx_folder(folder)
    x = torch.from_numpy(ckpt.preview_x).float() / 255
    with torch.no_grad():
        torch.manual_seed(5)
        ours = elbo_terms(ckpt.model, x)[0]
        torch.manual_seed(5)
        direct = _direct_neg_elbo(enc, dec, x, mean=name == "fc")
    assert ours.shape == (64,)
    # float32 sums of ~550 nats: 1e-4 nats plus a few float32 rounding steps
    np.testing.assert_allclose(ours.numpy(), direct.numpy(), atol=1e-4, rtol=1e-6)
    with torch.no_grad():
        torch.manual_seed(0)
        full = _direct_neg_elbo(enc, dec, x, mean=name == "fc").mean().item()
    assert ckpt.metrics["test_elbo"] == pytest.approx(full, abs=1e-4)
    assert ckpt.metrics["test_images"] == 64


@pytest.mark.parametrize("name", ["fc", "conv"])
def test_encode_and_decode_equal_torch_for_any_batch(
    name: str, request: pytest.FixtureRequest
) -> None:
    enc, dec, folder = request.getfixturevalue(name)
    ckpt = load_onnx_folder(folder, metrics=False)
    model = ckpt.model
    for b in (1, 7):
        x = torch.rand(b, 1, 28, 28)
        z = torch.randn(b, model.config.latent_dim)
        with torch.no_grad():
            mu, logvar = enc(x)
            want = dec(z)
        got_mu, got_logvar = model.encode(x)
        torch.testing.assert_close(got_mu, mu, atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(got_logvar, logvar, atol=1e-5, rtol=1e-5)
        mean = want if name == "fc" else torch.sigmoid(want)
        np.testing.assert_allclose(decode(model, z.numpy()), mean.numpy(), atol=1e-5)
    mus, sigmas = encode(model, ckpt.preview_x)
    assert mus.shape == sigmas.shape == (64, model.config.latent_dim)
    recons, losses = reconstruct(model, ckpt.preview_x[:5])
    assert recons.shape == (5, 1, 28, 28) and np.isfinite(losses).all()


def test_mean_decoder_logits_are_clamped_logits() -> None:
    from vae.onnx.adapter import mean_to_logits

    logits = mean_to_logits(np.array([0.0, 0.5, 1.0, 0.25], np.float32))
    assert logits[1] == 0.0
    assert logits[0] == pytest.approx(np.log(MEAN_EPS), rel=1e-6)
    assert logits[2] == pytest.approx(-np.log(MEAN_EPS), rel=1e-6)
    assert logits[3] == pytest.approx(np.log(1 / 3), rel=1e-6)


def test_imported_run_is_marked_and_has_an_empty_history(conv: Net) -> None:
    ckpt = load_onnx_folder(conv[2])
    assert is_onnx_folder(conv[2]) and is_imported(ckpt)
    assert isinstance(ckpt.model, OnnxVAE)
    assert ckpt.config.model.arch == "onnx" and ckpt.config.train.extra == {
        "imported": "onnx-vae/1"
    }
    assert ckpt.config.train.epochs == 0 and ckpt.history == [] and ckpt.epoch == 0
    assert ckpt.config.classes == ("a", "b", "c")
    assert ckpt.preview_x.dtype == np.uint8 and ckpt.preview_y.tolist()[:4] == [0, 1, 2, 0]
    assert ckpt.config.model.parameter_count() == sum(
        p.numel() for m in conv[:2] for p in m.parameters()
    )


@pytest.mark.parametrize("name", ["fc", "conv"])
def test_browser_spec_decodes_like_the_network(name: str, request: pytest.FixtureRequest) -> None:
    _, dec, folder = request.getfixturevalue(name)
    model = load_onnx_folder(folder, metrics=False).model
    spec = browser_spec(model, "float32")
    types = [la["type"] for la in spec["layers"]]
    if name == "fc":
        assert types == ["linear", "relu", "linear", "unflatten"]  # the Sigmoid is the JS one
    else:
        assert types == [
            "linear",
            "relu",
            "unflatten",
            "conv_transpose2d",
            "relu",
            "conv_transpose2d",
        ]
    z = torch.randn(3, model.config.latent_dim)
    with torch.no_grad():
        want = dec(z)
    want = want if name == "fc" else torch.sigmoid(want)
    for i in range(3):
        np.testing.assert_allclose(run_spec(spec, z[i].numpy()), want[i].numpy(), atol=1e-5)


def test_large_browser_spec_travels_as_float16(fc: Net) -> None:
    spec = browser_spec(load_onnx_folder(fc[2], metrics=False).model)
    assert spec["weight_dtype"] == "float16"  # 1.3 MB of float32 weights
    z = np.zeros(20, np.float32)
    with torch.no_grad():
        want = fc[1](torch.from_numpy(z)[None])[0].numpy()
    assert np.abs(run_spec(spec, z) - want).max() < 1 / 255


def test_evaluate_and_iwae_work_on_the_adapter(conv: Net) -> None:
    ckpt = load_onnx_folder(conv[2])
    x = torch.from_numpy(ckpt.preview_x)
    m = evaluate_model(ckpt.model, x, iwae_samples=20)
    assert m["test_elbo"] == pytest.approx(ckpt.metrics["test_elbo"], abs=1e-6)
    assert m["test_elbo"] == pytest.approx(m["test_recon"] + m["test_kl"], abs=1e-3)
    assert m["iwae_nll"] <= m["test_elbo"] + 1.0
    torch.manual_seed(0)
    bound = iwae_bound(ckpt.model, x[:4].float() / 255, 1)
    assert bound.shape == (4,)


def test_gaussian_sigma_from_vae_json_and_from_a_log_scale_output(tmp_path: Path) -> None:
    torch.manual_seed(2)
    enc, dec = FcEncoder(pixels=16, hidden=8, latent=2).eval(), FcDecoder((1, 4, 4), 8, 2).eval()
    a = _export(
        tmp_path / "a",
        enc,
        dec,
        (1, 4, 4),
        2,
        likelihood="gaussian",
        decoder_output="mean",
        gaussian_sigma=0.2,
    )
    ck = load_onnx_folder(a)
    torch.testing.assert_close(
        ck.model.pixel_log_scale(), torch.full((1, 4, 4), float(np.log(0.2)))
    )

    class WithScale(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dec = dec
            self.log_scale = nn.Parameter(torch.linspace(-2, -1, 16).view(1, 4, 4))

        def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            return self.dec(z), self.log_scale

    b = tmp_path / "b"
    b.mkdir()
    torch_export(enc, torch.rand(2, 1, 4, 4), b / "encoder.onnx", ["x", "mu", "logvar"])
    torch_export(WithScale(), torch.randn(2, 2), b / "decoder.onnx", ["z", "x", "log_scale"])
    write_vae_json(
        b, image_shape=[1, 4, 4], latent_dim=2, likelihood="gaussian", decoder_output="mean"
    )
    write_images(b, (1, 4, 4))
    ck = load_onnx_folder(b)
    torch.testing.assert_close(ck.model.pixel_log_scale(), torch.linspace(-2, -1, 16).view(1, 4, 4))
    x = torch.from_numpy(ck.preview_x).float() / 255
    with torch.no_grad():
        torch.manual_seed(3)
        ours = elbo_terms(ck.model, x)[0]
        torch.manual_seed(3)
        mu, logvar = enc(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        ls = torch.linspace(-2, -1, 16).view(1, 4, 4)
        nll = 0.5 * ((x - dec(z)) / ls.exp()) ** 2 + ls + 0.5 * np.log(2 * np.pi)
        direct = nll.flatten(1).sum(1) - 0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
    np.testing.assert_allclose(ours.numpy(), direct.numpy(), atol=1e-4)
