"""The REST API as /docs describes it: every route documented, and schemathesis finds no
server error or schema violation against a real server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.server import RunningServer

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def test_every_route_has_an_operation_id_tag_summary_and_response_models(
    server: RunningServer,
) -> None:
    spec = httpx.get(f"{server.http_url}/openapi.json").json()
    seen = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            seen.append(op["operationId"])
            assert op["tags"], (method, path)
            assert op["summary"], (method, path)
            assert op["description"], (method, path)
            for status, response in op["responses"].items():
                if path.startswith("/asyncapi") or path == "/metrics":
                    continue  # documents, a page and the Prometheus text format
                if path.startswith("/api/uploads/") and method == "get" and status == "200":
                    continue  # the attachment's bytes
                schema = response["content"]["application/json"]["schema"]
                assert "$ref" in schema, (method, path, status)
    assert sorted(seen) == sorted(
        [
            "getHealth",
            "getReadiness",
            "listRooms",
            "getRoom",
            "getStats",
            "getMetrics",
            "getAsyncApiJson",
            "getAsyncApiYaml",
            "getAsyncApiPage",
            "putUpload",
            "getUpload",
        ]
    )
    for name in (
        "ErrorBody",
        "RoomList",
        "RoomStatsOut",
        "ServerStats",
        "Readiness",
        "UploadReceipt",
    ):
        assert spec["components"]["schemas"][name].get("examples"), name
    room = spec["paths"]["/api/rooms/{name}"]["get"]["responses"]
    assert room["404"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_schemathesis_finds_no_server_errors_or_schema_violations(
    server: RunningServer, tmp_path: Path
) -> None:
    # Bounded: 30 examples per operation, a fixed seed (reproducible in CI), all checks.
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{server.http_url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "30",
            "--seed",
            "20261129",
            "--request-timeout",
            "10",
            "--no-color",
        ],
        cwd=tmp_path,  # its .schemathesis/ cache stays out of the checkout
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout
