"""The AsyncAPI document: generated from the wire models, complete, valid for the AsyncAPI
parser, with examples the models accept."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
import yaml
from pydantic import BaseModel

from app.domain.codes import CloseCode, ErrorCode
from app.web import asyncapi, wire
from tests.support.node import ROOT, run_node
from tests.support.server import RunningServer

DOC = asyncapi.build_document()
ALL_MODELS = [(m, "client") for m in asyncapi.CLIENT_MODELS] + [
    (m, "server") for m in asyncapi.SERVER_MODELS
]
IDS = [m.__name__ for m, _ in ALL_MODELS]


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = DOC["components"]["schemas"][name]
    return schema


def test_every_union_member_is_a_message_of_its_operation() -> None:
    ops = DOC["operations"]
    sent = {r["$ref"].rsplit("/", 1)[1] for r in ops["sendClientEvents"]["messages"]}
    received = {r["$ref"].rsplit("/", 1)[1] for r in ops["receiveServerEvents"]["messages"]}
    assert ops["sendClientEvents"]["action"] == "send"
    assert ops["receiveServerEvents"]["action"] == "receive"
    assert sent == {m.__name__ for m in asyncapi.CLIENT_MODELS}
    assert received == {m.__name__ for m in asyncapi.SERVER_MODELS}
    assert set(DOC["channels"]["ws"]["messages"]) == sent | received
    assert DOC["channels"]["ws"]["address"] == "/ws"
    # the unions the server parses and emits, not a list kept by hand
    assert len(sent) == 12
    assert len(received) == 14


@pytest.mark.parametrize(("model", "direction"), ALL_MODELS, ids=IDS)
def test_every_message_has_name_title_summary_and_examples(
    model: type[BaseModel], direction: str
) -> None:
    message = DOC["components"]["messages"][model.__name__]
    assert message["name"] == asyncapi.tag(model)
    assert message["title"].startswith(asyncapi.tag(model))
    assert message["summary"]
    assert message["payload"] == {"$ref": f"#/components/schemas/{model.__name__}"}
    assert message["examples"]
    schema = _schema(model.__name__)
    assert "type" in schema["required"], "the tag must be required"
    assert schema["properties"]["type"]["const"] == asyncapi.tag(model)


@pytest.mark.parametrize(("model", "direction"), ALL_MODELS, ids=IDS)
def test_every_example_round_trips_through_the_models(
    model: type[BaseModel], direction: str
) -> None:
    for example in DOC["components"]["messages"][model.__name__]["examples"]:
        payload = example["payload"]
        frame = json.dumps(payload)
        if direction == "client":
            parsed: BaseModel = wire.parse_client_event(frame)
        else:
            parsed = wire.SERVER_EVENT.validate_json(frame)
        assert type(parsed) is model
        assert json.loads(parsed.model_dump_json(exclude_none=True)) == payload


def test_unions_are_discriminated_by_type_as_a_property_name() -> None:
    for union, models in (
        ("ClientEvent", asyncapi.CLIENT_MODELS),
        ("ServerEvent", asyncapi.SERVER_MODELS),
    ):
        assert _schema(union)["discriminator"] == "type"
        refs = [o["$ref"] for o in _schema(union)["oneOf"]]
        assert refs == [f"#/components/schemas/{m.__name__}" for m in models]


def test_error_and_close_codes_are_all_documented() -> None:
    code_ref = _schema("ErrorOut")["properties"]["code"]["$ref"]
    assert _schema(code_ref.rsplit("/", 1)[1])["enum"] == [c.value for c in ErrorCode]
    description = DOC["info"]["description"]
    for code in ErrorCode:
        assert f"`{code.value}`" in description
    for close in CloseCode:
        assert f"| {int(close)} |" in description
    close_codes = DOC["channels"]["ws"]["x-close-codes"]
    assert [c["code"] for c in close_codes] == [int(c) for c in CloseCode]


def test_served_json_and_yaml_are_the_document(server: RunningServer) -> None:
    served = httpx.get(f"{server.http_url}/asyncapi.json").json()
    host = server.http_url.removeprefix("http://")
    assert served == asyncapi.build_document(host)
    assert served["servers"]["parrotchat"] == {
        "host": host,
        "protocol": "ws",
        "description": "This server.",
    }
    as_yaml = httpx.get(f"{server.http_url}/asyncapi.yaml")
    assert as_yaml.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(as_yaml.text) == served


def test_the_asyncapi_parser_validates_the_served_document(server: RunningServer) -> None:
    result = run_node("tools/validate-asyncapi.mjs", f"{server.http_url}/asyncapi.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^VALID: AsyncAPI 3\.0\.0, 26 messages, 2 operations", result.stdout, re.M)
    assert not [line for line in result.stdout.splitlines() if line.startswith("error\t")]


def test_the_page_and_the_docs_link_to_the_document(server: RunningServer) -> None:
    page = httpx.get(f"{server.http_url}/asyncapi")
    assert page.status_code == 200
    assert 'src="/vendor/asyncapi-react/index.js"' in page.text
    assert "/asyncapi.json" in page.text
    for asset in ("index.js", "default.min.css"):
        assert httpx.get(f"{server.http_url}/vendor/asyncapi-react/{asset}").status_code == 200
    openapi = httpx.get(f"{server.http_url}/openapi.json").json()
    assert "(/asyncapi)" in openapi["info"]["description"]
    assert "/asyncapi" in (ROOT / "README.md").read_text(encoding="utf-8")


PROTOCOL_MD = ROOT / "docs" / "protocol.md"


def test_protocol_md_names_every_event_error_code_and_close_code() -> None:
    text = PROTOCOL_MD.read_text(encoding="utf-8")
    missing = [
        f"type {asyncapi.tag(m)!r}"
        for m, _ in ALL_MODELS
        if f'"type": "{asyncapi.tag(m)}"' not in text
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("heading", "table"),
    [
        pytest.param("## 6. Error codes", asyncapi.error_table(), id="error-codes"),
        pytest.param("## 9. Close codes", asyncapi.close_table(), id="close-codes"),
    ],
)
def test_protocol_md_tables_are_the_code_tables(heading: str, table: str) -> None:
    """docs/protocol.md shows app/domain/codes.py's tables exactly (paste the expected one)."""
    section = PROTOCOL_MD.read_text(encoding="utf-8").split(heading, 1)[1].split("\n## ", 1)[0]
    found = "\n".join(line for line in section.splitlines() if line.startswith("|"))
    assert found == table, f"replace the table under {heading!r} with:\n{table}"
