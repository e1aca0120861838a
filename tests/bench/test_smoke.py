"""The side-by-side benchmark's smoke mode, end to end: both servers, the Node generator.

Checks only that the harness works (every connection established, zero errors, every copy
delivered to every member, both servers measured); timing is for bench/, never for tests.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.node import NODE_MODULES, ROOT


def _require_ws() -> None:
    if shutil.which("node") is None:
        pytest.fail("node is not installed: run ./scripts/test (it installs nodejs and npm)")
    if not (NODE_MODULES / "ws" / "package.json").exists():
        pytest.fail("node_modules/ws is missing: run `npm install` (./scripts/test does it)")


@pytest.mark.timeout(60)
def test_smoke_run_completes_with_no_errors_and_full_delivery(tmp_path: Path) -> None:
    _require_ws()
    finished = subprocess.run(
        [sys.executable, "bench/sidebyside.py", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=55,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    results = json.loads((tmp_path / "smoke.json").read_text())
    runs = {run["server"]: run for run in results["runs"]}
    assert set(runs) == {"parrotchat", "reference"}
    for name, run in runs.items():
        assert run["problem"] is None, name
        assert run["connected"]["established"] == run["connections"] == 200, name
        assert run["connected"]["failures"] == 0, name
        [step] = run["steps"]
        assert step["errors"]["total"] == 0, (name, step["errors"])
        assert step["late_copies"] == 0, name
        assert step["sent"] > 0, name
        assert step["delivered"] == step["expected"] == step["sent"] * 50, name
        assert step["latency"]["samples"] == step["delivered"], name
