"""Broken and hostile imported folders are refused with a CheckpointError that says what to do."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnx
import pytest

from tests.unit.onnx.nets import (
    SHAPE,
    save,
    tiny_decoder,
    tiny_encoder,
    tiny_folder,
)
from vae.onnx.browser import browser_spec, graph_spec
from vae.onnx.load import load_onnx_folder
from vae.onnx.spec import VaeJson
from vae.runfolder.checkpoint import CheckpointError
from vae.web.decoder_spec import UnsupportedDecoder


def _refused(folder: Path, *words: str) -> str:
    with pytest.raises(CheckpointError) as info:
        load_onnx_folder(folder)
    message = str(info.value)
    for w in words:
        assert w in message, message
    return message


def test_the_hand_built_folder_loads(tmp_path: Path) -> None:
    ckpt = load_onnx_folder(tiny_folder(tmp_path / "ok"))
    assert ckpt.preview_x.shape == (16, *SHAPE) and np.isfinite(ckpt.metrics["test_elbo"])
    assert [la["type"] for la in browser_spec(ckpt.model)["layers"]] == ["linear", "unflatten"]


def test_truncated_and_random_files(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f")
    path = folder / "decoder.onnx"
    path.write_bytes(path.read_bytes()[:-40])
    _refused(folder, "decoder.onnx", "export it again")
    path.write_bytes(np.random.default_rng(0).bytes(3000))
    _refused(folder, "decoder.onnx is not an ONNX model")
    path.write_bytes(b"")
    _refused(folder, "decoder.onnx is not an ONNX model")


def test_truncated_external_data(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f")
    data = folder / "encoder.onnx.data"
    data.write_bytes(data.read_bytes()[:10])
    _refused(folder, "encoder.onnx", "truncated")


def _relocate(folder: Path, location: str) -> None:
    """Point every external-data entry of encoder.onnx at `location`."""
    model = onnx.load(str(folder / "encoder.onnx"), load_external_data=False)
    for t in model.graph.initializer:
        for e in t.external_data:
            if e.key == "location":
                e.value = location
    (folder / "encoder.onnx").write_bytes(model.SerializeToString())


@pytest.mark.parametrize(
    ("location", "words"),
    [
        ("../secret.data", ("'../secret.data'", "outside the folder")),
        ("sub/../../secret.data", ("outside the folder",)),
        ("ABSOLUTE", ("absolute path",)),
        ("C:\\secret.data", ("absolute path",)),
    ],
)
def test_external_data_outside_the_folder(
    tmp_path: Path, location: str, words: tuple[str, ...]
) -> None:
    folder = tiny_folder(tmp_path / "f")
    secret = tmp_path / "secret.data"
    secret.write_bytes((folder / "encoder.onnx.data").read_bytes())  # would even load
    _relocate(folder, str(secret) if location == "ABSOLUTE" else location)
    _refused(folder, "encoder.onnx", *words)


def test_symlinks_out_of_the_folder(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f")
    data = folder / "encoder.onnx.data"
    outside = tmp_path / "outside.data"
    data.rename(outside)
    os.symlink(outside, data)
    _refused(folder, "encoder.onnx.data points outside the folder", "copy the file")
    folder2 = tiny_folder(tmp_path / "g")
    (folder2 / "vae.json").rename(tmp_path / "vae.json")
    os.symlink(tmp_path / "vae.json", folder2 / "vae.json")
    _refused(folder2, "vae.json points outside the folder")


def test_a_symlink_inside_the_folder_is_fine(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f")
    (folder / "encoder.onnx.data").rename(folder / "weights.bin")
    os.symlink("weights.bin", folder / "encoder.onnx.data")
    assert load_onnx_folder(folder).model.config.latent_dim == 2


def test_custom_domain_operator(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f", decoder=tiny_decoder(op="Evil", domain="com.example"))
    _refused(folder, "'Evil'", "'com.example'", "standard ONNX operators")
    folder2 = tiny_folder(
        tmp_path / "g", decoder=tiny_decoder(op="FastGelu", domain="com.microsoft")
    )
    _refused(folder2, "'com.microsoft'")


def test_names_that_disagree(tmp_path: Path) -> None:
    model = tiny_encoder()
    model.graph.output[1].name = "log_var"
    model.graph.node[2].output[0] = "log_var"
    folder = tiny_folder(tmp_path / "f")
    save(model, folder / "encoder.onnx")
    _refused(folder, "encoder.onnx", "['mu', 'log_var']", "['mu', 'logvar']", "output_names")


def test_declared_sizes_that_disagree_with_vae_json(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f", latent_dim=3)
    _refused(folder, "encoder.onnx", "'mu' is declared as ('?', 2)", "(B, 3)")
    folder2 = tiny_folder(tmp_path / "g", image_shape=[1, 2, 8])
    _refused(folder2, "'x' is declared as ('?', 1, 4, 4)", "(B, 1, 2, 8)")


def test_undeclared_sizes_are_caught_by_the_trial_run(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f", decoder=tiny_decoder(declare=False), image_shape=[1, 4, 4])
    assert load_onnx_folder(folder).preview_x.shape[1:] == (1, 4, 4)
    bad = tiny_decoder(declare=False)
    bad.graph.initializer[2].CopyFrom(
        onnx.numpy_helper.from_array(np.array([-1, 8], np.int64), "shape")
    )
    folder2 = tiny_folder(tmp_path / "g", decoder=bad)
    _refused(folder2, "trial batch of 3", "'x' has shape (6, 8)", "(3, 1, 4, 4) or (3, 16)")


def test_nan_and_infinite_outputs(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f")
    save(tiny_encoder(fill=float("nan")), folder / "encoder.onnx")
    _refused(folder, "output 'mu' holds NaN or infinite values")
    folder2 = tiny_folder(tmp_path / "g", decoder=tiny_decoder(op="Log"), decoder_output="logits")
    _refused(folder2, "output 'x' holds NaN or infinite values")  # log of a negative


def test_a_mean_decoder_outside_zero_one(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f", decoder=tiny_decoder(op="Relu"))
    _refused(folder, "decoder_output is 'mean'", "set decoder_output to 'logits'")


@pytest.mark.parametrize(
    ("module", "name", "file"),
    [
        ("vae.onnx.graphs", "MAX_GRAPH_BYTES", "encoder.onnx"),
        ("vae.onnx.graphs", "MAX_EXTERNAL_BYTES", "encoder.onnx.data"),
        ("vae.onnx.spec", "MAX_VAE_JSON_BYTES", "vae.json"),
        ("vae.onnx.load", "MAX_IMAGES_BYTES", "images.npz"),
    ],
)
def test_files_above_the_size_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, name: str, file: str
) -> None:
    folder = tiny_folder(tmp_path / "f")
    monkeypatch.setattr(f"{module}.{name}", 100)
    message = _refused(folder, file, "above the limit of 100")
    assert "bytes" in message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": "onnx-vae/2"}, "'format'"),
        ({"latent_dim": None}, "'latent_dim' is missing"),
        ({"latent_dim": 0}, "'latent_dim'"),
        ({"latent_dim": "2"}, "'latent_dim'"),
        ({"image_shape": [1, 4]}, "'image_shape'"),
        ({"image_shape": [2, 4, 4]}, "'image_shape'"),
        ({"likelihood": "poisson"}, "'likelihood'"),
        ({"decoder_output": "probs"}, "'decoder_output'"),
        ({"classes": "abc"}, "'classes'"),
        ({"dataset": 3}, "'dataset'"),
        ({"likelihood": "gaussian"}, "'gaussian_sigma' is missing"),
        ({"likelihood": "gaussian", "gaussian_sigma": -1}, "'gaussian_sigma'"),
        ({"gaussian_sigma": 0.1}, "'gaussian_sigma'"),
    ],
)
def test_broken_vae_json_names_the_field(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    folder = tiny_folder(tmp_path / "f")
    raw = json.loads((folder / "vae.json").read_text())
    raw.update(change)
    raw = {k: v for k, v in raw.items() if v is not None}
    (folder / "vae.json").write_text(json.dumps(raw))
    _refused(folder, field)


def test_vae_json_that_is_not_json_or_missing(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f")
    (folder / "vae.json").write_text("{not json")
    _refused(folder, "vae.json is not valid JSON")
    (folder / "vae.json").unlink()
    _refused(folder, "vae.json is missing")
    (folder / "vae.json").write_text("[]")
    _refused(folder, "must hold a JSON object")


def test_images_npz_with_pickles_or_wrong_shapes(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f")
    np.savez(folder / "images.npz", images=np.array([{"a": 1}], dtype=object))
    _refused(folder, "images.npz could not be read")
    np.savez(folder / "images.npz", images=np.zeros((3, 1, 5, 5), np.uint8))
    _refused(folder, "expected uint8 (N, 1, 4, 4)")
    np.savez(folder / "images.npz", images=np.zeros((3, *SHAPE), np.uint8), labels=np.zeros(2))
    _refused(folder, "labels are float64 (2,)")
    (folder / "images.npz").unlink()
    _refused(folder, "no images.npz and vae.json names no dataset")


def test_no_images_and_a_data_set_of_another_shape(tmp_path: Path) -> None:
    folder = tiny_folder(tmp_path / "f", dataset="digits")
    (folder / "images.npz").unlink()
    _refused(folder, "digits images are (1, 8, 8), vae.json says (1, 4, 4)")


def test_unsupported_decoders_say_why(tmp_path: Path) -> None:
    spec = VaeJson(SHAPE, 2, "bernoulli", "logits")
    with pytest.raises(UnsupportedDecoder, match="does not implement Tanh"):
        graph_spec(tiny_decoder(op="Tanh"), spec)
    with pytest.raises(UnsupportedDecoder, match="Sigmoid"):
        graph_spec(tiny_decoder(op="Relu"), VaeJson(SHAPE, 2, "bernoulli", "mean"))
