"""Nothing in the repository cites a file the repository does not contain (issue 9): paths to the
repo's own files named in docs, code and config, and relative links in Markdown."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A path into one of the repo's top-level folders, ending in a file extension.
REPO_PATH = re.compile(
    r"(?<![\w./-])((?:app|docs|bench|tests|scripts|tools|deploy|static|clients)/[\w./-]*\w"
    r"\.(?:py|md|lua|mjs|js|html|css|ya?ml|json|cfg|sh|png|svg|ts))(?![\w/-])"
)
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")
TEXT_SUFFIXES = {
    ".md",
    ".py",
    ".lua",
    ".js",
    ".mjs",
    ".html",
    ".yaml",
    ".yml",
    ".cfg",
    ".sh",
    ".toml",
}
# Paths that name files which exist only at run time or on another machine, each with why.
NOT_IN_THE_REPO = {
    # Removed (commit d1c91b9, replaced by bench/sidebyside.py); the docs that cite it say so and
    # where it is in the history (`git show b110bc2:bench/broadcast.py`).
    "bench/broadcast.py",
    # Made-up test names in the test of the security table's own check.
    "tests/unit/test_fake.py",
    "tests/unit/test_gone.py",
}


def _tracked() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\n")
    return [ROOT / name for name in out if name and Path(name).suffix in TEXT_SUFFIXES]


def _references(path: Path) -> set[str]:
    return _references_in(path, path.read_text(encoding="utf-8", errors="replace"))


def _references_in(path: Path, text: str) -> set[str]:
    found = set(REPO_PATH.findall(text))
    if path.suffix == ".md":
        for link in MARKDOWN_LINK.findall(text):
            target = link.split("#", 1)[0]
            if not target or re.match(r"^[a-z]+:", target):
                continue
            resolved = (path.parent / target).resolve()
            found.add(str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else target)
    return found


FILES = _tracked()


def test_a_broken_link_and_a_missing_path_are_seen() -> None:
    page = ROOT / "docs" / "_probe_.md"
    missing = "app/" + "nothing/here.py"  # split so that this file does not cite it
    refs = _references_in(page, f"see [x](nowhere.md) and `{missing}`")
    assert {"docs/" + "nowhere.md", missing} <= refs


def test_the_scan_sees_the_docs() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in FILES}
    assert {"README.md", "docs/protocol.md", "docs/architecture.md"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_cited_file_exists(path: Path) -> None:
    missing = sorted(
        ref
        for ref in _references(path)
        if ref not in NOT_IN_THE_REPO and not (ROOT / ref).exists() and "*" not in ref
    )
    assert not missing, f"{path.relative_to(ROOT)} cites files the repository lacks: {missing}"
