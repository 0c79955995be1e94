"""Errors on a page: a message a person can act on, never a trace."""

from __future__ import annotations

import logging

import streamlit as st

from ui.i18n import _
from vae.errors import VAEError

_log = logging.getLogger(__name__)


def show_error(exc: BaseException, what: str = "") -> None:
    """Show exc as an st.error a person can act on; the traceback goes to the server log only.

    Errors of the core (every vae.errors.VAEError) carry such a message already and are
    shown as they are; anything else is reported as unexpected and logged.
    """
    prefix = f"{what}: " if what else ""
    if isinstance(exc, VAEError):
        st.error(f"{prefix}{exc}", icon=":material/error:")
        return
    _log.exception("unexpected error", exc_info=exc)
    st.error(
        prefix
        + _(
            "something went wrong ({kind}: {reason}). "
            "Try again, or choose another checkpoint in the sidebar."
        ).format(kind=type(exc).__name__, reason=exc),
        icon=":material/error:",
    )
