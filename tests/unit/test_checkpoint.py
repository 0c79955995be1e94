"""Checkpoint folders: a lossless round trip, and every damaged folder refused clearly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from vae import VAE, CheckpointError, ModelConfig, RunConfig, TrainConfig, load_checkpoint
from vae.runfolder.checkpoint import save_model
from vae.runfolder.files import write_json


def test_round_trip_keeps_config_and_every_tensor(tmp_path: Path):
    model_cfg = ModelConfig(
        arch="conv",
        image_shape=(1, 28, 20),
        latent_dim=3,
        hidden_dims=(4, 8),
        likelihood="gaussian",
    )
    run = RunConfig(model_cfg, TrainConfig(dataset="frey", epochs=7), "frey", ("face",))
    torch.manual_seed(0)
    model = VAE(model_cfg)
    write_json(tmp_path / "config.json", run.to_dict())
    save_model(tmp_path, model, 7)

    ckpt = load_checkpoint(tmp_path)
    assert ckpt.config == run
    assert ckpt.epoch == 7
    assert not ckpt.model.training
    assert not any(p.requires_grad for p in ckpt.model.parameters())
    saved = model.state_dict()
    loaded = ckpt.model.state_dict()
    assert saved.keys() == loaded.keys()
    for k, v in saved.items():
        assert torch.equal(v, loaded[k]), k
    assert ckpt.preview_x.shape == (0, 1, 28, 20) and ckpt.history == [] and ckpt.metrics == {}


def test_trained_run_loads_with_history_metrics_and_preview(tiny_run: Path, digits):
    ckpt = load_checkpoint(tiny_run)
    assert ckpt.epoch == 2
    assert [h["epoch"] for h in ckpt.history] == [1, 2]
    for row in ckpt.history:
        for key in ("train_loss", "test_loss", "recon", "kl", "seconds", "samples_seen"):
            assert isinstance(row[key], (int, float)) and row[key] >= 0, key
    assert ckpt.history[-1]["samples_seen"] == 2 * len(digits.train_x)
    assert ckpt.metrics["test_elbo"] == pytest.approx(ckpt.history[-1]["test_loss"])
    assert ckpt.preview_x.dtype == np.uint8 and ckpt.preview_x.shape == (297, 1, 8, 8)
    assert np.array_equal(ckpt.preview_x, digits.test_x.numpy())
    assert np.array_equal(ckpt.preview_y, digits.test_y.numpy())
    assert ckpt.config.classes == tuple(str(i) for i in range(10))
    assert list(ckpt.snapshots["epochs"]) == [0, 1, 2]
    assert ckpt.snapshots["mu"].shape == (3, 50, 2)


# --- damaged folders -----------------------------------------------------------------------


def _weights(d: Path) -> dict[str, torch.Tensor]:
    """The weights as tensors in memory (not mapped from the file, which is then rewritten)."""
    return {k: v.clone() for k, v in load_file(str(d / "model.safetensors")).items()}


def _edit_config(folder: Path, change: Callable[[dict], None]) -> None:
    path = folder / "config.json"
    cfg = json.loads(path.read_text())
    change(cfg)
    path.write_text(json.dumps(cfg))


def _missing_weights(d: Path) -> None:
    (d / "model.safetensors").unlink()


def _missing_config(d: Path) -> None:
    (d / "config.json").unlink()


def _truncated_weights(d: Path) -> None:
    data = (d / "model.safetensors").read_bytes()
    (d / "model.safetensors").write_bytes(data[: len(data) // 2])


def _empty_weights(d: Path) -> None:
    (d / "model.safetensors").write_bytes(b"")


def _pickled_weights(d: Path) -> None:
    torch.save(_weights(d), d / "model.safetensors")


def _legacy_pickled_weights(d: Path) -> None:
    state = _weights(d)
    torch.save(state, d / "model.safetensors", _use_new_zipfile_serialization=False)


def _invalid_json(d: Path) -> None:
    (d / "config.json").write_text('{"format_version": 1, "model": {')


def _config_not_an_object(d: Path) -> None:
    (d / "config.json").write_text("[1, 2, 3]")


def _future_version(d: Path) -> None:
    _edit_config(d, lambda c: c.update(format_version=99))


def _unknown_setting(d: Path) -> None:
    _edit_config(d, lambda c: c["model"].update(depth=3))


def _shape_mismatch(d: Path) -> None:
    _edit_config(d, lambda c: c["model"].update(latent_dim=3))


def _other_architecture(d: Path) -> None:
    _edit_config(d, lambda c: c["model"].update(arch="conv", hidden_dims=[4, 8]))


def _absurd_hidden(d: Path) -> None:
    _edit_config(d, lambda c: c["model"].update(hidden_dims=[10**6]))


def _absurd_total(d: Path) -> None:
    _edit_config(d, lambda c: c["model"].update(hidden_dims=[8192, 8192, 8192]))


def _absurd_latent(d: Path) -> None:
    _edit_config(d, lambda c: c["model"].update(latent_dim=10**6))


def _nan_weights(d: Path) -> None:
    state = _weights(d)
    key = sorted(state)[0]
    state[key][..., 0] = float("nan")
    save_file(state, str(d / "model.safetensors"), metadata={"epoch": "2"})


def _integer_weights(d: Path) -> None:
    state = _weights(d)
    key = sorted(state)[0]
    state[key] = state[key].to(torch.int32)
    save_file(state, str(d / "model.safetensors"))


def _float_preview(d: Path) -> None:
    with np.load(d / "preview.npz") as z:
        images, labels = z["images"], z["labels"]
    np.savez(d / "preview.npz", images=images.astype(np.float32), labels=labels)


def _pickled_preview(d: Path) -> None:
    np.savez(d / "preview.npz", images=np.array([{"a": 1}], dtype=object), labels=np.zeros(1))


def _bad_history(d: Path) -> None:
    with (d / "history.jsonl").open("a") as f:
        f.write('{"epoch": 3, "train_lo\n')


CASES = {
    "missing weights": (_missing_weights, r"model\.safetensors is missing"),
    "missing config": (_missing_config, r"config\.json is missing"),
    "truncated weights": (_truncated_weights, r"not a readable safetensors file.*truncated"),
    "empty weights": (_empty_weights, r"not a readable safetensors file"),
    "pickle for weights": (_pickled_weights, r"is a pickle.*never loaded"),
    "legacy pickle": (_legacy_pickled_weights, r"is a pickle.*never loaded"),
    "invalid json": (_invalid_json, r"config\.json is not valid JSON"),
    "config not an object": (_config_not_an_object, r"must hold a JSON object"),
    "future format": (_future_version, r"format 99, newer than .* upgrade"),
    "unknown setting": (_unknown_setting, r"unknown model setting.*depth"),
    "shape mismatch": (_shape_mismatch, r"has shape .* config\.json implies"),
    "other architecture": (_other_architecture, r"does not match config\.json"),
    "absurd hidden size": (_absurd_hidden, r"config\.json is invalid: hidden_dims"),
    "absurd model size": (_absurd_total, r"parameters, more than the limit"),
    "absurd latent size": (_absurd_latent, r"latent_dim must be"),
    "nan weights": (_nan_weights, r"NaN or infinite.*Re-train"),
    "integer weights": (_integer_weights, r"dtype torch\.int32; expected floats"),
    "float preview": (_float_preview, r"preview\.npz holds images .*float32.*expected uint8"),
    "pickled preview": (_pickled_preview, r"preview\.npz could not be read"),
    "corrupt history": (_bad_history, r"history\.jsonl line 3 is not valid JSON"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_checkpoint_raises_checkpoint_error(case: str, run_copy: Path):
    damage, message = CASES[case]
    damage(run_copy)
    with pytest.raises(CheckpointError, match=message) as info:
        load_checkpoint(run_copy)
    assert str(run_copy.name) in str(info.value)


def test_missing_folder_raises_checkpoint_error(tmp_path: Path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nowhere")


def test_loading_never_unpickles(run_copy: Path, monkeypatch: pytest.MonkeyPatch):
    _pickled_weights(run_copy)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("torch.load was called")

    monkeypatch.setattr(torch, "load", refuse)
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(run_copy)
