"""The test images a page shows for the selected checkpoint, and their codes (both cached)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui.selection import cache_key
from vae import Checkpoint, DatasetError
from vae.analysis.explore import encode
from vae.data import load_dataset
from vae.onnx.spec import IMAGES_FILE

IMPORTED_SOURCE = "the imported model's images.npz"


@dataclass(frozen=True)
class Images:
    """Test images for a checkpoint: x uint8 (N, C, H, W), y int64 (N,), where they came from."""

    x: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...]
    full: bool  # True: the data set's full test split; False: the checkpoint's preview set
    source: str  # a short description for captions

    def class_name(self, label: int) -> str:
        """The class name for a label, or the number itself when there are no names."""
        return self.classes[label] if 0 <= label < len(self.classes) else str(label)


@st.cache_resource(show_spinner=False, max_entries=4)
def _test_split(
    name: str, image_size: int, channels: int
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]] | str:
    """The test split as numpy arrays, or the reason it is unavailable (cached as well)."""
    try:
        ds = load_dataset(name, image_size=image_size, channels=channels)
    except (DatasetError, OSError) as exc:
        return str(exc)
    return ds.test_x.numpy(), ds.test_y.numpy(), ds.classes


def dataset_images(ckpt: Checkpoint, note: bool = True) -> Images:
    """The test set of ckpt's data set, else its preview set (with a visible note if `note`).

    An imported model with an images.npz explores those images (vae.onnx.load read them).
    """
    cfg = ckpt.config
    if ckpt.imported and (ckpt.path / IMAGES_FILE).is_file():
        return Images(ckpt.preview_x, ckpt.preview_y, cfg.classes, True, IMPORTED_SOURCE)
    with st.spinner(f"Loading the {cfg.dataset} test set…"):
        got = _test_split(cfg.dataset, cfg.train.image_size, cfg.train.channels)
    classes = cfg.classes
    if not isinstance(got, str) and got[0].shape[1:] == cfg.model.image_shape:
        x, y, ds_classes = got
        return Images(x, y, classes or ds_classes, True, f"the {cfg.dataset} test set")
    reason = got if isinstance(got, str) else "its images have a different shape"
    if note:
        st.caption(
            f":material/info: Showing the checkpoint's {len(ckpt.preview_x):,} preview images: "
            f"the full {cfg.dataset} test set is not available here ({reason.splitlines()[0]})"
        )
    return Images(
        ckpt.preview_x, ckpt.preview_y, classes, False, f"the checkpoint's preview of {cfg.dataset}"
    )


@st.cache_resource(show_spinner=False, max_entries=8)
def _encoded(
    key: tuple[str, tuple[int, ...]], source: str, _ckpt: Checkpoint, _x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return encode(_ckpt.model, _x)


def encoded(ckpt: Checkpoint, images: Images) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma), each (N, D), of q(z|x) for `images`; cached per checkpoint and image set.

    The arrays are shared between sessions: never change them in place.
    """
    with st.spinner(f"Encoding {len(images.x):,} images…"):
        return _encoded(cache_key(ckpt), images.source, ckpt, images.x)
