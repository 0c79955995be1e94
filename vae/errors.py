"""The one base of every error the core raises for a person to read.

Each module keeps its own error class next to the code that raises it (CheckpointError in
the run folder, ConfigError in the configs, ...), and every one of them derives from
`VAEError` as well as from the builtin it always had, so `except ValueError` keeps working
and the app catches `VAEError` to show the message instead of a trace. Control flow such as
`vae.training.loop.Cancelled` is not an error for a person and does not derive from it.

A message is an English template with named placeholders and its values, kept apart until
it is shown, so the app can show it in another language (its message catalog holds the
templates, extracted from the raise sites):

    raise UploadError("{name} is {size:,} bytes; the limit is {limit:,}", name=n, size=s, limit=m)

`str(exc)` is the English text (the command line and the server's log read it). A value that
is itself a message (another VAEError, or a `Message` such as a fragment a helper puts into
its sentence) is translated with it; any other value, such as an OS error's text, is shown as
it is. A template without values is not formatted, so braces in it are literal.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping


def N_(text: str) -> str:
    """Mark a label of the core for the app's message catalog; returns it unchanged.

    The core keeps English; the app shows such a label translated, with _(label).
    """
    return text


def english(template: str, params: Mapping[str, object]) -> str:
    """A template filled with its values (the template itself when it has none)."""
    return template.format(**params) if params else template


class Message:
    """Text for a person that is not an error: a fragment of an error's sentence."""

    def __init__(self, template: str, /, **params: object) -> None:
        self.template = template
        self.params = params

    def __str__(self) -> str:
        return english(self.template, self.params)

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"

    @classmethod
    def verbatim(cls, text: str) -> Message:
        """Text from outside the catalog (a log line, an old record), shown as it is."""
        return cls("{text}", text=text)

    @classmethod
    def of(cls, value: object) -> Message:
        """A message for a value: itself, an error of the core's template, else its text."""
        if isinstance(value, Message):
            return value
        if isinstance(value, VAEError):
            return cls(value.template, **value.params)
        return cls.verbatim(str(value))

    def record(self) -> dict[str, object]:
        """The message as JSON data, for a file another process reads (`from_record`).

        Values that are messages (or the core's errors) stay messages; numbers, text, True,
        False and None stay as they are; anything else becomes its text.
        """
        return {
            "template": self.template,
            "params": {k: _recorded(v) for k, v in self.params.items()},
        }

    @classmethod
    def from_record(cls, data: object) -> Message | None:
        """The message `record()` wrote; None when `data` is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("template"), str):
            return None
        params = data.get("params", {})
        if not isinstance(params, dict):
            return None
        values = {str(k): cls.from_record(v) or v for k, v in params.items()}
        message = cls(data["template"], **values)
        try:
            str(message)
        except (KeyError, IndexError, ValueError, TypeError, AttributeError):
            return None  # its values do not fill its template
        return message


def _recorded(value: object) -> object:
    if isinstance(value, (Message, VAEError)):
        return Message.of(value).record()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):  # numpy's too: a format spec such as {n:,} needs one
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return str(value)


class VAEError(Exception):
    """A problem a person can act on; the message says what is wrong and what to do."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(english(message, params))  # args: the English, as a builtin has it
        self.template = message
        self.params = params

    def __str__(self) -> str:
        return english(self.template, self.params)


class Listing(Message):
    """Messages in a row, such as a list inside a sentence (each translated on its own)."""

    def __init__(self, items: Iterable[object], separator: str = ", ") -> None:
        self.items = tuple(items)
        self.separator = separator
        super().__init__(separator.join(map(str, self.items)))
