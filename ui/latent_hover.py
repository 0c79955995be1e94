"""The Latent page's "Hover to decode" view: the map of codes, decoded in the browser as the
pointer moves (on the server where the browser cannot run the decoder), and the hand-off of a
pinned point to the Decoder page."""

from __future__ import annotations

import numpy as np
import streamlit as st

import components.live_decoder as live
from ui import state
from ui.errors import describe, show_error
from ui.i18n import _
from ui.images import show_image
from ui.plots import PALETTE
from ui.testset import Images
from vae import Checkpoint
from vae.analysis.explore import decode


def _offer(ckpt: Checkpoint, z: list[float], source: str) -> None:
    """Hand a latent point to the Decoder page (it reads and removes the key)."""
    st.session_state[state.DECODER_HANDOFF] = {
        "run": ckpt.name,
        "z": [float(v) for v in z],
        "source": source,
    }


def _server_pad(ckpt: Checkpoint, mu: np.ndarray) -> list[float]:
    x0, x1, y0, y1 = live.map_extent(mu)
    a, b = st.columns(2)
    help_ = _("Each move decodes this point on the server.")
    zx = a.slider(
        "z1", round(x0, 2), round(x1, 2), round((x0 + x1) / 2, 2), key="latent_srv_z1", help=help_
    )
    zy = b.slider(
        "z2", round(y0, 2), round(y1, 2), round((y0 + y1) / 2, 2), key="latent_srv_z2", help=help_
    )
    caption = _("Decoded at ({x:.2f}, {y:.2f})").format(x=zx, y=zy)
    show_image(decode(ckpt.model, np.array([[zx, zy]]))[0], caption)
    return [zx, zy]


def show_hover(ckpt: Checkpoint, images: Images, mu: np.ndarray) -> None:
    """The map of codes; hovering decodes the point under the pointer in the browser."""
    try:
        spec = live.spec_for(ckpt.model)
    except live.UnsupportedDecoder as exc:
        st.info(
            _(
                "This model's decoder cannot run in the browser ({reason}), so it is decoded on "
                "the server instead: move the sliders (each move is one round trip)."
            ).format(reason=describe(exc)),
            icon=":material/dns:",
        )
        z: list[float] | None = _server_pad(ckpt, mu)
        source = _("a point chosen on the latent map")
    except Exception as exc:  # a model the exporter does not expect: say so, keep the page
        show_error(exc, _("The in-browser decoder cannot be prepared"))
        return
    else:
        st.caption(
            _(
                "Hover over the map: the image on the right is the decoder's output for the "
                "point under the pointer, computed in your browser. Click or drag to pin a point."
            )
        )
        pinned = live.live_map(
            spec,
            mu,
            images.y,
            key="latent_live",
            classes=list(images.shown_classes),
            colors=PALETTE,  # the Map tab's colours
            size_px=460,
            image_px=280,
        )
        if pinned is None:
            st.info(
                _("Click the map to pin a point; the Decoder page then starts there."),
                icon=":material/push_pin:",
            )
        z, source = pinned, _("a point pinned on the latent map")
    if z is not None:
        _pinned(ckpt, z, source)
    st.markdown(
        _(
            "**Why some places decode badly.** Inside a cluster the decoder has seen many codes "
            "and draws a clean image; between clusters and outside the cloud it has seen few, so "
            "it draws blends. Those are the thin regions shaded on the Map when *Shade where q(z) "
            "is thin* is on, and where samples from the prior go wrong."
        )
    )


def _pinned(ckpt: Checkpoint, z: list[float], source: str) -> None:
    """Offer the pinned point to the Decoder page, once per new pin, and a button to go there."""
    last = st.session_state.get(state.LATENT_PIN)
    if last != (ckpt.name, z):
        st.session_state[state.LATENT_PIN] = (ckpt.name, z)
        _offer(ckpt, z, source)  # the Decoder page starts there next time it opens
    a, b = st.columns([3, 1], vertical_alignment="center")
    a.markdown(
        _("**z = ({x:+.2f}, {y:+.2f})**: the Decoder page starts here when opened.").format(
            x=z[0], y=z[1]
        )
    )
    if b.button(_("Open in the Decoder"), icon=":material/tune:", key="latent_live_open"):
        _offer(ckpt, z, source)
        st.switch_page("pages/decoder.py")
