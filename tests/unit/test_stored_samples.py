"""vae.analysis.stored_samples: the Overview's first samples, only for the run they came from."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import run_python
from tests.unit.test_runs import SMALL, make_run
from vae.analysis import stored_samples as ss
from vae.analysis.explore import decode
from vae.analysis.pictures import from_pixels, tile, to_pixels
from vae.runfolder.checkpoint import load_checkpoint, save_model
from vae.runfolder.files import CONFIG_FILE, SAMPLES_FILE, CheckpointError, write_npz


@pytest.fixture
def run(tmp_path: Path) -> Path:
    folder = make_run(tmp_path / "run")
    ss.store(folder, load_checkpoint(folder).model)
    return folder


def test_the_stored_samples_are_the_pictures_the_model_decodes(run):
    ckpt = load_checkpoint(run)
    cover = ss.read_cover(run)
    assert cover is not None and cover.name == "run" and not cover.imported
    assert (cover.config, cover.metrics, cover.epoch) == (ckpt.config, ckpt.metrics, ckpt.epoch)
    decoded = decode(ckpt.model, ss.prior_codes(SMALL.latent_dim, ss.SEED))
    assert cover.samples.shape == (64, 1, 8, 8) and cover.samples.dtype == np.uint8
    np.testing.assert_array_equal(cover.samples, to_pixels(decoded))
    # the picture the Overview shows from them is the one it would draw from the decoded images
    np.testing.assert_array_equal(
        tile(from_pixels(cover.samples), nrow=8, scale=7), tile(decoded, nrow=8, scale=7)
    )


def test_every_level_survives_the_round_trip_through_floats():
    levels = np.arange(256, dtype=np.uint8)
    np.testing.assert_array_equal(to_pixels(from_pixels(levels)), levels)
    assert to_pixels(np.array([-0.5, 0.0, 0.5 / 255, 1.0, 7.0])).tolist() == [0, 0, 0, 255, 255]


def test_the_draw_is_the_overview_s_first():
    z = ss.prior_codes(3, 0)
    np.testing.assert_array_equal(z, np.random.default_rng(0).standard_normal((64, 3)))
    assert not np.array_equal(ss.prior_codes(3, 1), z)


def test_new_weights_make_the_stored_samples_stale(run):
    model = load_checkpoint(run).model
    with torch.no_grad():
        next(model.parameters()).add_(0.5)
    save_model(run, model, epoch=2)  # retrained: the file no longer matches
    assert ss.read_cover(run) is None
    ss.store(run, model)
    cover = ss.read_cover(run)
    assert cover is not None and cover.epoch == 2
    np.testing.assert_array_equal(
        cover.samples, to_pixels(decode(model, ss.prior_codes(3, ss.SEED)))
    )


def test_a_changed_configuration_makes_them_stale(run):
    raw = json.loads((run / CONFIG_FILE).read_text())
    raw["train"]["epochs"] = 7
    (run / CONFIG_FILE).write_text(json.dumps(raw))
    assert ss.read_cover(run) is None


def test_no_file_or_no_weights_is_no_cover(tmp_path):
    folder = make_run(tmp_path / "bare")
    assert ss.read_cover(folder) is None  # never stored
    assert ss.read_cover(tmp_path / "missing") is None


def test_another_draw_or_format_is_not_used(run):
    with np.load(run / SAMPLES_FILE) as z:
        meta, images = json.loads(str(z["meta"])), z["images"]
    for key, value in (("seed", 1), ("format", 99), ("count", 32)):
        write_npz(
            run / SAMPLES_FILE, meta=np.array(json.dumps({**meta, key: value})), images=images
        )
        assert ss.read_cover(run) is None, key


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"images": np.zeros((64, 1, 9, 9), np.uint8)}, "expected uint8 (64, 1, 8, 8)"),
        ({"images": np.zeros((64, 1, 8, 8), np.float32)}, "holds float32 images"),
        ({"meta": np.array([1, 2])}, "has no text 'meta' entry"),
        ({"meta": np.array("not json")}, "samples.npz's meta is not JSON"),
        ({"meta": np.array("[1, 2]")}, "samples.npz's meta is not a JSON object"),
        ({"epoch": -1}, "its epoch must be a whole number"),
    ],
)
def test_a_malformed_file_is_refused_with_what_is_wrong(run, change, message):
    with np.load(run / SAMPLES_FILE) as z:
        meta, images = json.loads(str(z["meta"])), z["images"]
    if "epoch" in change:
        meta["epoch"] = change.pop("epoch")
    arrays = {"meta": np.array(json.dumps(meta)), "images": images, **change}
    write_npz(run / SAMPLES_FILE, **arrays)
    with pytest.raises(CheckpointError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ss.read_cover(run)


def test_reading_a_cover_imports_no_torch(run):
    code = (
        "import sys; from pathlib import Path; "
        "from vae.analysis.stored_samples import read_cover; "
        f"c = read_cover(Path({str(run)!r})); "
        "print(c is not None, 'torch' in sys.modules)"
    )
    assert run_python(code).split() == ["True", "False"]


def test_training_stores_them_when_a_run_finishes(tmp_path, digits):
    import io

    from vae.model.config import ModelConfig
    from vae.training.config import TrainConfig
    from vae.training.loop import train

    model = ModelConfig(arch="mlp", image_shape=(1, 8, 8), latent_dim=2, hidden_dims=(16,))
    cfg = TrainConfig(dataset="digits", epochs=1, batch_size=200, device="cpu")
    train(digits, model, cfg, tmp_path / "new", log=io.StringIO())
    cover = ss.read_cover(tmp_path / "new")
    assert cover is not None and cover.epoch == 1
    ckpt = load_checkpoint(tmp_path / "new")
    np.testing.assert_array_equal(
        cover.samples, to_pixels(decode(ckpt.model, ss.prior_codes(2, ss.SEED)))
    )
