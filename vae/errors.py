"""The one base of every error the core raises for a person to read.

Each module keeps its own error class next to the code that raises it (CheckpointError in
the run folder, ConfigError in the configs, ...), and every one of them derives from
`VAEError` as well as from the builtin it always had, so `except ValueError` keeps working
and the app catches `VAEError` to show the message instead of a trace. Control flow such as
`vae.training.loop.Cancelled` is not an error for a person and does not derive from it.
"""

from __future__ import annotations


class VAEError(Exception):
    """A problem a person can act on; the message says what is wrong and what to do."""
