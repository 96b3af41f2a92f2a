"""The layers of docs/architecture.md, checked by the project itself.

* ``lint-imports`` (import-linter, contracts in ``.importlinter``): each layer imports only the layers
  below it, ``indicators`` stays pure, only the pages import Streamlit;
* no module uses a private name (``_name``) of another module: what a module shares, it names publicly;
* no module is longer than 700 lines;
* the HTTP layer is a package (``sources/http/``) whose ``__init__`` serves every name its callers use.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

#: The application's code (tests and benchmarks may look inside modules).
CODE = ("app.py", "settings.py", "core", "sources", "indicators", "geodata", "assembly", "loaders", "reports", "app_pages")
MAX_LINES = 700


def _python_files() -> list[Path]:
    files = []
    for name in CODE:
        path = ROOT / name
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return files


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _lint_imports(*args: str) -> subprocess.CompletedProcess:
    command = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    return subprocess.run([command, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_import_contracts_hold():
    result = _lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", ""), result.stdout


def test_import_linter_reports_a_broken_contract(tmp_path):
    """The check can fail: a contract that the code breaks (indicators use pandas) is reported."""
    config = tmp_path / "broken.ini"
    config.write_text("[importlinter]\nroot_packages =\n    indicators\ninclude_external_packages = True\n\n"
                      "[importlinter:contract:demo]\nname = demo\ntype = forbidden\nsource_modules =\n"
                      "    indicators\nforbidden_modules =\n    pandas\n", encoding="utf-8")
    result = _lint_imports("--config", str(config))
    assert result.returncode != 0 and "BROKEN" in result.stdout.upper(), result.stdout


def _private_uses(path: Path, known: dict[str, set[str]]) -> list[str]:
    """``from x import _name`` and ``x._name`` where ``x`` is another module of ours."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _module_name(path)
    aliases: dict[str, str] = {}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if target in known:
                    aliases[alias.asname or alias.name] = target
                elif node.module in known and alias.name.startswith("_") and node.module != own:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    aliases[alias.asname or alias.name] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.startswith("_") \
                and not node.attr.startswith("__"):
            module = aliases.get(node.value.id)
            if module and module != own and node.attr in known[module]:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_private_names_of_another():
    files = _python_files()
    known: dict[str, set[str]] = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
        known[_module_name(path)] = names
    offenders = [use for path in files for use in _private_uses(path, known)]
    assert not offenders, offenders


def test_the_private_name_check_can_fail(tmp_path, monkeypatch):
    """A module reaching into another's private function is reported (on a made-up pair of modules)."""
    import tests.test_architecture as me

    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "a.py").write_text("def _hidden():\n    return 1\n", encoding="utf-8")
    (tmp_path / "core" / "b.py").write_text("from core import a\nfrom core.a import _hidden\n\nx = a._hidden()\n",
                                            encoding="utf-8")
    monkeypatch.setattr(me, "ROOT", tmp_path)
    known = {"core.a": {"_hidden"}, "core.b": {"x"}}
    found = me._private_uses(tmp_path / "core" / "b.py", known)
    assert len(found) == 2, found


def test_no_module_over_700_lines():
    long = {str(p.relative_to(ROOT)): n for p in _python_files()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


def _http_names_used(path: Path) -> set[str]:
    """Names a module reaches in the HTTP layer: ``http.name`` after ``from sources import http``, and
    ``from sources.http import name``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases, used = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "sources":
            aliases |= {alias.asname or alias.name for alias in node.names if alias.name == "http"}
        elif isinstance(node, ast.ImportFrom) and node.module == "sources.http":
            used |= {alias.name for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            used.add(node.attr)
    return used


def test_http_package_serves_every_name_its_callers_use():
    from sources import http

    files = _python_files() + sorted((ROOT / "tests").rglob("*.py")) + sorted((ROOT / "bench").rglob("*.py"))
    used = set().union(*(_http_names_used(path) for path in files if "sources/http/" not in path.as_posix()))
    assert {"download", "get_json", "raw_path", "check_mirror", "reset"} <= used  # the scan sees the callers
    missing = sorted(name for name in used if not hasattr(http, name))
    assert not missing, missing
