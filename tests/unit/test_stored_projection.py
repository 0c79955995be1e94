"""vae.analysis.stored_projection and projections.npz: used only for what they were made from."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from vae.analysis import stored_projection as sp
from vae.analysis.projection import Method, parameters, project, subsample
from vae.runfolder import projections
from vae.runfolder.files import MODEL_FILE, PROJECTIONS_FILE, CheckpointError

CONFIG = {"arch": "mlp", "latent_dim": 5, "hidden_dims": [32]}


@pytest.fixture
def run(tmp_path: Path) -> Path:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / MODEL_FILE).write_bytes(np.random.default_rng(0).bytes(4096))
    return folder


def images(n: int = 80) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, size=(n, 1, 8, 8), dtype=np.uint8)


def codes(n: int = 80) -> np.ndarray:
    rng = np.random.default_rng(2)
    return (rng.normal(size=(n, 5)) + 6.0 * (np.arange(n) % 2)[:, None]).astype(np.float32)


def stored_now(run: Path, x: np.ndarray, method: Method = "PCA") -> np.ndarray | None:
    src = sp.source(run, CONFIG, x)
    assert src is not None
    return sp.stored(run, method, src, subsample(len(x)))


def test_a_stored_projection_is_the_one_the_page_computes(run):
    x, mu = images(), codes()
    got = sp.store(run, CONFIG, x, mu, methods=("t-SNE",))
    again = project(mu[subsample(len(mu))], "t-SNE")
    np.testing.assert_array_equal(got["t-SNE"], again)  # the page's code, the same numbers
    xy = stored_now(run, x, "t-SNE")
    assert xy is not None and xy.dtype == np.float32
    np.testing.assert_array_equal(xy, got["t-SNE"])
    assert stored_now(run, x, "UMAP") is None  # not stored: computed as before
    meta, _, _ = projections.read_projections(run / PROJECTIONS_FILE, ())
    assert meta["methods"]["t-SNE"]["parameters"] == parameters("t-SNE", len(x))
    assert meta["methods"]["t-SNE"]["library"].startswith("openTSNE ")


def test_float16_is_read_back_as_float32_within_its_rounding(run):
    x, mu = images(), codes()
    got = sp.store(run, CONFIG, x, mu, methods=("PCA",), dtype=np.float16)
    xy = stored_now(run, x)
    assert xy is not None and xy.dtype == np.float32
    np.testing.assert_array_equal(xy, got["PCA"].astype(np.float16).astype(np.float32))


def test_nothing_stored_is_none(run):
    assert stored_now(run, images()) is None
    (run / MODEL_FILE).unlink()
    assert sp.source(run, CONFIG, images()) is None  # nothing to fingerprint


def test_a_retrained_model_other_images_or_another_network_do_not_match(run, caplog):
    x, mu = images(), codes()
    sp.store(run, CONFIG, x, mu, methods=("PCA",))
    assert stored_now(run, x) is not None
    other = x.copy()
    other[0, 0, 0, 0] ^= 1  # one pixel of one image
    assert stored_now(run, other) is None
    src = sp.source(run, CONFIG, x)
    assert src is not None
    rows = subsample(len(x))
    assert sp.stored(run, "PCA", {**src, "model": {**CONFIG, "latent_dim": 6}}, rows) is None
    assert sp.stored(run, "PCA", src, rows[:-1]) is None  # other rows
    (run / MODEL_FILE).write_bytes(b"retrained" * 100)
    with caplog.at_level("INFO"):
        assert stored_now(run, x) is None
    assert "another model or other images" in caplog.text
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


def test_other_parameters_do_not_match(run, monkeypatch):
    x, mu = images(), codes()
    sp.store(run, CONFIG, x, mu, methods=("t-SNE",))
    monkeypatch.setattr("vae.analysis.projection.TSNE_ITERS", 400)
    assert stored_now(run, x, "t-SNE") is None


def rewrite(run: Path, **changes: np.ndarray) -> None:
    """projections.npz with some entries replaced (as np.savez would write them)."""
    with np.load(run / PROJECTIONS_FILE) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(changes)
    np.savez(run / PROJECTIONS_FILE, **arrays)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pca": np.full((80, 2), np.nan, np.float32)}, "NaN"),
        ({"pca": np.zeros((80, 3), np.float32)}, "shape"),
        ({"pca": np.zeros((79, 2), np.float32)}, "shape"),
        ({"pca": np.zeros((80, 2), np.float64)}, "float16 or float32"),
        ({"pca": np.zeros((80, 2), np.int32)}, "float16 or float32"),
        ({"rows": np.arange(80)[::-1].copy()}, "increasing"),
        ({"rows": np.arange(80, dtype=np.float32)}, "integers"),
        ({"meta": np.array("{not json")}, "not JSON"),
        ({"meta": np.array([1, 2])}, "meta"),
    ],
)
def test_a_hostile_file_is_refused_with_what_is_wrong(run, change, message):
    x = images()
    sp.store(run, CONFIG, x, codes(), methods=("PCA",))
    rewrite(run, **change)
    with pytest.raises(CheckpointError, match=message):
        stored_now(run, x)


def test_pickles_and_oversized_files_are_refused(run, monkeypatch):
    x = images()
    sp.store(run, CONFIG, x, codes(), methods=("PCA",))
    rewrite(run, pca=np.array([{"a": 1}] * 80, dtype=object).reshape(80, 1).repeat(2, 1))
    with pytest.raises(CheckpointError, match="could not be read"):
        stored_now(run, x)  # an object array would need unpickling: never
    (run / PROJECTIONS_FILE).write_bytes(b"not a zip file at all")
    with pytest.raises(CheckpointError, match=r"not an \.npz"):
        stored_now(run, x)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("pca.npy", b"\0" * (projections.MAX_PROJECTION_BYTES + 1))  # a zip bomb
    (run / PROJECTIONS_FILE).write_bytes(buf.getvalue())
    assert (run / PROJECTIONS_FILE).stat().st_size < 100_000
    with pytest.raises(CheckpointError, match="unpacks to"):
        stored_now(run, x)
    monkeypatch.setattr(projections, "MAX_PROJECTION_BYTES", 10)
    with pytest.raises(CheckpointError, match="larger than"):
        stored_now(run, x)


def test_the_writer_is_atomic(run, monkeypatch):
    x = images()
    sp.store(run, CONFIG, x, codes(), methods=("PCA",))
    before = (run / PROJECTIONS_FILE).read_bytes()

    def broken(f, **arrays):
        f.write(b"PK half a file")
        raise OSError("No space left on device")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="No space"):
        sp.store(run, CONFIG, x, codes() + 1, methods=("PCA",))
    assert (run / PROJECTIONS_FILE).read_bytes() == before
    assert sorted(p.name for p in run.iterdir()) == [MODEL_FILE, PROJECTIONS_FILE]
    meta = json.loads(str(np.load(run / PROJECTIONS_FILE)["meta"]))
    assert meta["format"] == sp.FORMAT and meta["source"]["images"] == len(x)
