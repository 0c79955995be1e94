"""The app's message catalogs, with Babel: extract, update, merge a translator's file, compile.

    python scripts/messages.py update            # extract, then update every locale's .po
    python scripts/messages.py merge FILE.po     # take the translations in FILE.po too
    python scripts/messages.py compile           # .po -> .mo (the files the app reads)
    python scripts/messages.py check             # exit 1 when a message lacks a translation
    python scripts/messages.py pending -o NEW.po pages/decoder.py ...
                                                 # a translator's file: the untranslated
                                                 # messages of those sources

`update` and `merge` compile as well, so the app shows the change at once. The message ids
are the English text marked with _() / N_() / ngettext() in app.py, pages/, ui/ and
components/, the titles, summaries and step texts of lessons/*.toml, and the core's message
templates in vae/: the message of every error class (vae.errors.VAEError and its subclasses,
vae.errors.Message) and of every function that passes its argument on as one (see
core_keywords). Babel is a development tool (requirements-dev.txt); the app reads the .mo
files with Python's gettext.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import vae  # noqa: E402
from vae.errors import Message, VAEError  # noqa: E402
from vae.lessons import load_lesson  # noqa: E402

LOCALE_DIR = ROOT / "locale"
DOMAIN = "messages"
LOCALES = ("ko",)
KEYWORDS: dict[str, Any] = {"_": None, "N_": None, "ngettext": (1, 2)}
SOURCES = ("app.py", "pages", "ui", "components", "lessons", "vae")


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _message_position(function: Any) -> int | None:
    """The 1-based position of the template among a call's arguments: the last positional
    parameter before **params (None when the signature has no **params)."""
    try:
        params = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return None
    if not params or params[-1].kind is not inspect.Parameter.VAR_KEYWORD:
        return None
    positional = [p for p in params if p.kind is inspect.Parameter.POSITIONAL_ONLY]
    return len(positional) or None


def message_classes() -> dict[str, int]:
    """Every class of the core whose calls take a message template: name -> its position."""
    for module in pkgutil.walk_packages(vae.__path__, "vae."):
        importlib.import_module(module.name)
    found = {}
    for cls in [Message, VAEError, *_subclasses(Message), *_subclasses(VAEError)]:
        position = _message_position(cls)
        if position is not None:
            found[cls.__name__] = position
    return found


def _called(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def message_helpers(known: dict[str, int]) -> dict[str, int]:
    """Functions of vae/ that pass a parameter on as the template of a known call (such as
    check(ok, message, **params) raising ConfigError(message, **params)): name -> position."""
    trees = [ast.parse(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "vae").rglob("*.py"))]
    functions = [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    helpers: dict[str, int] = {}
    while True:
        calls = {**known, **helpers}
        new = dict(helpers)
        for fn in functions:
            names = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call) or _called(node) not in calls:
                    continue
                at = calls[_called(node) or ""] - 1
                arg = node.args[at] if len(node.args) > at else None
                if isinstance(arg, ast.Name) and arg.id in names and fn.name != "__init__":
                    new[fn.name] = names.index(arg.id) + 1 - (names[:1] == ["self"])
        if new == helpers:
            return helpers
        helpers = new


def core_keywords() -> dict[str, Any]:
    """Babel keywords for the core's templates: each class and helper, its template only."""
    classes = message_classes()
    return {name: (at,) for name, at in {**classes, **message_helpers(classes)}.items()}


def extract_lesson(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method for a lesson file: its title, summary and steps' texts.

    The ids are the texts as vae.lessons reads them (white space collapsed), so the app's
    _(step.text) finds them.
    """
    lesson = load_lesson(Path(str(getattr(fileobj, "name", ""))))
    yield 1, "_", lesson.title, ["lesson title"]
    yield 2, "_", lesson.summary, ["lesson summary"]
    for i, step in enumerate(lesson.steps, start=1):
        yield 3, "_", step.title, [f"step {i} title"]
        yield 3, "_", step.text, [f"step {i} text"]


def template() -> Catalog:
    """Every message of the app, from its sources (the .pot file's content)."""
    catalog = Catalog(project="vae-latent-explorer", charset="utf-8", fuzzy=False)
    # Babel takes a function as an extraction method, as well as a method's name.
    method_map: list[tuple[str, Any]] = [("**.py", "python"), ("*.toml", extract_lesson)]
    found: list[tuple[str, int, Any, list[str], str | None]] = []
    keywords = {**KEYWORDS, **core_keywords()}
    for source in SOURCES:
        path = ROOT / source
        if path.is_file():
            for lineno, message, comments, context in extract_from_file(
                "python", str(path), keywords=keywords, comment_tags=("TRANSLATORS:",),
                strip_comment_tags=True,
            ):  # fmt: skip
                found.append((source, lineno, message, comments, context))
            continue
        for filename, lineno, message, comments, context in extract_from_dir(
            str(path),
            method_map=method_map,  # type: ignore[arg-type]
            keywords=keywords,
            comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True,
            directory_filter=lambda d: "__pycache__" not in d,
        ):
            found.append((f"{source}/{filename}", lineno, message, comments, context))
    for where, lineno, message, comments, context in found:
        catalog.add(message, locations=[(where, lineno)], auto_comments=comments, context=context)
    return catalog


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, project="vae-latent-explorer", fuzzy=False)
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def write(catalog: Catalog, locale: str) -> None:
    path = po_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".po.tmp")
    with tmp.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True, omit_header=False, include_previous=True)
    tmp.replace(path)


def compile_mo(locale: str) -> Path:
    """Write the locale's .mo from its .po (fuzzy entries left out, as gettext expects)."""
    catalog = read(locale)
    mo = po_path(locale).with_suffix(".mo")
    tmp = mo.with_suffix(".mo.tmp")
    with tmp.open("wb") as f:
        write_mo(f, catalog, use_fuzzy=False)
    tmp.replace(mo)
    return mo


def update(locale: str, extra: list[Catalog] | None = None) -> Catalog:
    """The locale's catalog brought up to the sources; translations from `extra` filled in."""
    tmpl = template()
    catalog = read(locale)
    catalog.update(tmpl, no_fuzzy_matching=True, update_creation_date=False)
    catalog.obsolete.clear()  # a message no source has any more is dropped, not kept
    for other in extra or []:
        for msg in other:
            if not msg.id or not msg.string:
                continue
            mine = catalog.get(msg.id, msg.context)
            if mine is not None:
                mine.string = msg.string
                mine.flags.discard("fuzzy")
    write(catalog, locale)
    compile_mo(locale)
    return catalog


def missing(locale: str) -> list[str]:
    """The message ids of the sources that the locale's .po does not translate (or marks fuzzy)."""
    catalog = read(locale)
    out = []
    for msg in template():
        if not msg.id:
            continue
        mine = catalog.get(msg.id, msg.context)
        strings = mine.string if mine is not None else None
        done = all(strings) if isinstance(strings, tuple) else bool(strings)
        if mine is None or not done or mine.fuzzy:
            out.append(msg.id if isinstance(msg.id, str) else msg.id[0])
    return out


def pending(locale: str, sources: list[str]) -> Catalog:
    """The messages of `sources` (paths relative to the project) the locale lacks, to translate."""
    want = {str(Path(s)) for s in sources}
    gaps = set(missing(locale))
    out = Catalog(locale=locale, project="vae-latent-explorer", fuzzy=False)
    for msg in template():
        key = msg.id if isinstance(msg.id, str) else msg.id[0] if msg.id else ""
        if key in gaps and any(where in want for where, _ in msg.locations):
            out[msg.id] = msg
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("update", help="extract and update every locale's .po (and compile)")
    merge = sub.add_parser("merge", help="update, taking translations from .po files too")
    merge.add_argument("files", nargs="+", type=Path)
    merge.add_argument("--locale", default="ko")
    todo = sub.add_parser("pending", help="write the untranslated messages of some sources")
    todo.add_argument("sources", nargs="+")
    todo.add_argument("-o", "--output", type=Path, required=True)
    todo.add_argument("--locale", default="ko")
    sub.add_parser("compile", help="compile every locale's .po into its .mo")
    sub.add_parser("check", help="list the messages without a translation; exit 1 if any")
    args = parser.parse_args(argv)
    if args.command == "update":
        for locale in LOCALES:
            update(locale)
    elif args.command == "merge":
        extra = []
        for file in args.files:
            with file.open("rb") as f:
                extra.append(read_po(f, locale=args.locale))
        update(args.locale, extra)
    elif args.command == "pending":
        todo_catalog = pending(args.locale, args.sources)
        with args.output.open("wb") as f:
            write_po(f, todo_catalog, width=100, sort_output=True)
        print(f"{len(todo_catalog)} message(s) to translate in {args.output}")
    elif args.command == "compile":
        for locale in LOCALES:
            compile_mo(locale)
    if args.command in ("update", "merge", "check"):
        bad = 0
        for locale in LOCALES:
            gaps = missing(locale)
            bad += len(gaps)
            print(f"{locale}: {len(gaps)} message(s) without a translation")
            for text in gaps[:200]:
                print(f"  - {text[:100]!r}")
        return 1 if args.command == "check" and bad else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
