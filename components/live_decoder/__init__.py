"""Decode in the browser as the pointer moves: a Streamlit component with no build step.

decoder.js runs the decoder layers of vae/web/decoder_spec.py's spec in plain JavaScript;
plot.js and component.js draw the image and the controls. Everything ships as files in this folder
and is registered inline with st.components.v2 (no npm, no CDN).

The weights travel once per checkpoint: the spec is cached per model here, so every rerun
sends the same message, which Streamlit replaces by a reference to the copy the browser
already has; the browser parses the weights once per spec id. Keep z0 stable (a start
read once, e.g. from the URL, into st.session_state): a new z0 is a new message.

    try:
        spec = spec_for(model)
    except UnsupportedDecoder as exc:
        st.info(f"Decoding on the server: {exc}")  # then the server path
    else:
        start = st.session_state.setdefault("decoder_z0", [0.0] * spec["latent_dim"])
        z = live_decoder(spec, key="decoder_live", mode="pad", z0=start)
        if z is not None:  # the last position the person settled on
            st.query_params["z"] = ",".join(f"{v:.3f}" for v in z)
"""

from __future__ import annotations

import base64
import hashlib
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, TypedDict, cast

import numpy as np
import streamlit as st

from ui.i18n import _
from vae.model.networks import VAE
from vae.web.decoder_spec import DecoderSpec, UnsupportedDecoder, decoder_spec

__all__ = [
    "Mode",
    "UnsupportedDecoder",
    "ViewData",
    "live_decoder",
    "live_map",
    "map_extent",
    "spec_for",
    "view_data",
]

HERE = Path(__file__).parent
# One ES module: the decoder, the drawing helpers, then the view with its default export.
JS = "\n".join(
    (HERE / f).read_text(encoding="utf-8") for f in ("decoder.js", "plot.js", "component.js")
)
CSS = (HERE / "style.css").read_text(encoding="utf-8")

_mount = st.components.v2.component("vae_live_decoder", js=JS, css=CSS)
_specs: weakref.WeakKeyDictionary[VAE, DecoderSpec] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
Mode = Literal["sliders", "pad", "map"]


class MapData(TypedDict):
    """The points of a live map: base64 little-endian float32 x and y, int32 labels."""

    id: str  # a digest of the points and extent: the browser decodes them once per id
    x: str
    y: str
    label: str
    classes: list[str]
    colors: list[str]
    extent: list[float]  # [x0, x1, y0, y1]


class ViewData(TypedDict, total=False):
    """What component.js receives: the decoder spec and how to show it (map: "map" mode only)."""

    spec: DecoderSpec
    mode: Mode
    z0: list[float]
    size_px: int
    image_px: int
    span: float
    pad_dims: list[int]
    dim_names: list[str] | None
    labels: dict[str, str]  # the view's own words, in this session's language (labels())
    map: MapData


def labels() -> dict[str, str]:
    """The text component.js shows, translated (it has the English as defaults)."""
    return {
        "caption_gaussian": _("Gaussian mean · decoded in the browser"),
        "caption_bernoulli": _("Bernoulli mean · decoded in the browser"),
        "hint": _("Hover to decode · click or drag to pin"),
        "reset": _("Reset"),
        "sample": _("Sample from the prior"),
        "sample_title": _("Draw z from N(0, I)"),
        "dims": _("{n} dims"),
    }


def view_data(
    spec: DecoderSpec,
    mode: Mode,
    z0: list[float],
    *,
    size_px: int = 280,
    image_px: int | None = None,
    span: float = 3.0,
    pad_dims: Sequence[int] = (0, 1),
    dim_names: Sequence[str] | None = None,
    points: MapData | None = None,
) -> ViewData:
    """The one builder of the component's data (image_px defaults to size_px)."""
    data: ViewData = {
        "spec": spec,
        "mode": mode,
        "z0": z0,
        "size_px": int(size_px),
        "image_px": int(size_px if image_px is None else image_px),
        "span": float(span),
        "pad_dims": [int(i) for i in pad_dims],
        "dim_names": list(dim_names) if dim_names is not None else None,
        "labels": labels(),
    }
    if points is not None:
        data["map"] = points
    return data


def _build_spec(model: VAE) -> DecoderSpec:
    """decoder_spec(model), or the spec of an imported decoder graph (vae.onnx.browser)."""
    if type(model).decode is not VAE.decode:  # an imported model decodes with its ONNX graph
        from vae.onnx.adapter import OnnxVAE
        from vae.onnx.browser import browser_spec

        if isinstance(model, OnnxVAE):
            return cast(DecoderSpec, browser_spec(model))
    return decoder_spec(model)


def spec_for(model: VAE) -> DecoderSpec:
    """decoder_spec(model) (browser_spec for an imported one), once per (never mutated) model.

    Raises UnsupportedDecoder when the browser cannot run this decoder: fall back to the
    server path and say so.
    """
    with _lock:
        spec = _specs.get(model)
    if spec is None:
        spec = _build_spec(model)
        with _lock:
            _specs[model] = spec
    return spec


def _ignore() -> None:
    """The value is read from the return value, not in a callback."""


def _mount_view(key: str, data: ViewData, latent_dim: int) -> list[float] | None:
    result = _mount(key=key, data=data, on_z_change=_ignore, width="stretch", height="content")
    value = result.get("z") if result is not None else None
    if not isinstance(value, dict) or value.get("spec") != data["spec"]["id"]:
        return None  # nothing sent yet, or sent for another checkpoint
    z = value.get("z")
    if not isinstance(z, list) or len(z) != latent_dim:
        return None
    return [float(v) for v in z]


def _start(spec: DecoderSpec, z0: Sequence[float] | np.ndarray | None) -> list[float]:
    d = int(spec["latent_dim"])
    z = np.zeros(d) if z0 is None else np.asarray(z0, dtype=float).reshape(-1)
    if z.shape != (d,) or not np.isfinite(z).all():
        raise ValueError(f"z0 must hold {d} finite numbers, got {z.shape[0]}")
    return [round(float(v), 4) for v in z]


def live_decoder(
    spec: DecoderSpec,
    *,
    key: str,
    mode: Literal["sliders", "pad"] = "sliders",
    z0: Sequence[float] | np.ndarray | None = None,
    size_px: int = 280,
    span: float = 3.0,
    pad_dims: tuple[int, int] = (0, 1),
    dim_names: Sequence[str] | None = None,
) -> list[float] | None:
    """Latent sliders (or a 2-D pad plus sliders for the other dimensions) and the decoded image.

    spec: from spec_for(model). z0: where to start (default the origin); the view jumps
    there whenever z0 changes, so pass a stable value, not the returned one. size_px:
    the image and the pad side. span: the sliders and the pad cover [-span, span].
    Returns the last position the person settled on (slider release, pointer up, a
    button), or None until then.
    """
    d = int(spec["latent_dim"])
    if mode not in ("sliders", "pad"):
        raise ValueError(f"mode must be 'sliders' or 'pad', got {mode!r}")
    valid_pad = len(set(pad_dims)) == 2 and all(0 <= i < d for i in pad_dims)
    if mode == "pad" and d >= 2 and not valid_pad:
        raise ValueError(f"pad_dims must be two different dimensions below {d}, got {pad_dims}")
    data = view_data(
        spec, mode, _start(spec, z0), size_px=size_px, span=span, pad_dims=pad_dims,
        dim_names=dim_names,
    )  # fmt: skip
    return _mount_view(key, data, d)


def map_extent(points: np.ndarray, margin: float = 0.08) -> list[float]:
    """A square [x0, x1, y0, y1] around the middle 99% of the points, with a margin."""
    p = np.asarray(points, dtype=float).reshape(-1, 2)
    if len(p) == 0:
        return [-3.0, 3.0, -3.0, 3.0]
    lo, hi = np.percentile(p, 0.5, axis=0), np.percentile(p, 99.5, axis=0)
    centre, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1e-3) * (1 + margin)
    return [centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half]


def _b64(a: np.ndarray, dtype: str) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).tobytes()).decode("ascii")


def live_map(
    spec: DecoderSpec,
    points: np.ndarray,
    labels: np.ndarray | None = None,
    *,
    key: str,
    classes: Sequence[str] | None = None,
    z0: Sequence[float] | np.ndarray | None = None,
    extent: Sequence[float] | None = None,
    size_px: int = 360,
    image_px: int = 280,
    dim_names: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
) -> list[float] | None:
    """A 2-D latent map of points coloured by label; hovering decodes the point under the pointer.

    points: (N, 2) latent codes (e.g. posterior means). labels: (N,) integers indexing
    classes (legend names). colors: CSS colours by label (default: the theme's chart colours),
    so the map can match a plotly figure beside it. Clicking or dragging pins a point;
    returns the pinned position (sent on pointer release), or None until the first pin.
    Only for 2-D models.
    """
    if int(spec["latent_dim"]) != 2:
        raise ValueError(f"live_map needs a 2-D latent space, this one has {spec['latent_dim']}")
    p = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    y = np.zeros(len(p), np.int32) if labels is None else np.asarray(labels).astype(np.int32)
    if y.shape != (len(p),):
        raise ValueError(f"labels must hold one integer per point ({len(p)}), got {y.shape}")
    box = [float(v) for v in (map_extent(p) if extent is None else extent)]
    if len(box) != 4 or not (box[0] < box[1] and box[2] < box[3]):
        raise ValueError(f"extent must be [x0, x1, y0, y1] with x0 < x1, y0 < y1, got {box}")
    xs, ys = _b64(p[:, 0], "<f4"), _b64(p[:, 1], "<f4")
    ls = _b64(y, "<i4")
    digest = hashlib.sha256((xs + ys + ls + repr(box)).encode()).hexdigest()[:16]
    start = _start(spec, z0 if z0 is not None else [(box[0] + box[1]) / 2, (box[2] + box[3]) / 2])
    shown: MapData = {
        "id": digest,
        "x": xs,
        "y": ys,
        "label": ls,
        "classes": list(classes) if classes is not None else [],
        "colors": list(colors) if colors is not None else [],
        "extent": box,
    }
    data = view_data(
        spec, "map", start, size_px=size_px, image_px=image_px, span=0.0,
        dim_names=dim_names, points=shown,
    )  # fmt: skip
    return _mount_view(key, data, 2)
