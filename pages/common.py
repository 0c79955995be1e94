"""What every page shares: the selected checkpoint, friendly errors, test images, pictures.

Public API
----------
- `CHECKPOINT_KEY`: the st.session_state key holding the selected run's name (set by the
  sidebar picker in app.py; the same choice holds on every page).
- `selected_run()`: the selected run's name, or the default run, or None when there is none.
- `current_checkpoint()`: the selected run as a loaded `vae.Checkpoint` (cached once per
  path and modification time); on any problem it shows an st.error and calls st.stop().
- `load_run(path)`: the cached loader itself, for pages that need a second checkpoint.
- `show_error(exc, what)`: an st.error with a message a person can act on, never a trace.
- `dataset_images(ckpt)`: the test images and labels (`Images`), the full test set when
  it is on disk, else the checkpoint's preview set with a visible note.
- `cache_key(ckpt)`: (path, file times) to key a page's own caches of derived results.
- `encoded(ckpt, images)`: (mu, sigma) of q(z|x) for those images, cached per checkpoint.
- `upscale(pic, target)`, `show_image(pic, ...)`, `show_tiles(images, nrow, ...)`: show
  small images at a visible size with nearest-neighbour upscaling.
- `label_rows(pic, labels)`: a tiled picture with a text label left of each row.
- `take_link_run(usable, fallback)` / `write_link_run(name)`: the checkpoint in the URL
  (?run=NAME); app.py reads it once per new value and writes the sidebar's choice back.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from vae import Checkpoint, CheckpointError, ConfigError, DatasetError, load_checkpoint
from vae.analysis.explore import encode, tile
from vae.data import load_dataset
from vae.runfolder.runs import (
    RunNameError,
    check_name,
    checkpoint_dir,
    default_run,
    list_runs,
    resolve_run,
    run_stamp,
)
from vae.web.share import ShareError, parse_run

CHECKPOINT_KEY = "checkpoint"
RUN_PARAM = "run"  # the URL's query parameter naming the checkpoint
_LINK_RUN_KEY = "link_runs_seen"  # every ?run= value read from or written to the URL
_log = logging.getLogger(__name__)


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


def show_error(exc: BaseException, what: str = "") -> None:
    """Show exc as an st.error a person can act on; the traceback goes to the server log only."""
    prefix = f"{what}: " if what else ""
    if isinstance(exc, (CheckpointError, DatasetError, ConfigError, RunNameError)):
        st.error(f"{prefix}{exc}", icon=":material/error:")
        return
    _log.exception("unexpected error", exc_info=exc)
    st.error(
        f"{prefix}something went wrong ({type(exc).__name__}: {exc}). "
        "Try again, or choose another checkpoint in the sidebar.",
        icon=":material/error:",
    )


@st.cache_resource(show_spinner=False, max_entries=16)
def _load_cached(path: str, stamp: tuple[int, ...]) -> Checkpoint:
    ckpt = load_checkpoint(path)
    ckpt._cache_stamp = stamp  # type: ignore[attr-defined]  # set once, before it is shared
    return ckpt


def cache_key(ckpt: Checkpoint) -> tuple[str, tuple[int, ...]]:
    """(path, file times at load): a key for caches of things computed from this checkpoint."""
    stamp = getattr(ckpt, "_cache_stamp", None) or run_stamp(ckpt.path)
    return str(ckpt.path), stamp


def load_run(path: Path) -> Checkpoint:
    """Load a checkpoint folder once per server, keyed by path and modification times.

    A folder replaced on disk has new times and is loaded afresh. Raises CheckpointError.
    The returned object is shared between sessions: never change it.
    """
    return _load_cached(str(path), run_stamp(path))


def _run_through_app() -> None:
    """Make sure app.py (page config, picker, navigation) wraps the page being run.

    Streamlit treats a folder named pages/ beside the main script as its legacy multipage
    layout until st.navigation is first called in the process, so a deep link such as
    /decoder served first after a start runs the page alone, without app.py. Such a run is
    recognised by app.py missing from the call stack (a process-wide flag cannot tell:
    another session may switch it while this run is under way); legacy mode is then
    switched off and the run repeated, and the same URL runs through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or Path(ctx.main_script_path).name != "app.py":
        return  # a page run on its own on purpose (tests), not through the app
    main = str(Path(ctx.main_script_path).resolve())
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename == main or frame.f_code.co_filename == ctx.main_script_path:
            return
        frame = frame.f_back
    PagesManager.uses_pages_directory = False
    st.rerun()


def selected_run() -> str | None:
    """The run chosen in the sidebar, else the default one (mnist-2d when present), else None."""
    _run_through_app()
    name = st.session_state.get(CHECKPOINT_KEY)
    if isinstance(name, str) and name:
        return name
    return default_run(list_runs())


def take_link_run(usable: list[str], fallback: str | None) -> None:
    """Select the checkpoint named by the URL's ?run=, once per new value.

    A value this session has seen before (read, or written by write_link_run) is not a new
    link: a rerun can carry the address from before the last choice reached the browser,
    and taking that would undo the choice. Only a name among `usable` is accepted (a plain
    folder name, see vae.web.share.parse_run); anything else gets an st.warning and the current
    or `fallback` checkpoint stays.
    """
    value = st.query_params.get(RUN_PARAM)
    seen: set[str] = st.session_state.setdefault(_LINK_RUN_KEY, set())
    if value is None or value in seen:
        return
    seen.add(value)
    try:
        st.session_state[CHECKPOINT_KEY] = parse_run(value, usable)
    except ShareError as exc:
        current = st.session_state.get(CHECKPOINT_KEY)
        shown = current if current in usable else fallback
        st.warning(
            f"The link's checkpoint was not opened: {exc}. Showing **{shown}** instead; "
            "the sidebar lists the checkpoints there are.",
            icon=":material/link_off:",
        )


def write_link_run(name: str) -> None:
    """Put the selected checkpoint in the URL (?run=NAME) so a copied address reopens it."""
    if st.query_params.get(RUN_PARAM) != name:
        st.query_params[RUN_PARAM] = name
    st.session_state.setdefault(_LINK_RUN_KEY, set()).add(name)


def current_checkpoint() -> Checkpoint:
    """The selected checkpoint, loaded; shows an st.error and stops the page when unusable."""
    name = selected_run()
    if name is None:
        st.info(
            f"There are no usable checkpoints in `{checkpoint_dir()}`. Train one on the "
            "Training page, or set VAE_CHECKPOINT_DIR to a folder of run folders.",
            icon=":material/info:",
        )
        st.stop()
    try:
        check_name(name)
    except RunNameError as exc:
        show_error(exc, "This checkpoint cannot be opened")
        st.stop()
    try:
        path = resolve_run(name)
    except RunNameError:
        st.error(
            f"The checkpoint **{name}** is no longer in `{checkpoint_dir()}`: it was deleted "
            "or moved while selected. Choose another checkpoint in the sidebar, or restore "
            "the folder and reload the page.",
            icon=":material/folder_off:",
        )
        st.stop()
    try:
        with st.spinner(f"Loading {name}…"):
            return load_run(path)
    except Exception as exc:
        show_error(exc, f"The checkpoint {name} cannot be used")
        st.stop()


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
    """The test set of ckpt's data set, else its preview set (with a visible note if `note`)."""
    cfg = ckpt.config
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


def upscale(pic: np.ndarray, target: int = 280) -> np.ndarray:
    """Repeat pixels of a (H, W) or (H, W, 3) uint8 picture so its longer side nears `target`."""
    factor = max(1, round(target / max(pic.shape[0], pic.shape[1])))
    return pic.repeat(factor, axis=0).repeat(factor, axis=1) if factor > 1 else pic


def to_picture(image: np.ndarray) -> np.ndarray:
    """One image (C, H, W) float in [0, 1] -> uint8 (H, W) or (H, W, 3)."""
    img = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    return img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)


def show_image(pic: np.ndarray, caption: str | None = None, target: int = 280) -> None:
    """Show one picture ((C, H, W) float in [0, 1], or uint8 (H, W[, 3])) at about target px."""
    if pic.dtype != np.uint8:
        pic = to_picture(pic)
    big = upscale(pic, target)
    st.image(big, caption=caption, width=big.shape[1], output_format="PNG")


def label_rows(pic: np.ndarray, labels: list[str], font_px: int = 14) -> np.ndarray:
    """Add a white margin with one label per row, centred on that row, left of a tiled picture.

    pic: uint8 (H, W, 3) whose rows of tiles have equal height, e.g. from `tile`.
    """
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=font_px)
    margin = 8 + max(int(font.getlength(text)) for text in labels) if labels else 0
    canvas = Image.new("RGB", (pic.shape[1] + margin, pic.shape[0]), "white")
    canvas.paste(Image.fromarray(pic), (margin, 0))
    draw = ImageDraw.Draw(canvas)
    row_h = pic.shape[0] / max(1, len(labels))
    for i, text in enumerate(labels):
        draw.text((margin - 6, (i + 0.5) * row_h), text, fill=(60, 60, 60), font=font, anchor="rm")
    return np.asarray(canvas)


def show_tiles(
    images: np.ndarray,
    nrow: int,
    caption: str | None = None,
    target: int | None = None,
    row_labels: list[str] | None = None,
) -> np.ndarray:
    """Tile (N, C, H, W) floats in [0, 1] into one picture and show it; returns the picture.

    With `target`, pixels are repeated so the whole picture's width nears `target` px;
    without it, each image is scaled to roughly 56 px. `row_labels` adds a label per row.
    """
    h, w = images.shape[2:]
    if target is None:
        scale = max(1, round(56 / max(h, w)))
    else:
        scale = max(1, round(target / (nrow * (w + 1) + 1)))
    pic = tile(images, nrow=nrow, padding=1, scale=scale)
    if row_labels:
        pic = label_rows(pic, row_labels)
    st.image(pic, caption=caption, width=pic.shape[1], output_format="PNG")
    return pic
