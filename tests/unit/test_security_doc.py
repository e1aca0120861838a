"""docs/security.md names real tests: every `tests/...py::name` on the page is a test function
that exists, every tests cell of its tables holds only such ids (or `none yet`, `(pending)`),
and no row of the catalogue goes missing."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"

# A test id as the page writes it; a `[` right after one is a parametrised case, not allowed.
TEST_ID = re.compile(r"(?P<path>tests/[\w/]+\.py)::(?P<names>\w+(?:::\w+)?)(?P<param>\[)?")
PLACEHOLDERS = ("none yet", "(pending)")
CATALOGUE = (
    [str(n) for n in range(1, 48)]
    + [f"H{n}" for n in range(1, 10)]
    + [f"I{n}" for n in range(1, 13)]
    + [f"P{n}" for n in range(1, 8)]
    + [f"C{n}" for n in range(1, 10)]
)


@dataclass(frozen=True)
class Row:
    number: str
    setting: str
    tests: str


def table_rows(text: str) -> list[Row]:
    """The rows of every table whose header has `#`, `setting` and `tests` columns."""
    rows: list[Row] = []
    columns: dict[str, int] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if columns is None:
            header = {name: i for i, name in enumerate(cells)}
            columns = header if {"#", "setting", "tests"} <= header.keys() else {}
        elif columns and not set(line) <= set("|-: "):
            number, setting, tests = (cells[columns[c]] for c in ("#", "setting", "tests"))
            rows.append(Row(number, setting, tests))
    return rows


def defined_tests(source: str) -> set[str]:
    """`name` for each module-level test function, `Class::name` for each test method of a
    module-level `Test*` class: what pytest collects by name."""
    found: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if node.name.startswith("test"):
                found.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            found |= {
                f"{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name.startswith("test")
            }
    return found


def reference_problems(text: str, root: Path) -> list[str]:
    """What is wrong with the test ids in `text`, resolved against the checkout at `root`."""
    problems: list[str] = []
    parsed: dict[str, set[str] | None] = {}
    for match in TEST_ID.finditer(text):
        path, names = match["path"], match["names"]
        test_id = f"{path}::{names}"
        if match["param"]:
            problems.append(f"{test_id}[...]: name the function, not a parametrised case")
            continue
        if path not in parsed:
            file = root / path
            parsed[path] = defined_tests(file.read_text("utf-8")) if file.is_file() else None
        defined = parsed[path]
        if defined is None:
            problems.append(f"{test_id}: no file {path}")
        elif names not in defined:
            problems.append(f"{test_id}: {path} defines no test {names}")
    return problems


def cell_problems(rows: list[Row]) -> list[str]:
    """Tests cells that are neither test ids (separated by `<br>` or commas) nor a placeholder."""
    problems: list[str] = []
    for row in rows:
        if row.tests in PLACEHOLDERS:
            continue
        ids = re.findall(r"`([^`]*)`", row.tests)
        rest = re.sub(r"`[^`]*`|<br>|,|\s", "", row.tests)
        if rest or not ids or not all(TEST_ID.fullmatch(test_id) for test_id in ids):
            problems.append(f"row {row.number}: tests cell {row.tests!r} is not only test ids")
    return problems


def problems(text: str, root: Path) -> list[str]:
    return reference_problems(text, root) + cell_problems(table_rows(text))


def test_every_test_named_in_security_md_exists() -> None:
    text = DOC.read_text("utf-8")
    rows = table_rows(text)
    ids = [m.group(0) for m in TEST_ID.finditer(text)]
    placeholders = {p: [r.number for r in rows if r.tests == p] for p in PLACEHOLDERS}
    print(
        f"docs/security.md: {len(ids)} test ids ({len(set(ids))} distinct) in {len(rows)} rows; "
        + "; ".join(f"{p}: {len(n)} {n}" for p, n in placeholders.items())
    )
    assert problems(text, ROOT) == []


def test_the_catalogue_has_every_row_once_and_lists_its_gaps() -> None:
    text = DOC.read_text("utf-8")
    numbers = [row.number for row in table_rows(text)]
    assert numbers == CATALOGUE
    gaps = text.partition("\n## Gaps\n")[2].partition("\n## ")[0]
    untested = [row.number for row in table_rows(text) if row.tests == "none yet"]
    assert [n for n in untested if f"**{n}**" not in gaps] == []


def test_the_settings_named_are_settings() -> None:
    known = {f"PARROT_{name.upper()}" for name in Settings.model_fields}
    named = {
        setting
        for row in table_rows(DOC.read_text("utf-8"))
        if row.tests != "(pending)"  # the settings of pending fixes do not exist yet
        for setting in re.findall(r"PARROT_[A-Z0-9_]+", row.setting)
    }
    assert named
    assert named - known == set()


FAKE_TESTS = """
import pytest

def test_plain(): ...
async def test_async(): ...
@pytest.mark.parametrize("x", [1, 2])
def test_cases(x): ...
def helper(): ...
def outer():
    def test_nested(): ...
class TestGroup:
    def test_method(self): ...
class Group:
    def test_hidden(self): ...
"""


def test_the_checker_catches_wrong_names(tmp_path: Path) -> None:
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_fake.py").write_text(FAKE_TESTS, "utf-8")
    fake = "tests/unit/test_fake.py"
    good = (
        "| # | attack or fault | behaviour | setting | tests |\n"
        "|---|---|---|---|---|\n"
        f"| 1 | a | b | - | `{fake}::test_plain`<br>`{fake}::test_async` |\n"
        f"| 2 | a | b | - | `{fake}::test_cases`, `{fake}::TestGroup::test_method` |\n"
        "| 3 | a | b | - | none yet |\n"
        "| H1 | a | b | (pending) | (pending) |\n"
    )
    assert problems(good, tmp_path) == []
    bad = (
        good
        + f"| 4 | a | b | - | `{fake}::test_missing` |\n"
        + "| 5 | a | b | - | `tests/unit/test_gone.py::test_plain` |\n"
        + f"| 6 | a | b | - | `{fake}::test_cases[1]` |\n"
        + f"| 7 | a | b | - | `{fake}::helper`<br>`{fake}::test_nested` |\n"
        + f"| 8 | a | b | - | `{fake}::Group::test_hidden` |\n"
        + f"| 9 | a | b | - | `{fake}::test_plain` and more |\n"
        + "| 10 | a | b | - | TBD |\n"
        + f"Prose cites `{fake}::test_prose` too.\n"
    )
    found = problems(bad, tmp_path)
    expected = [
        f"{fake}::test_missing: {fake} defines no test test_missing",
        "tests/unit/test_gone.py::test_plain: no file tests/unit/test_gone.py",
        f"{fake}::test_cases[...]: name the function, not a parametrised case",
        f"{fake}::helper: {fake} defines no test helper",
        f"{fake}::test_nested: {fake} defines no test test_nested",
        f"{fake}::Group::test_hidden: {fake} defines no test Group::test_hidden",
        f"{fake}::test_prose: {fake} defines no test test_prose",
    ]
    assert found[: len(expected)] == expected
    cells = found[len(expected) :]
    assert [c.split(":")[0] for c in cells] == ["row 6", "row 9", "row 10"]
