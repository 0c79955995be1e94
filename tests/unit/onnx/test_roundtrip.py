"""A shipped run exported to onnx-vae/1 and imported back gives the same figures and images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from vae.onnx.browser import browser_spec
from vae.onnx.export import ExportError, export_run, main
from vae.onnx.load import load_onnx_folder
from vae.runfolder.checkpoint import CheckpointError, load_checkpoint
from vae.training.evaluate import evaluate_model
from vae.web.decoder_spec import decoder_spec

RUN = Path(__file__).resolve().parents[3] / "checkpoints" / "digits-2d"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_run(RUN, tmp_path_factory.mktemp("out") / "digits-2d-onnx")


def test_folder_holds_the_format_and_nothing_half_written(exported: Path) -> None:
    names = sorted(p.name for p in exported.iterdir())
    assert names == [
        "decoder.onnx", "decoder.onnx.data", "encoder.onnx", "encoder.onnx.data",
        "images.npz", "vae.json",
    ]  # fmt: skip
    spec = json.loads((exported / "vae.json").read_text())
    assert spec == {
        "format": "onnx-vae/1", "image_shape": [1, 8, 8], "latent_dim": 2,
        "likelihood": "bernoulli", "decoder_output": "logits",
        "classes": [str(i) for i in range(10)], "dataset": "digits",
    }  # fmt: skip
    assert [p.name for p in exported.parent.iterdir()] == [exported.name]  # no temp folder left


def test_round_trip_gives_the_same_elbo_and_decoder(exported: Path) -> None:
    run, back = load_checkpoint(RUN), load_onnx_folder(exported)
    np.testing.assert_array_equal(back.preview_x, run.preview_x)
    np.testing.assert_array_equal(back.preview_y, run.preview_y)
    x = torch.from_numpy(run.preview_x)
    a, b = evaluate_model(run.model, x), evaluate_model(back.model, x)
    assert abs(a["test_elbo"] - b["test_elbo"]) < 0.01
    assert abs(a["test_kl"] - b["test_kl"]) < 0.01 and a["active_units"] == b["active_units"]
    z = torch.randn(50, 2) * 3
    with torch.no_grad():
        np.testing.assert_allclose(back.model.decode_mean(z), run.model.decode_mean(z), atol=1e-5)
        np.testing.assert_allclose(back.model.decode(z), run.model.decode(z), atol=1e-4)
    assert browser_spec(back.model) == decoder_spec(run.model)  # same spec id too


def test_existing_folder_is_refused_unless_forced(exported: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ExportError, match=r"exists and is not empty.*--force"):
        export_run(RUN, out)
    assert (out / "keep.txt").read_text() == "mine"
    assert main([str(RUN), str(out)]) == 2
    assert main([str(RUN), str(out), "--force"]) == 0
    assert not (out / "keep.txt").exists() and (out / "vae.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_export_refuses_what_is_not_a_run(exported: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="already an imported"):
        export_run(exported, tmp_path / "again")
    with pytest.raises(CheckpointError, match="does not exist"):
        export_run(tmp_path / "nothing", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_a_failed_export_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("vae.onnx.export.write_folder", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        export_run(RUN, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_gaussian_run_round_trip_carries_the_pixel_sigma(tmp_path: Path) -> None:
    src = RUN.parent / "frey-2d"
    run, back = load_checkpoint(src), load_onnx_folder(export_run(src, tmp_path / "frey"))
    torch.testing.assert_close(back.model.pixel_log_scale(), run.model.pixel_log_scale())
    x = torch.from_numpy(run.preview_x[:500])
    a, b = evaluate_model(run.model, x), evaluate_model(back.model, x)
    assert abs(a["test_elbo"] - b["test_elbo"]) < 0.01


def test_evaluate_folder_on_images_npz(exported: Path) -> None:
    from vae.onnx.load import evaluate_folder

    m = evaluate_folder(exported, iwae_samples=5, limit=100)
    run = load_checkpoint(RUN)
    want = evaluate_model(run.model, torch.from_numpy(run.preview_x[:100]), False, 5)
    assert m["test_images"] == 100
    assert abs(m["test_elbo"] - want["test_elbo"]) < 0.01
    assert abs(m["iwae_nll"] - want["iwae_nll"]) < 0.01
