"""The test images a page shows for the selected checkpoint, and their codes (both cached)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui.errors import describe
from ui.i18n import N_, _, class_label
from ui.selection import cache_key
from vae import Checkpoint, DatasetError
from vae.analysis.explore import encode
from vae.data import load_dataset
from vae.onnx.spec import IMAGES_FILE

IMPORTED_SOURCE = N_("the imported model's images.npz")
TEST_SET = N_("the {dataset} test set")
PREVIEW_SET = N_("the checkpoint's preview of {dataset}")


@dataclass(frozen=True)
class Images:
    """Test images for a checkpoint: x uint8 (N, C, H, W), y int64 (N,), where they came from.

    `source` is English, a part of cache keys; `source_text` is the same in the reader's
    language, for captions.
    """

    x: np.ndarray
    y: np.ndarray
    classes: tuple[str, ...]
    full: bool  # True: the data set's full test split; False: the checkpoint's preview set
    source: str  # a short description (English: cache keys and the like)
    shown_source: str = ""  # the same in the reader's language ("": as `source`)

    @property
    def source_text(self) -> str:
        """Where the images came from, in the reader's language (for captions)."""
        return self.shown_source or self.source

    def class_name(self, label: int) -> str:
        """The class name for a label, or the number itself when there are no names."""
        return self.classes[label] if 0 <= label < len(self.classes) else str(label)

    def shown_class(self, label: int) -> str:
        """The class name in the reader's language (ui.i18n.class_label), for display."""
        return class_label(self.class_name(label))

    @property
    def shown_classes(self) -> tuple[str, ...]:
        """Every class name in the reader's language (legends, hover texts)."""
        return tuple(class_label(name) for name in self.classes)


@st.cache_resource(show_spinner=False, max_entries=4)
def _test_split(
    name: str, image_size: int, channels: int
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]] | Exception:
    """The test split as numpy arrays, or why it is unavailable (cached as well; shown in the
    page's language by describe)."""
    try:
        ds = load_dataset(name, image_size=image_size, channels=channels)
    except (DatasetError, OSError) as exc:
        return exc.with_traceback(None)  # kept: not the frames of the failed load
    return ds.test_x.numpy(), ds.test_y.numpy(), ds.classes


def _choose(ckpt: Checkpoint) -> tuple[Images, str | None]:
    """The images a page explores for ckpt, and why they are the preview set (None: they are
    not). An imported model with an images.npz explores those (vae.onnx.load read them)."""
    cfg = ckpt.config
    if ckpt.imported and (ckpt.path / IMAGES_FILE).is_file():
        shown = _(IMPORTED_SOURCE)
        return Images(
            ckpt.preview_x, ckpt.preview_y, cfg.classes, True, IMPORTED_SOURCE, shown
        ), None
    got = _test_split(cfg.dataset, cfg.train.image_size, cfg.train.channels)
    classes = cfg.classes
    if not isinstance(got, Exception) and got[0].shape[1:] == cfg.model.image_shape:
        x, y, ds_classes = got
        source, shown = TEST_SET.format(dataset=cfg.dataset), _(TEST_SET)
        full = Images(x, y, classes or ds_classes, True, source, shown.format(dataset=cfg.dataset))
        return full, None
    reason = describe(got) if isinstance(got, Exception) else _("its images have a different shape")
    source, shown = PREVIEW_SET.format(dataset=cfg.dataset), _(PREVIEW_SET)
    preview = Images(
        ckpt.preview_x, ckpt.preview_y, classes, False, source, shown.format(dataset=cfg.dataset)
    )
    return preview, reason


def dataset_images(ckpt: Checkpoint, note: bool = True) -> Images:
    """The test set of ckpt's data set, else its preview set (with a visible note if `note`).

    An imported model with an images.npz explores those images (vae.onnx.load read them).
    """
    cfg = ckpt.config
    with st.spinner(_("Loading the {dataset} test set…").format(dataset=cfg.dataset)):
        images, reason = _choose(ckpt)
    if reason is not None and note:
        st.caption(
            _(
                ":material/info: Showing the checkpoint's {n:,} preview images: the full "
                "{dataset} test set is not available here ({reason})"
            ).format(n=len(ckpt.preview_x), dataset=cfg.dataset, reason=reason.splitlines()[0])
        )
    return images


@st.cache_resource(show_spinner=False, max_entries=8)
def _encoded(
    key: tuple[str, tuple[int, ...]], source: str, _ckpt: Checkpoint, _x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    return encode(_ckpt.model, _x)


def encoded(ckpt: Checkpoint, images: Images) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma), each (N, D), of q(z|x) for `images`; cached per checkpoint and image set.

    The arrays are shared between sessions: never change them in place.
    """
    with st.spinner(_("Encoding {n:,} images…").format(n=len(images.x))):
        return _encoded(cache_key(ckpt), images.source, ckpt, images.x)


def warm_codes(ckpt: Checkpoint) -> None:
    """Fill the caches `dataset_images` and `encoded` read for ckpt, drawing nothing (for
    ui.warmup's background thread): the same images under the same key as they would pick."""
    images = _choose(ckpt)[0]
    _encoded(cache_key(ckpt), images.source, ckpt, images.x)
