"""The AsyncAPI 3.0 document for `/ws`, built from the pydantic models in app/web/wire/.

FastAPI's OpenAPI cannot describe a WebSocket, so this module does: the same models that parse
and emit frames give the JSON Schemas (refs into `#/components/schemas`), every client and
server event becomes a message with an example its model validates, and the error and close
codes are documented from their enums. The document is written from a client's point of view:
a client `send`s client events and `receive`s server events on the one channel.

Served at /asyncapi.json and /asyncapi.yaml, rendered at /asyncapi by the AsyncAPI React
component (vendored in static/vendor/asyncapi-react, refreshed by `task vendor-asyncapi`).

Just over ~300 lines on purpose: the document's builder and the three routes that serve it.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any, Literal, get_args

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from app import __version__
from app.domain.codes import CloseCode, ErrorCode
from app.web import wire

ASYNCAPI_VERSION = "3.0.0"
REF = "#/components/schemas/{model}"
CHANNEL = "ws"

CLIENT_MODELS: tuple[type[BaseModel], ...] = get_args(get_args(wire.ClientEvent)[0])
SERVER_MODELS: tuple[type[BaseModel], ...] = get_args(wire.ServerEventModel)

Direction = Literal["client", "server"]


def tag(model: type[BaseModel]) -> str:
    """The `type` value of an event model."""
    (value,) = get_args(model.model_fields["type"].annotation)
    return str(value)


def examples(model: type[BaseModel]) -> list[dict[str, Any]]:
    extra = model.model_config.get("json_schema_extra")
    assert isinstance(extra, dict), f"{model.__name__} has no examples"
    found = extra["examples"]
    assert isinstance(found, list)
    return [example for example in found if isinstance(example, dict)]


def error_table() -> str:
    """The error codes as a Markdown table (the AsyncAPI document and docs/protocol.md)."""
    rows = "\n".join(f"| `{code.value}` | {code.info.description} |" for code in ErrorCode)
    return "| code | meaning |\n|---|---|\n" + rows


def close_table() -> str:
    """The close codes as a Markdown table (the AsyncAPI document and docs/protocol.md)."""
    rows = "\n".join(
        f"| {int(code)} | {code.info.when} | {code.info.advice} |" for code in CloseCode
    )
    return "| code | when | what a good client does |\n|---|---|---|\n" + rows


CHANNEL_DESCRIPTION = """\
The chat connection. Handshake: `GET /ws`. A browser handshake must carry an `Origin` on the
server's allow-list (exact `scheme://host[:port]`), otherwise HTTP 403 with
`{"code":"origin_forbidden"}` before the upgrade; a handshake without `Origin` (a
non-browser client) is allowed unless the server requires one. A handshake (or any request)
addressed to a host name the server does not answer to gets HTTP 400. No permessage-deflate. Text
frames only (a binary frame gets `error{code:"unsupported_frame"}`); a frame larger than
`max_frame_bytes` (see `welcome.limits`, default 16384) closes 1009. A draining server
refuses the handshake with HTTP 503 and `{"code":"server_shutting_down"}`; a full one
accepts, sends `error{code:"server_full"}` and closes 1013.
"""

INFO_DESCRIPTION = f"""\
Public, ephemeral chat rooms over one WebSocket per client. This document is generated from
the pydantic models the server itself uses to parse and emit frames, and is written from a
**client's** point of view: a client *sends* client events and *receives* server events.

One JSON event per text frame, discriminated on `type`. Unknown fields are rejected
(`invalid_event`). Every client event may carry `ref` (1-64 printable ASCII characters, no
spaces); the server copies it into its direct reply. Timestamps are RFC 3339 UTC strings
with milliseconds.

The first event must be `hello` (within 10 s). Then `join` rooms; resume after a reconnect
with `join{{since, epoch}}`: when `epoch` matches and every message after `since` is still
kept, `joined.recovered` is true and `joined.history` holds exactly the missed messages.

The guide for client authors is `docs/protocol.md` in the repository; REST routes are in the
OpenAPI document at `/docs`.

### Error codes (`error.code`)

A denial never closes the connection unless a close code below says so.

{error_table()}

### Close codes

{close_table()}
"""


def _schemas() -> dict[str, Any]:
    inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((m, "validation") for m in CLIENT_MODELS),
        *((m, "serialization") for m in SERVER_MODELS),
    ]
    _, top = models_json_schema(inputs, ref_template=REF)
    schemas: dict[str, Any] = top["$defs"]
    schemas["ErrorCode"]["description"] = "Why an event was refused.\n\n" + error_table()
    for union, models in (("ClientEvent", CLIENT_MODELS), ("ServerEvent", SERVER_MODELS)):
        schemas[union] = {
            "title": union,
            "description": f"Any {'client' if union == 'ClientEvent' else 'server'} event.",
            "oneOf": [{"$ref": REF.format(model=m.__name__)} for m in models],
            "discriminator": "type",
        }
    return schemas


def _message(model: type[BaseModel], direction: Direction) -> dict[str, Any]:
    arrow = "client → server" if direction == "client" else "server → client"
    doc = (model.__doc__ or "").strip()
    summary = doc.splitlines()[0] if doc else f"The `{tag(model)}` event."
    return {
        "name": tag(model),
        "title": f"{tag(model)} ({arrow})",
        "summary": summary,
        "contentType": "application/json",
        "payload": {"$ref": REF.format(model=model.__name__)},
        "examples": [
            {"name": f"{tag(model)}-{i}", "summary": f"A `{tag(model)}` event.", "payload": ex}
            for i, ex in enumerate(examples(model), start=1)
        ],
    }


@functools.cache
def _document() -> dict[str, Any]:
    messages = {m.__name__: _message(m, "client") for m in CLIENT_MODELS}
    messages |= {m.__name__: _message(m, "server") for m in SERVER_MODELS}

    def channel_refs(models: tuple[type[BaseModel], ...]) -> list[dict[str, str]]:
        return [{"$ref": f"#/channels/{CHANNEL}/messages/{m.__name__}"} for m in models]

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:parrotchat:ws",
        "info": {
            "title": "ParrotChat WebSocket protocol",
            "version": __version__,
            "description": INFO_DESCRIPTION,
            "license": {"name": "MIT", "url": "https://opensource.org/license/mit"},
            "tags": [{"name": "chat"}],
        },
        "defaultContentType": "application/json",
        "channels": {
            CHANNEL: {
                "address": "/ws",
                "title": "Chat connection",
                "summary": "One WebSocket per client: JSON events in text frames.",
                "description": CHANNEL_DESCRIPTION,
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
                "bindings": {
                    "ws": {
                        "method": "GET",
                        "headers": {
                            "type": "object",
                            "properties": {
                                "Origin": {
                                    "type": "string",
                                    "description": "Required from browsers; must be allowed.",
                                }
                            },
                        },
                        "bindingVersion": "0.1.0",
                    }
                },
                "x-close-codes": [
                    {
                        "code": int(code),
                        "name": code.name,
                        "when": code.info.when,
                        "client": code.info.advice,
                    }
                    for code in CloseCode
                ],
            }
        },
        "operations": {
            "sendClientEvents": {
                "action": "send",
                "channel": {"$ref": f"#/channels/{CHANNEL}"},
                "title": "Send client events",
                "summary": "What a client sends: hello first, then join, send, ...",
                "messages": channel_refs(CLIENT_MODELS),
            },
            "receiveServerEvents": {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{CHANNEL}"},
                "title": "Receive server events",
                "summary": "What the server sends: replies, broadcasts to rooms, errors.",
                "messages": channel_refs(SERVER_MODELS),
            },
        },
        "components": {"schemas": _schemas(), "messages": messages},
    }


def build_document(host: str | None = None, *, secure: bool = False) -> dict[str, Any]:
    """The document (a fresh copy); with `host`, a `servers` entry for that host."""
    document = copy.deepcopy(_document())
    if host is not None:
        servers = {
            "parrotchat": {
                "host": host,
                "protocol": "wss" if secure else "ws",
                "description": "This server.",
            }
        }
        document = {**dict(list(document.items())[:3]), "servers": servers} | document
    return document


def to_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


# --- routes ------------------------------------------------------------------------------

router = APIRouter(tags=["asyncapi"])


def _for_request(request: Request) -> dict[str, Any]:
    return build_document(request.url.netloc, secure=request.url.scheme == "https")


@router.get(
    "/asyncapi.json",
    operation_id="getAsyncApiJson",
    summary="AsyncAPI document (JSON)",
    response_class=JSONResponse,
    responses={200: {"content": {"application/json": {}}, "description": "AsyncAPI 3.0."}},
)
async def asyncapi_json(request: Request) -> Response:
    """The AsyncAPI 3.0 document of the WebSocket protocol at `/ws`."""
    body = json.dumps(_for_request(request), ensure_ascii=False)
    return Response(body, media_type="application/json")


@router.get(
    "/asyncapi.yaml",
    operation_id="getAsyncApiYaml",
    summary="AsyncAPI document (YAML)",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}, "description": "AsyncAPI 3.0."}},
)
async def asyncapi_yaml(request: Request) -> Response:
    """The same document as `/asyncapi.json`, as YAML."""
    return Response(to_yaml(_for_request(request)), media_type="application/yaml")


PAGE = """\
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>ParrotChat WebSocket protocol (AsyncAPI)</title>
  <link rel="stylesheet" href="/vendor/asyncapi-react/default.min.css">
</head>
<body>
  <div id="asyncapi"></div>
  <script src="/vendor/asyncapi-react/index.js"></script>
  <script>
    AsyncApiStandalone.render(
      {
        schema: { url: "/asyncapi.json", options: { method: "GET" } },
        config: { show: { sidebar: true }, sidebar: { showOperations: "byDefault" } },
      },
      document.getElementById("asyncapi"),
    );
  </script>
</body>
</html>
"""


@router.get(
    "/asyncapi",
    operation_id="getAsyncApiPage",
    summary="AsyncAPI document (rendered)",
    response_class=HTMLResponse,
)
async def asyncapi_page() -> HTMLResponse:
    """A page that renders `/asyncapi.json` with the AsyncAPI React component."""
    return HTMLResponse(PAGE)
