"""The AsyncAPI 3.0 document for `/ws`, built from the pydantic models in wire.py.

FastAPI's OpenAPI cannot describe a WebSocket, so this module does: the same models that parse
and emit frames give the JSON Schemas (refs into `#/components/schemas`), every client and
server event becomes a message with an example its model validates, and the error and close
codes are documented from their enums. The document is written from a client's point of view:
a client `send`s client events and `receive`s server events on the one channel.

Served at /asyncapi.json and /asyncapi.yaml, rendered at /asyncapi by the AsyncAPI React
component (vendored in static/vendor/asyncapi-react, refreshed by `task vendor-asyncapi`).
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
from app.domain.errors import ErrorCode
from app.web import wire
from app.web.closing import CloseCode

ASYNCAPI_VERSION = "3.0.0"
REF = "#/components/schemas/{model}"
CHANNEL = "ws"

CLIENT_MODELS: tuple[type[BaseModel], ...] = get_args(get_args(wire.ClientEvent)[0])
SERVER_MODELS: tuple[type[BaseModel], ...] = get_args(wire.ServerEventModel)

Direction = Literal["client", "server"]

# What each error code means (the `error` event's `code`, and the REST error body's).
ERROR_CODES: dict[ErrorCode, str] = {
    ErrorCode.INVALID_JSON: "The frame is not valid JSON.",
    ErrorCode.INVALID_EVENT: "The event does not match the protocol (`details` has the paths).",
    ErrorCode.UNSUPPORTED_FRAME: "A binary frame; only text frames are accepted.",
    ErrorCode.HELLO_REQUIRED: "The first event must be `hello`.",
    ErrorCode.NAME_INVALID: "The name breaks the name rules (2-24 characters, allowed set).",
    ErrorCode.NAME_RESERVED: "The name (or a look-alike of it) is reserved.",
    ErrorCode.NAME_TAKEN: "Someone in the room already uses this name (or a look-alike).",
    ErrorCode.RENAME_IN_ROOM: "`hello` again is allowed only while in no room.",
    ErrorCode.AUTH_FAILED: "The `token` was refused.",
    ErrorCode.ROOM_INVALID: "The room name does not fullmatch `^[a-z0-9-]{3,30}$`.",
    ErrorCode.ROOM_RESERVED: "The room name is reserved.",
    ErrorCode.ROOM_FULL: "The room has reached its member limit.",
    ErrorCode.ROOM_NOT_FOUND: "No such room (REST).",
    ErrorCode.ALREADY_IN_ROOM: "This connection is already in the room.",
    ErrorCode.NOT_IN_ROOM: "This connection is not in the room.",
    ErrorCode.TOO_MANY_ROOMS: "This connection is in as many rooms as it may be.",
    ErrorCode.KICKED: "Kicked from this room; `retry_after_ms` says when a rejoin is allowed.",
    ErrorCode.BANNED: "Banned from this room until it is deleted.",
    ErrorCode.MESSAGE_EMPTY: "Nothing left of the text after trimming.",
    ErrorCode.MESSAGE_TOO_LONG: "The text is longer than `max_message_chars` code points.",
    ErrorCode.MESSAGE_BLOCKED: "The text contains a deny-listed term; nothing was sent.",
    ErrorCode.RATE_LIMITED: "Too many events; retry after `retry_after_ms`.",
    ErrorCode.NOT_OWNER: "Only the room's owner may kick or ban.",
    ErrorCode.MEMBER_NOT_FOUND: "No member of that name in the room.",
    ErrorCode.CANNOT_TARGET_SELF: "The owner cannot kick or ban themself.",
    ErrorCode.SERVER_FULL: "The server has no room for another connection.",
    ErrorCode.SERVER_SHUTTING_DOWN: "The server is draining; reconnect elsewhere or later.",
    ErrorCode.INTERNAL_ERROR: "A bug on the server; the event had no effect.",
    ErrorCode.IDLE_TIMEOUT: "No client event for the idle timeout; a 4000 close follows.",
    ErrorCode.ORIGIN_FORBIDDEN: "HTTP 403 body only: the handshake's `Origin` is not allowed.",
}

# Close codes: (when, what a good client does).
CLOSE_CODES: dict[CloseCode, tuple[str, str]] = {
    CloseCode.NORMAL: ("client-initiated normal close", "-"),
    CloseCode.GOING_AWAY: (
        'graceful shutdown, after `system{event:"server_shutdown", data{reconnect_after_ms}}`',
        "reconnect after the jittered delay, re-join with `since`",
    ),
    CloseCode.POLICY: (
        "policy: `hello` deadline missed, abuse budget exhausted (repeated denials)",
        "do not retry at once",
    ),
    CloseCode.TOO_BIG: ("frame larger than `max_frame_bytes`", "fix the client"),
    CloseCode.INTERNAL: (
        "internal error, or the peer stopped answering pings",
        "reconnect with backoff",
    ),
    CloseCode.TRY_AGAIN_LATER: (
        'server full when the connection arrived, after `error{code:"server_full"}` '
        "(a draining server refuses the handshake with HTTP 503 instead)",
        "retry later with backoff",
    ),
    CloseCode.IDLE: (
        'idle for the idle timeout (600 s), after `error{code:"idle_timeout"}`',
        "reconnect only on user action",
    ),
    CloseCode.SLOW_CONSUMER: (
        "slow consumer: its outbound queue overflowed",
        "reconnect, re-join with `since`",
    ),
}


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


def _error_table() -> str:
    rows = "\n".join(f"| `{code.value}` | {text} |" for code, text in ERROR_CODES.items())
    return "| code | meaning |\n|---|---|\n" + rows


def _close_table() -> str:
    rows = "\n".join(
        f"| {int(code)} | {when} | {advice} |" for code, (when, advice) in CLOSE_CODES.items()
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

{_error_table()}

### Close codes

{_close_table()}
"""


def _schemas() -> dict[str, Any]:
    inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((m, "validation") for m in CLIENT_MODELS),
        *((m, "serialization") for m in SERVER_MODELS),
    ]
    _, top = models_json_schema(inputs, ref_template=REF)
    schemas: dict[str, Any] = top["$defs"]
    schemas["ErrorCode"]["description"] = "Why an event was refused.\n\n" + _error_table()
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
                    {"code": int(code), "name": code.name, "when": when, "client": advice}
                    for code, (when, advice) in CLOSE_CODES.items()
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
