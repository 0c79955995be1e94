"""Dataset registry: every data set as uint8 tensors in memory with fixed train/test splits."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vae.errors import VAEError

if TYPE_CHECKING:  # torch is imported where tensors are made: the job list needs none
    import torch

FREY_URL = "https://cs.nyu.edu/~roweis/data/frey_rawface.mat"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


class DatasetError(VAEError, ValueError):
    """A data set is unknown, missing or unreadable; the message says what to do."""


@dataclass(frozen=True)
class Dataset:
    """Images as uint8 (N, C, H, W), labels as int64 (N,), class names, fixed split."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    classes: tuple[str, ...]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        c, h, w = self.train_x.shape[1:]
        return (int(c), int(h), int(w))


def data_root() -> Path:
    """Where torchvision-layout data lives: $VAE_DATA_ROOT, default ./data."""
    return Path(os.environ.get("VAE_DATA_ROOT", "data"))


def _split(
    name: str, x: np.ndarray, y: np.ndarray, n_test: int, classes: tuple[str, ...]
) -> Dataset:
    """Fixed split: a seeded permutation, the last n_test images held out."""
    import torch

    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    return Dataset(
        name,
        torch.from_numpy(np.ascontiguousarray(x[:-n_test])),
        torch.from_numpy(y[:-n_test].astype(np.int64)),
        torch.from_numpy(np.ascontiguousarray(x[-n_test:])),
        torch.from_numpy(y[-n_test:].astype(np.int64)),
        classes,
    )


# torchvision's class names for the sets its loaders read (a test compares them)
IDX_CLASSES: dict[str, tuple[str, ...]] = {
    "MNIST": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    "FashionMNIST": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "KMNIST": ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
}


def _idx(path: Path, ndim: int) -> np.ndarray:
    """One uncompressed IDX file of unsigned bytes (LeCun's MNIST format): (N, ...) uint8."""
    data = path.read_bytes()
    if len(data) < 4 + 4 * ndim or data[:3] != b"\x00\x00\x08" or data[3] != ndim:
        raise DatasetError(
            "{path} is not an IDX file of {ndim}-D unsigned bytes", path=path, ndim=ndim
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DatasetError(
            "{path} holds {size} bytes, its header says {shape}",
            path=path,
            size=body.size,
            shape=shape,
        )
    return body.reshape(shape)


def _idx_dataset(folder: str, raw: Path, files: list[str]) -> Dataset:
    """The four raw IDX files of an MNIST-like set, as torchvision's loader gives them."""
    import torch

    tx, ty, vx, vy = (_idx(raw / f, 3 if "images" in f else 1) for f in files)
    return Dataset(
        folder.lower(),
        torch.from_numpy(tx.copy()).unsqueeze(1).contiguous(),
        torch.from_numpy(ty.astype(np.int64)),
        torch.from_numpy(vx.copy()).unsqueeze(1).contiguous(),
        torch.from_numpy(vy.astype(np.int64)),
        IDX_CLASSES[folder],
    )


def _missing_dirs(root: Path, folder: Path) -> list[Path]:
    """The folders from `root` down to `folder` that do not exist yet, outermost first."""
    chain = [folder, *folder.parents]
    stop = chain.index(root) + 1 if root in chain else 1
    return [d for d in reversed(chain[:stop]) if not d.exists()]


def _remove_empty(made: list[Path]) -> None:
    """Remove the folders a failed download created, innermost first, if they are empty."""
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()


def _torchvision(cls_name: str, folder: str) -> Callable[[Path], Dataset]:
    files = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]

    def load(root: Path) -> Dataset:
        raw = root / folder / "raw"
        if all((raw / f).is_file() for f in files):  # read directly: importing torchvision
            return _idx_dataset(folder, raw, files)  # costs seconds (it pulls torch._dynamo)
        import torchvision.datasets as tvd

        cls = getattr(tvd, cls_name)
        made = _missing_dirs(root, raw)
        try:
            train = cls(str(root), train=True, download=True)
            test = cls(str(root), train=False, download=True)
        except Exception as exc:  # network errors, read-only folders, bad files
            _remove_empty(made)
            raise DatasetError(
                "{folder} is not available under {path} and could not be "
                "downloaded ({kind}: {reason}). Put the files {files} "
                "(or their .gz versions) there, or set VAE_DATA_ROOT to the folder that holds "
                "{folder}/raw.",
                folder=folder,
                path=root / folder / "raw",
                kind=type(exc).__name__,
                reason=exc,
                files=", ".join(files),
            ) from exc
        return Dataset(
            folder.lower(),
            train.data.unsqueeze(1).contiguous(),
            train.targets.long(),
            test.data.unsqueeze(1).contiguous(),
            test.targets.long(),
            tuple(str(c).split(" - ")[-1] for c in train.classes),
        )

    return load


def _frey(root: Path) -> Dataset:
    path = root / "frey" / "frey_rawface.mat"
    if not path.exists():
        made = _missing_dirs(root, path.parent)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            urllib.request.urlretrieve(FREY_URL, tmp)
            os.replace(tmp, path)
        except Exception as exc:
            _remove_empty(made)
            raise DatasetError(
                "Frey Face is not available: expected {path} (1965 faces of 28x20 in a MATLAB "
                "file) and the download from {frey_url} failed ({reason}). Put frey_rawface.mat "
                "there, or set VAE_DATA_ROOT to the folder that holds frey/.",
                path=path,
                frey_url=FREY_URL,
                reason=exc,
            ) from exc
    from scipy.io import loadmat

    try:
        ff = loadmat(str(path))["ff"]
    except Exception as exc:
        raise DatasetError(
            "{path} could not be read as the Frey Face MATLAB file: {reason}", path=path, reason=exc
        ) from exc
    x = np.asarray(ff, dtype=np.uint8).T.reshape(-1, 1, 28, 20)
    return _split("frey", x, np.zeros(len(x), dtype=np.int64), 200, ("face",))


def _digits(root: Path) -> Dataset:
    """scikit-learn's 8x8 digits, read from the file load_digits() reads: importing
    sklearn.datasets takes half a second (scipy.stats), the file a few milliseconds."""
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    where = spec.submodule_search_locations if spec else None
    files = (Path(p, "datasets", "data", "digits.csv.gz") for p in where or ())
    found = next((f for f in files if f.is_file()), None)
    if found is not None:
        data = np.loadtxt(found, delimiter=",")
        images, target = data[:, :-1].reshape(-1, 8, 8), data[:, -1].astype(int)
    else:  # a layout of another version: its own loader
        from sklearn.datasets import load_digits

        bunch = load_digits()
        images, target = bunch.images, bunch.target
    x = np.round(images * (255.0 / 16.0)).astype(np.uint8).reshape(-1, 1, 8, 8)
    return _split("digits", x, target, 297, tuple(str(i) for i in range(10)))


def _folder(path: str, image_size: int, channels: int) -> Dataset:
    from PIL import Image

    base = Path(path).expanduser()
    if not base.is_dir():
        raise DatasetError(
            "folder dataset {base} does not exist; give a folder with one subfolder per class",
            base=base,
        )
    classes = sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetError(
            "{base} has no class subfolders; put images in {base}/<class>/", base=base
        )
    mode = "L" if channels == 1 else "RGB"
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label, name in enumerate(classes):
        for file in sorted((base / name).iterdir()):
            if file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                with Image.open(file) as im:
                    small = im.convert(mode).resize(
                        (image_size, image_size), Image.Resampling.BILINEAR
                    )
                    arr = np.asarray(small, dtype=np.uint8)
            except Exception as exc:
                raise DatasetError(
                    "{file} is not a readable image ({reason}); remove it", file=file, reason=exc
                ) from exc
            images.append(arr.reshape(image_size, image_size, channels).transpose(2, 0, 1))
            labels.append(label)
    if len(images) < 2:
        raise DatasetError(
            "{base} holds {n_images} images; a data set needs at least 2",
            base=base,
            n_images=len(images),
        )
    n_test = max(1, len(images) // 10)
    return _split(f"folder:{base}", np.stack(images), np.array(labels), n_test, tuple(classes))


LOADERS: dict[str, Callable[[Path], Dataset]] = {
    "mnist": _torchvision("MNIST", "MNIST"),
    "fashion-mnist": _torchvision("FashionMNIST", "FashionMNIST"),
    "kmnist": _torchvision("KMNIST", "KMNIST"),
    "frey": _frey,
    "digits": _digits,
}


def dataset_names() -> list[str]:
    """Registered names; `folder:PATH` is accepted too."""
    return [*LOADERS, "folder:PATH"]


def check_name(name: str) -> None:
    """Raise DatasetError for a name that is neither registered nor folder:PATH."""
    if name in LOADERS or (name.startswith("folder:") and len(name) > len("folder:")):
        return
    raise DatasetError(
        "unknown dataset {name!r}; choose one of {dataset_names}",
        name=name,
        dataset_names=", ".join(dataset_names()),
    )


def load_dataset(
    name: str, root: str | Path | None = None, image_size: int = 28, channels: int = 1
) -> Dataset:
    """Load a registered data set by name into memory."""
    check_name(name)
    if name.startswith("folder:"):
        return _folder(name[len("folder:") :], image_size, channels)
    return LOADERS[name](Path(root) if root is not None else data_root())


SHAPES = {
    "mnist": (1, 28, 28),
    "fashion-mnist": (1, 28, 28),
    "kmnist": (1, 28, 28),
    "frey": (1, 28, 20),
    "digits": (1, 8, 8),
}


def image_shape_of(name: str, image_size: int = 28, channels: int = 1) -> tuple[int, int, int]:
    """The (C, H, W) a data set's images have, known before loading it."""
    check_name(name)
    return SHAPES.get(name, (channels, image_size, image_size))
