"""Tables for st.dataframe, with pandas imported once per process under a lock.

Sessions run in threads of one process; two of them importing pandas for the first time
at the same moment can see a partly initialised module (pandas imports itself in a
circle), which failed a page under load. Every page builds its tables here, so the first
import happens once, under the lock, and later calls are a dictionary lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

_LOCK = threading.Lock()


def data_frame(columns: Mapping[str, Sequence[Any] | Any]) -> Any:
    """A pandas DataFrame of the columns, in order (pandas imported on first use)."""
    with _LOCK:
        import pandas as pd  # not at a page's top: the import costs over a second
    return pd.DataFrame(dict(columns))
