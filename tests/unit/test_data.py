"""Data sets: digits offline, MNIST and Frey Face from VAE_DATA_ROOT, clear errors when missing."""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from vae import DatasetError, load_dataset
from vae.data import image_shape_of


def _needs_data_root() -> None:
    if not os.environ.get("VAE_DATA_ROOT") and not os.environ.get("CI"):
        pytest.skip("VAE_DATA_ROOT is not set (point it at the folder that holds MNIST/ and frey/)")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No download can reach the network."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise urllib.error.URLError("network disabled in this test")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    monkeypatch.setattr(urllib.request, "urlretrieve", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_digits_loads_offline_with_a_fixed_split(digits: Any):
    assert digits.name == "digits"
    assert tuple(digits.train_x.shape) == (1500, 1, 8, 8)
    assert tuple(digits.test_x.shape) == (297, 1, 8, 8)
    assert str(digits.train_x.dtype) == "torch.uint8" and str(digits.train_y.dtype) == "torch.int64"
    assert int(digits.train_x.max()) == 255 and int(digits.train_x.min()) == 0
    assert sorted(set(digits.train_y.tolist())) == list(range(10))
    assert digits.classes == tuple(str(i) for i in range(10))
    again = load_dataset("digits")
    assert bool((again.test_x == digits.test_x).all()) and bool(
        (again.test_y == digits.test_y).all()
    )


def test_digits_read_from_the_file_are_scikit_learns_load_digits(digits: Any, monkeypatch):
    """The loader reads load_digits()'s own file, without importing sklearn.datasets; where
    that file is not found it calls load_digits(): both give the same split, pixel for pixel."""
    import importlib.util

    import torch
    from sklearn.datasets import load_digits

    from vae import data

    bunch = load_digits()
    assert sorted(np.round(bunch.images * (255 / 16)).astype(np.uint8).ravel().tolist()) == sorted(
        torch.cat([digits.train_x, digits.test_x]).ravel().tolist()
    )
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    fallback = data._digits(Path("."))
    for a, b in (
        (fallback.train_x, digits.train_x),
        (fallback.test_x, digits.test_x),
        (fallback.train_y, digits.train_y),
        (fallback.test_y, digits.test_y),
    ):
        assert a.dtype == b.dtype and bool((a == b).all())


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist", "kmnist"])
def test_missing_torchvision_dataset_names_the_folder_and_files(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline: None
):
    root = tmp_path / "data"
    monkeypatch.setenv("VAE_DATA_ROOT", str(root))
    with pytest.raises(DatasetError) as info:
        load_dataset(name)
    message = str(info.value)
    folder = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "kmnist": "KMNIST"}[name]
    assert str(root / folder / "raw") in message
    assert "train-images-idx3-ubyte" in message and "VAE_DATA_ROOT" in message
    assert not root.exists()  # the failed download leaves no empty folders behind
    (root / folder).mkdir(parents=True)  # a folder that was there before stays
    with pytest.raises(DatasetError):
        load_dataset(name)
    assert sorted(p.name for p in root.rglob("*")) == [folder]


def test_missing_frey_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline):
    root = tmp_path / "data"
    monkeypatch.setenv("VAE_DATA_ROOT", str(root))
    with pytest.raises(DatasetError) as info:
        load_dataset("frey")
    assert str(root / "frey" / "frey_rawface.mat") in str(info.value)
    assert "VAE_DATA_ROOT" in str(info.value)
    assert not root.exists()  # the failed download leaves no empty folders behind


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(DatasetError, match=r"unknown dataset 'cifar'.*mnist.*digits"):
        load_dataset("cifar")
    with pytest.raises(DatasetError, match="unknown dataset"):
        image_shape_of("folder:")


def test_mnist_loads_from_the_data_root():
    _needs_data_root()
    data = load_dataset("mnist")
    assert tuple(data.train_x.shape) == (60000, 1, 28, 28)
    assert tuple(data.test_x.shape) == (10000, 1, 28, 28)
    assert str(data.train_x.dtype) == "torch.uint8"
    assert len(data.train_y) == 60000 and len(data.test_y) == 10000
    assert np.bincount(data.test_y.numpy()).tolist() == [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
    ]  # the published test-set class counts
    assert data.classes[:3] == ("zero", "one", "two") and len(data.classes) == 10
    assert data.image_shape == image_shape_of("mnist") == (1, 28, 28)


def test_frey_loads_from_the_data_root():
    _needs_data_root()
    data = load_dataset("frey")
    assert tuple(data.train_x.shape) == (1765, 1, 28, 20)
    assert tuple(data.test_x.shape) == (200, 1, 28, 20)
    assert str(data.train_x.dtype) == "torch.uint8"
    assert data.image_shape == image_shape_of("frey") == (1, 28, 20)
    assert float(data.train_x.float().std()) > 10  # real faces, not a blank array


def _image_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        (root / cls).mkdir(parents=True)
        for i in range(6):
            pixels = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / cls / f"{i}.png")
    (root / "cats" / "notes.txt").write_text("not an image, skipped by its suffix")
    return root


@pytest.mark.parametrize("channels", [1, 3])
def test_folder_dataset_resizes_every_image(tmp_path: Path, channels: int):
    root = _image_folder(tmp_path / "pets")
    data = load_dataset(f"folder:{root}", image_size=8, channels=channels)
    assert data.classes == ("cats", "dogs")
    assert len(data.train_x) + len(data.test_x) == 12 and len(data.test_x) == 1
    assert tuple(data.train_x.shape[1:]) == (channels, 8, 8)
    assert str(data.train_x.dtype) == "torch.uint8"
    assert image_shape_of(f"folder:{root}", 8, channels) == (channels, 8, 8)


def test_folder_dataset_refuses_bad_folders(tmp_path: Path):
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(f"folder:{tmp_path / 'nowhere'}")
    with pytest.raises(DatasetError, match="no class subfolders"):
        load_dataset(f"folder:{tmp_path}")
    root = _image_folder(tmp_path / "pets")
    (root / "dogs" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    with pytest.raises(DatasetError, match=r"broken\.png is not a readable image"):
        load_dataset(f"folder:{root}")


def test_mnist_read_directly_is_what_torchvision_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Raw IDX files are read without torchvision (seconds to import), to the same arrays."""
    _needs_data_root()
    import torchvision.datasets as tvd

    from vae import data as vd

    root = vd.data_root()
    ours = load_dataset("mnist")
    for split, x, y in ((True, ours.train_x, ours.train_y), (False, ours.test_x, ours.test_y)):
        theirs = tvd.MNIST(str(root), train=split, download=False)
        assert torch_equal(x[:, 0], theirs.data) and torch_equal(y, theirs.targets.long())
    assert ours.classes == tuple(c.split(" - ")[-1] for c in tvd.MNIST.classes)
    for name, cls in (("FashionMNIST", tvd.FashionMNIST), ("KMNIST", tvd.KMNIST)):
        assert vd.IDX_CLASSES[name] == tuple(str(c).split(" - ")[-1] for c in cls.classes)


def torch_equal(a: Any, b: Any) -> bool:
    return bool(a.dtype == b.dtype and a.shape == b.shape and (a == b).all())


def test_a_truncated_idx_file_is_refused(tmp_path: Path) -> None:
    from vae import data as vd

    bad = tmp_path / "t10k-labels-idx1-ubyte"
    bad.write_bytes(b"\x00\x00\x08\x01" + (10).to_bytes(4, "big") + bytes(3))
    with pytest.raises(DatasetError, match="header says"):
        vd._idx(bad, 1)
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(DatasetError, match="not an IDX file"):
        vd._idx(bad, 1)
