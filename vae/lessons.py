"""Lessons: short stories told through the app, one TOML file per lesson in lessons/.

A lesson is a title, a line of summary and a sequence of steps; a step is a title, two or
three sentences and the live view it opens: a page of the app and the query parameters
that put it in its prepared state (the checkpoint, the Latent page's view, the Decoder's
point, the model compared, the Inference page's part and image). A file looks like:

    title = "A latent space is a map"
    summary = "Where every image lands, and what the decoder says there."
    order = 1

    [[steps]]
    title = "Every test image is a point"
    text = "The encoder puts each image at the mean of q(z|x). Digits of a kind gather."
    page = "latent"
    params = { run = "mnist-2d", view = "Map" }

The lesson's name (its ?lesson= value) is the file's stem. Reading validates everything
and raises LessonError naming the file and the field; nothing in a file is run.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from vae.errors import VAEError

LESSON_DIR = Path(__file__).resolve().parents[1] / "lessons"
# The app's pages a step may open, by their URL path (app.py's st.Page url_path).
PAGES = (
    "overview",
    "training",
    "latent",
    "decoder",
    "reconstructions",
    "interpolate",
    "inference",
    "compare",
)
# The query parameters a step may set (ui/state.py says what each one does).
PARAMS = ("run", "view", "z", "vs", "part", "image", "prior", "throws", "ones")
MAX_BYTES = 64 * 1024
MAX_STEPS = 12
NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,40}")  # a lesson's name
RUN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # a checkpoint folder's name
_FIELDS = {"title", "summary", "order", "steps"}
_STEP_FIELDS = {"title", "text", "page", "params"}


class LessonError(VAEError, ValueError):
    """A lesson file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Step:
    """One view of a lesson: what to say, and the page and parameters that show it."""

    title: str
    text: str
    page: str  # one of PAGES
    params: Mapping[str, str]  # always holds "run"

    @property
    def run(self) -> str:
        return self.params["run"]


@dataclass(frozen=True)
class Lesson:
    """A named sequence of steps (name: the file's stem, the ?lesson= value)."""

    name: str
    title: str
    summary: str
    order: int
    steps: tuple[Step, ...]


def _text(where: str, value: object, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LessonError(
            "{where} must be a non-empty string, got {value!r:.60}", where=where, value=value
        )
    if len(value) > limit:
        raise LessonError(
            "{where} is {length} characters long; at most {limit}",
            where=where,
            length=len(value),
            limit=limit,
        )
    return " ".join(value.split())


def _params(where: str, value: object) -> Mapping[str, str]:
    if not isinstance(value, dict):
        raise LessonError('{where} must be a table such as {{ run = "mnist-2d" }}', where=where)
    out: dict[str, str] = {}
    for key, v in value.items():
        if key not in PARAMS:
            raise LessonError(
                "{where}.{key} is not a parameter a step can set ({params})",
                where=where,
                key=key,
                params=", ".join(PARAMS),
            )
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            raise LessonError(
                "{where}.{key} must be a string or a number, got {v!r:.60}",
                where=where,
                key=key,
                v=v,
            )
        text = str(v)
        if not text or len(text) > 200:
            raise LessonError("{where}.{key} must be 1 to 200 characters", where=where, key=key)
        out[key] = text
    if "run" not in out:
        raise LessonError("{where}.run is missing: every step names its checkpoint", where=where)
    if not RUN_RE.fullmatch(out["run"]):
        raise LessonError(
            "{where}.run {run!r} is not a checkpoint folder name",
            where=where,
            run=out["run"],
        )
    return MappingProxyType(out)


def _fields(raw: dict[str, object], allowed: set[str], needed: tuple[str, ...], where: str) -> None:
    """Refuse a table with a field it does not know or without one it needs."""
    unknown = set(raw) - allowed
    if unknown:
        names = ", ".join(sorted(unknown))
        if where:
            raise LessonError("{where} has unknown field(s) {names}", where=where, names=names)
        raise LessonError("unknown field(s) {names}", names=names)
    for key in needed:
        if key not in raw:
            raise LessonError(
                "{where}{key} is missing", where=where + "." if where else "", key=key
            )


def _step(where: str, raw: object) -> Step:
    if not isinstance(raw, dict):
        raise LessonError("{where} must be a table ([[steps]])", where=where)
    _fields(raw, _STEP_FIELDS, ("title", "text", "page"), where)
    page = raw["page"]
    if page not in PAGES:
        raise LessonError(
            "{where}.page {page!r:.60} is not a page of the app ({pages})",
            where=where,
            page=page,
            pages=", ".join(PAGES),
        )
    return Step(
        title=_text(f"{where}.title", raw["title"], 100),
        text=_text(f"{where}.text", raw["text"], 700),
        page=page,
        params=_params(f"{where}.params", raw.get("params")),
    )


def load_lesson(path: Path) -> Lesson:
    """Read and validate one lesson file. Raises LessonError naming the file and the field."""
    path = Path(path)
    name = path.stem
    if not NAME_RE.fullmatch(name):
        raise LessonError(
            "{name}: a lesson's file name must be lower-case letters, digits and dashes "
            "(it is the lesson's ?lesson= value)",
            name=path.name,
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LessonError(
            "{name}: cannot be read ({reason})", name=path.name, reason=exc.strerror or exc
        ) from exc
    if len(data) > MAX_BYTES:
        raise LessonError(
            "{name}: {size:,} bytes; a lesson file holds at most {limit:,}",
            name=path.name,
            size=len(data),
            limit=MAX_BYTES,
        )
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LessonError("{name}: not valid TOML ({reason})", name=path.name, reason=exc) from exc
    try:
        _fields(raw, _FIELDS, ("title", "summary", "steps"), "")
        order = raw.get("order", 100)
        if isinstance(order, bool) or not isinstance(order, int):
            raise LessonError("order must be a whole number, got {order!r:.60}", order=order)
        steps = raw["steps"]
        if not isinstance(steps, list) or not steps:
            raise LessonError("steps must be a non-empty array of tables ([[steps]])")
        if len(steps) > MAX_STEPS:
            raise LessonError(
                "steps holds {n_steps} steps; at most {max_steps}",
                n_steps=len(steps),
                max_steps=MAX_STEPS,
            )
        return Lesson(
            name=name,
            title=_text("title", raw["title"], 100),
            summary=_text("summary", raw["summary"], 300),
            order=order,
            steps=tuple(_step(f"steps[{i + 1}]", s) for i, s in enumerate(steps)),
        )
    except LessonError as exc:
        raise LessonError("{name}: {reason}", name=path.name, reason=exc) from None


def load_lessons(folder: Path = LESSON_DIR) -> tuple[Lesson, ...]:
    """Every lesson in `folder` (*.toml), by their order then name. Raises LessonError."""
    files = sorted(Path(folder).glob("*.toml"))
    lessons = [load_lesson(f) for f in files]
    return tuple(sorted(lessons, key=lambda lesson: (lesson.order, lesson.name)))


def find_step(lessons: tuple[Lesson, ...], lesson: str, step: str) -> tuple[Lesson, int]:
    """(the lesson named `lesson`, its step index from 0) for URL values; LessonError if none.

    `step` counts from 1, as the URL and the step counter do.
    """
    found = next((x for x in lessons if x.name == lesson), None)
    if found is None:
        names = ", ".join(x.name for x in lessons) or "none"
        raise LessonError(
            "there is no lesson named {lesson!r} (the lessons: {names})",
            lesson=lesson[:60],
            names=names,
        )
    n = len(found.steps)
    if not re.fullmatch(r"[0-9]{1,3}", step) or not 1 <= int(step) <= n:
        raise LessonError(
            "step {step!r} is not a step of {title!r}: it has steps 1 to {n}",
            step=step[:20],
            title=found.title,
            n=n,
        )
    return found, int(step) - 1
