"""Errors on a page: a message a person can act on, never a trace."""

from __future__ import annotations

import logging

import streamlit as st

from ui.i18n import DEFAULT, _, language
from vae.errors import Listing, Message, VAEError

_log = logging.getLogger(__name__)


def describe(exc: BaseException | Message) -> str:
    """The text a person reads for a core error, in this session's language.

    The core keeps its messages as English templates with values (vae.errors): the template
    is translated through the catalog and filled with the values, and a value that is itself
    a message (a wrapped error, a fragment) is translated the same way. Any other value, and
    any error that is not the core's, is shown as its own text. In English: str(exc).
    """
    if not isinstance(exc, (VAEError, Message)) or language() == DEFAULT:
        return str(exc)
    if isinstance(exc, Listing):
        return exc.separator.join(str(_value(item)) for item in exc.items)
    if not exc.params:
        return _ending_as(exc.template, _(exc.template))
    params = {key: _value(value) for key, value in exc.params.items()}
    try:
        return _ending_as(exc.template, _(exc.template).format(**params))
    except (KeyError, IndexError, ValueError):  # a translation that does not fit: the English
        _log.warning("translation of %r does not format", exc.template)
    try:
        return str(exc)
    except (KeyError, IndexError, ValueError):  # nor does the English: the template as it is
        return exc.template


def _ending_as(template: str, text: str) -> str:
    """text without the full stop a translation adds where the English template has none.

    The core's messages are clauses ("choose a PNG or JPEG image") that pages set inside
    sentences ("{name} cannot be used: {reason}."); a translated clause ending in "." would
    end such a sentence twice.
    """
    if text.endswith(".") and not text.endswith("..") and not template.rstrip().endswith("."):
        return text[:-1]
    return text


def _value(value: object) -> object:
    return describe(value) if isinstance(value, (VAEError, Message)) else value


def show_error(exc: BaseException, what: str = "") -> None:
    """Show exc as an st.error a person can act on; the traceback goes to the server log only.

    Errors of the core (every vae.errors.VAEError) carry such a message already and are
    shown as they are, in the session's language (describe); anything else is reported as
    unexpected and logged.
    """
    prefix = f"{what}: " if what else ""
    if isinstance(exc, VAEError):
        st.error(f"{prefix}{describe(exc)}", icon=":material/error:")
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
