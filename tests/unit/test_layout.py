"""The layout the README describes stays true: imports run app.py -> pages/ -> ui/ and
components/ -> vae/, pages/ holds only the registered pages, and one module touches
Streamlit internals."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import REPO

INTERNALS = ("streamlit.runtime", "streamlit.web", "streamlit.commands", "streamlit.elements")


def _imports(path: Path) -> set[str]:
    """Every module path a file imports (absolute imports only; the project uses no others)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def _files(*places: str) -> list[Path]:
    """The .py files in these folders (or these files), relative to the project root."""
    paths = [REPO / place for place in places]
    return sorted(q for p in paths for q in ([p] if p.is_file() else p.rglob("*.py")))


def _top(module: str) -> str:
    return module.split(".", 1)[0]


def test_the_core_imports_no_ui_code() -> None:
    for path in _files("vae"):
        bad = {m for m in _imports(path) if _top(m) in ("streamlit", "ui", "pages", "components")}
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_shared_ui_code_never_imports_a_page() -> None:
    for path in [*_files("ui", "components"), REPO / "app.py"]:
        bad = {m for m in _imports(path) if _top(m) == "pages"}
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}"


def test_pages_holds_exactly_the_pages_app_py_registers() -> None:
    registered = set(
        re.findall(r'st\.Page\(\s*"pages/([a-z_]+\.py)"', (REPO / "app.py").read_text())
    )
    present = {p.name for p in (REPO / "pages").iterdir() if p.name != "__pycache__"}
    assert registered == present


def test_only_the_compat_module_imports_streamlit_internals() -> None:
    allowed = {
        REPO / "ui" / "streamlit_compat.py",
        Path(__file__).parent / "test_streamlit_compat.py",
    }
    for path in _files("app.py", "ui", "pages", "components", "vae", "bench", "testkit", "tests"):
        if path in allowed:
            continue
        bad = {m for m in _imports(path) if m.startswith(INTERNALS)}
        assert not bad, f"{path.relative_to(REPO)} imports Streamlit internals {sorted(bad)}"


def test_the_core_package_imports_nothing_until_a_name_is_used() -> None:
    """Concurrent first imports (a server's first sessions) cannot deadlock on vae/__init__."""
    import subprocess
    import sys

    code = (
        "import sys, vae; assert not [m for m in sys.modules if m.startswith('vae.')]; "
        "assert set(vae.__all__) == set(vae._WHERE); vae.load_checkpoint; vae.TrainConfig"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def _binds_underscore(tree: ast.AST) -> list[int]:
    """Lines where a file binds the name `_` (a target, a loop or `with` name, an argument)."""
    lines = []
    for node in ast.walk(tree):
        stored = isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)
        if stored or (isinstance(node, ast.arg) and node.arg == "_"):
            lines.append(node.lineno)
    return lines


def test_a_module_that_translates_never_rebinds_the_translation_function() -> None:
    """`mu, _ = ...` in a page that imports _ from ui.i18n would turn its next _("...") into a
    call of whatever was unpacked (seen: a Korean page crashing right after such a line)."""
    for path in _files("app.py", "pages", "ui", "components"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        translates = any(
            isinstance(node, ast.ImportFrom)
            and node.module == "ui.i18n"
            and any(alias.name == "_" for alias in node.names)
            for node in ast.walk(tree)
        )
        if translates:
            assert not _binds_underscore(tree), (
                f"{path.relative_to(REPO)} binds `_` on line(s) {_binds_underscore(tree)}"
            )
