"""Import rules of ARCHITECTURE.md, checked by reading every module's imports (AST)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((APP / package).rglob("*.py"))


@pytest.mark.parametrize("path", _modules("domain"), ids=lambda p: str(p.relative_to(APP)))
def test_domain_imports_only_the_standard_library_and_itself(path: Path) -> None:
    foreign = [
        name
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names
        and not (name == "app.domain" or name.startswith("app.domain."))
    ]
    assert foreign == []


WEB_ONLY = ("fastapi", "starlette", "uvicorn")


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in APP.rglob("*.py")
        if "web" not in p.relative_to(APP).parts[:1]
        and p.name not in {"main.py", "__main__.py", "server.py"}
    ],
    ids=lambda p: str(p.relative_to(APP)),
)
def test_only_the_web_edge_imports_the_web_framework(path: Path) -> None:
    assert [n for n in _imports(path) if n.split(".")[0] in WEB_ONLY] == []


@pytest.mark.parametrize("path", _modules("services"), ids=lambda p: str(p.relative_to(APP)))
def test_services_do_not_reach_into_adapters_or_the_web(path: Path) -> None:
    assert [
        n for n in _imports(path) if n.startswith(("app.web", "app.adapters", "app.bootstrap"))
    ] == []


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import pydantic\nfrom fastapi import FastAPI\nimport json\n")
    assert _imports(bad) == ["pydantic", "fastapi", "json"]
