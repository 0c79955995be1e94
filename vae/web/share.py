"""Shareable views: read and write the checkpoint and latent point carried in a link's query.

Everything here is pure and strict, since a query string comes from whoever made the
link: a checkpoint name is accepted only when it is one of the known runs (and a plain
folder name, see vae.runfolder.runs.check_name); a latent point only as the right number of
finite decimal numbers, clipped to the sliders' range.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from urllib.parse import urlencode, urlsplit, urlunsplit

import numpy as np

from vae.errors import Message, VAEError
from vae.runfolder.runs import RunNameError, check_name

MAX_Z_TEXT = 4096  # characters: 64 dimensions of generous decimals, far below any abuse
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")


class ShareError(VAEError, ValueError):
    """A value from a link cannot be used; the message says why, in words for a person."""


def _shown(text: str, limit: int = 40) -> str:
    """A short, safe rendering of untrusted text for a message."""
    return ascii(text if len(text) <= limit else text[:limit] + "…")


def parse_run(value: object, known: Collection[str]) -> str:
    """The run name from a link, if it is a plain folder name among `known`; else ShareError."""
    try:
        name = check_name(value)
    except RunNameError as exc:
        raise ShareError("{reason}", reason=exc) from exc
    if name not in known:
        raise ShareError("there is no checkpoint named {name} here", name=_shown(name))
    return name


def parse_z(value: object, latent_dim: int, span: float = 3.0) -> tuple[np.ndarray, bool]:
    """A latent point from text such as '0.12,-1.30'. -> (z (D,) float64, clipped).

    Accepts exactly `latent_dim` comma-separated decimal numbers (optional spaces, an
    exponent of at most three digits); refuses anything else, including NaN and infinity,
    with a ShareError. Values beyond +-span are clipped to it, and `clipped` says so.
    """
    if not isinstance(value, str):
        raise ShareError("the latent point must be text such as z=0.12,-1.30")
    if len(value) > MAX_Z_TEXT:
        raise ShareError("the latent point is too long ({length:,} characters)", length=len(value))
    parts = [p.strip() for p in value.split(",")]
    if len(parts) != latent_dim:
        # TRANSLATORS: {values} is "1 value" or "{n} values", {dimensions} the same.
        raise ShareError(
            "the latent point has {values}, this model has {dimensions}",
            values=Message("{n} value", n=1)
            if len(parts) == 1
            else Message("{n} values", n=len(parts)),
            dimensions=Message("{n} dimension", n=1)
            if latent_dim == 1
            else Message("{n} dimensions", n=latent_dim),
        )
    values = []
    for part in parts:
        if part.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise ShareError("{part} in the latent point is not a finite number", part=_shown(part))
        if not _NUMBER.fullmatch(part):
            raise ShareError(
                "{part} in the latent point is not a decimal number", part=_shown(part)
            )
        v = float(part)
        if not math.isfinite(v):
            raise ShareError("{part} in the latent point is not a finite number", part=_shown(part))
        values.append(v)
    z = np.asarray(values, np.float64)
    clipped = bool((np.abs(z) > span).any())
    return np.clip(z, -span, span), clipped


def format_z(z: Sequence[float] | np.ndarray, decimals: int = 2) -> str:
    """A latent point as link text, e.g. '0.12,-1.30' (no '-0.00')."""
    out = []
    for v in np.asarray(z, np.float64).reshape(-1):
        text = f"{float(v):.{decimals}f}"
        out.append(text[1:] if text.startswith("-") and float(text) == 0 else text)
    return ",".join(out)


def share_link(page_url: str | None, url_path: str, params: Mapping[str, str]) -> str:
    """The link to this view: the page's address (without its query) plus `params`.

    page_url: the address the browser shows (st.context.url), or None when unknown, in
    which case the link is relative to the app, e.g. '/decoder?run=mnist-2d'.
    """
    query = urlencode(dict(params), safe=",")
    if not page_url:
        return f"/{url_path}?{query}" if query else f"/{url_path}"
    parts = urlsplit(page_url)
    path = parts.path.rstrip("/")
    if not path.endswith("/" + url_path):
        path = f"{path}/{url_path}"
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))
