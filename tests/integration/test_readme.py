"""The README's quick tour runs as written against a real server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.server import RunningServer

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_tour_works_as_written(server: RunningServer) -> None:
    match = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert match is not None
    code = match.group(1).replace("ws://127.0.0.1:8000", server.ws_url.removesuffix("/ws"))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Alice 1 hi <strong>Bob</strong>" in result.stdout
    assert "'type': 'joined'" in result.stdout
    rooms = httpx.get(f"{server.http_url}/api/rooms").json()["rooms"]
    assert "lobby" not in {r["name"] for r in rooms}
