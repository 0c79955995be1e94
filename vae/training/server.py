"""How a shared server runs: read-only mode, how many training jobs at once, how long each.

Read from the environment on every call, so a test or an operator can change them without a
restart of the process that reads them:

  VAE_READ_ONLY=1         nothing is written anywhere: no training, resuming or cancelling
  VAE_MAX_JOBS=N          at most N training jobs run at once on this checkpoint folder (1)
  VAE_JOB_TIME_LIMIT=S    each job stops after S seconds of wall-clock time, keeping its
                          last complete epoch (0 or unset: no limit)
  VAE_JOB_QUEUE=N         up to N requests wait for a free slot, first come first served;
                          0 (default): a request beyond VAE_MAX_JOBS is refused
  VAE_JOB_NICE=N          jobs run N steps below the server's CPU priority, 0 to 19 (10),
                          so the pages stay responsive while a job trains
"""

from __future__ import annotations

import math
import os

from vae.errors import Message, VAEError

READ_ONLY_ENV = "VAE_READ_ONLY"
MAX_JOBS_ENV = "VAE_MAX_JOBS"
TIME_LIMIT_ENV = "VAE_JOB_TIME_LIMIT"
QUEUE_ENV = "VAE_JOB_QUEUE"
NICE_ENV = "VAE_JOB_NICE"
DEFAULT_MAX_JOBS = 1
DEFAULT_NICE = 10


class ServerSettingError(VAEError, ValueError):
    """An environment variable of the server holds a value that cannot be used."""


def read_only() -> bool:
    """True when VAE_READ_ONLY is set to 1, true, yes or on (any case)."""
    return os.environ.get(READ_ONLY_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _env_number(name: str, kind: type[int] | type[float], what: Message) -> float | None:
    """The number in environment variable `name`, None when unset or empty."""
    text = os.environ.get(name, "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise ServerSettingError(
            "{name}={text!r} is not {what}", name=name, text=text, what=what
        ) from None
    if not math.isfinite(value):
        raise ServerSettingError("{name}={text!r} is not {what}", name=name, text=text, what=what)
    return value


def max_jobs() -> int:
    """VAE_MAX_JOBS: jobs that may run at once, at least 1 (default 1)."""
    value = _env_number(MAX_JOBS_ENV, int, Message("a whole number; set it to 1 or more"))
    if value is None:
        return DEFAULT_MAX_JOBS
    if value < 1:
        raise ServerSettingError(
            "{max_jobs_env}={value:g} must be 1 or more", max_jobs_env=MAX_JOBS_ENV, value=value
        )
    return int(value)


def job_time_limit() -> float | None:
    """VAE_JOB_TIME_LIMIT in seconds, or None for no limit (unset or 0)."""
    value = _env_number(TIME_LIMIT_ENV, float, Message("a number of seconds"))
    if value is not None and value < 0:
        raise ServerSettingError(
            "{time_limit_env}={value:g} must be 0 (no limit) or more seconds",
            time_limit_env=TIME_LIMIT_ENV,
            value=value,
        )
    return value or None


def queue_length() -> int:
    """VAE_JOB_QUEUE: requests that may wait for a slot (default 0: none, refuse instead)."""
    value = _env_number(QUEUE_ENV, int, Message("a whole number; set it to 0 or more"))
    if value is not None and value < 0:
        raise ServerSettingError(
            "{queue_env}={value:g} must be 0 or more", queue_env=QUEUE_ENV, value=value
        )
    return int(value or 0)


def job_nice() -> int:
    """VAE_JOB_NICE: how far below the server's CPU priority a job runs, 0 to 19 (default 10)."""
    value = _env_number(NICE_ENV, int, Message("a whole number from 0 to 19"))
    if value is None:
        return DEFAULT_NICE
    if not 0 <= value <= 19:
        raise ServerSettingError(
            "{nice_env}={value:g} must be from 0 (the server's own priority) to 19 (the lowest)",
            nice_env=NICE_ENV,
            value=value,
        )
    return int(value)
