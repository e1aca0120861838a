"""The import rules of docs/architecture.md ("What may import what"), checked by reading every
module's imports (AST, so a lazy import inside a function counts too)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"

WEB_FRAMEWORKS = ("fastapi", "starlette", "uvicorn")
# Modules that may import the web frameworks: the web edge and the entry points.
WEB_EDGE = ("app.web", "app.main", "app.server", "app.__main__")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


MODULES = sorted(APP.rglob("*.py"))
IDS = [str(p.relative_to(ROOT)) for p in MODULES]


# (the modules a rule is about, the app packages they must never import)
FORBIDDEN: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    (("app.ports",), ("app.services", "app.adapters", "app.web", "app.container")),
    (("app.services",), ("app.adapters", "app.web", "app.bootstrap", "app.container")),
    (("app.adapters",), ("app.services", "app.web", "app.bootstrap", "app.container")),
    (("app.web",), ("app.adapters", "app.bootstrap", "app.main", "app.server")),
    (("app.logs",), ("app.services", "app.adapters", "app.web")),
    (("app.container",), ("app.adapters", "app.web", "app.bootstrap")),
]


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_no_module_imports_a_layer_it_must_not(path: Path) -> None:
    module = _module_name(path)
    imported = _imports(path)
    broken = [
        f"{module} imports {name}"
        for owners, forbidden in FORBIDDEN
        if _within(module, *owners)
        for name in imported
        if _within(name, *forbidden)
    ]
    assert broken == []


@pytest.mark.parametrize("path", [p for p in MODULES if "domain" in p.parts], ids=str)
def test_domain_imports_only_the_standard_library_and_itself(path: Path) -> None:
    foreign = [
        name
        for name in _imports(path)
        if name.split(".")[0] not in sys.stdlib_module_names and not _within(name, "app.domain")
    ]
    assert foreign == []


@pytest.mark.parametrize("path", MODULES, ids=IDS)
def test_only_the_web_edge_imports_the_web_framework(path: Path) -> None:
    if _within(_module_name(path), *WEB_EDGE):
        return
    assert [n for n in _imports(path) if n.split(".")[0] in WEB_FRAMEWORKS] == []


def test_the_container_imports_only_ports_services_and_settings() -> None:
    app_imports = [n for n in _imports(APP / "container.py") if _within(n, "app")]
    assert [
        n for n in app_imports if not _within(n, "app.ports", "app.services", "app.settings")
    ] == []


def test_only_the_app_factory_and_entry_points_build_the_container() -> None:
    builders = sorted(_module_name(p) for p in MODULES if "app.bootstrap" in _imports(p))
    assert builders == ["app.__main__", "app.main", "app.server"]


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import pydantic\nfrom fastapi import FastAPI\nimport json\n")
    assert _imports(bad) == ["pydantic", "fastapi", "json"]
    assert _within("app.web.wire", "app.web")
    assert not _within("app.webx", "app.web")
