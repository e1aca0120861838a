"""The Node tools the protocol tests drive (installed by scripts/test from package.json)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"


def node_bin(name: str) -> Path:
    """A tool from node_modules/.bin; fails (never skips) when the npm packages are missing."""
    if shutil.which("node") is None:
        pytest.fail("node is not installed: run ./scripts/test (it installs nodejs and npm)")
    path = NODE_MODULES / ".bin" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `npm install` (./scripts/test does it)")
    return path


def run_node(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    node_bin("tsc")  # any of package.json's tools: proves `npm install` ran
    return subprocess.run(
        ["node", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
