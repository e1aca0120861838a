"""Structured logs: stdlib `logging` with our own JSON and console formatters
(docs/decisions/0005-logging.md).

Context travels in contextvars: `request_id` (an HTTP request, or one inbound WebSocket
event) and `connection_id` (a WebSocket connection); `node` (this process's node id) is on
every line. A task created while they are set
inherits them, so every line logged while handling a request or an event carries them,
without passing a logger around. Every string value is escaped with `escape_for_log`, so a
client-chosen value (a `ref`, a name, a header) cannot forge lines or hide text.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from typing import Any, Literal, TextIO

from app.domain.policies.text import escape_for_log
from app.domain.timefmt import rfc3339

# Uncached: every record has its own time, which would only push useful entries out.
_log_time = rfc3339.__wrapped__

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
connection_id: ContextVar[str | None] = ContextVar("connection_id", default=None)
# Fields on every line of this process (the node id), set by configure_logging.
_static: dict[str, str] = {}

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
# uvicorn adds a colourised copy of some messages; it is noise in a structured line.
_SKIPPED = frozenset({"color_message"})


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return escape_for_log(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {escape_for_log(str(k)): _clean(v) for k, v in value.items()}
    return escape_for_log(str(value))


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = dict(_static)
    rid = request_id.get()
    if rid is not None:
        fields["request_id"] = rid
    cid = connection_id.get()
    if cid is not None:
        fields["connection_id"] = cid
    for key, value in record.__dict__.items():
        if key not in _STANDARD and key not in _SKIPPED and not key.startswith("_"):
            fields[key] = value
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, then context and `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": _log_time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        line.update(_fields(record))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(_clean(line), ensure_ascii=False, default=str)


class ConsoleFormatter(logging.Formatter):
    """For people at a terminal: `time level logger msg key=value ...`, one line each."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [
            _log_time(record.created),
            f"{record.levelname.lower():<7}",
            record.name,
            escape_for_log(record.getMessage()),
        ]
        parts.extend(
            f"{k}={json.dumps(_clean(v), ensure_ascii=False)}" for k, v in _fields(record).items()
        )
        text = " ".join(parts)
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class _HandshakeAccepted(logging.Filter):
    """Drops uvicorn's per-handshake "[accepted]" line unless DEBUG is on."""

    def __init__(self, root: logging.Logger) -> None:
        super().__init__()
        self._root = root

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.endswith('"WebSocket %s" [accepted]'):
            return self._root.isEnabledFor(logging.DEBUG)
        return True


def resolve_format(
    log_format: Literal["json", "console"] | None, stream: TextIO
) -> Literal["json", "console"]:
    """json unless asked otherwise or the stream is a terminal."""
    if log_format is not None:
        return log_format
    isatty = getattr(stream, "isatty", None)
    return "console" if callable(isatty) and isatty() else "json"


def configure_logging(
    level: str = "INFO",
    log_format: Literal["json", "console"] | None = None,
    *,
    stream: TextIO | None = None,
    node_id: str | None = None,
) -> logging.Handler:
    """Route every logger (ours, uvicorn's, libraries') through one handler on the root;
    every line carries `node` when a node id is given."""
    _static.clear()
    if node_id:
        _static["node"] = node_id
    stream = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(stream)
    chosen = resolve_format(log_format, stream)
    handler.setFormatter(JsonFormatter() if chosen == "json" else ConsoleFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uv = logging.getLogger(name)
        uv.handlers.clear()
        uv.propagate = True
        uv.setLevel(logging.NOTSET)
    # uvicorn says "WebSocket /ws [accepted]" for every handshake; the session's own line
    # (app/services/connections.py) says it once, with more, when it ends. Kept at DEBUG.
    accepted_filter = _HandshakeAccepted(root)
    uvicorn_error = logging.getLogger("uvicorn.error")
    for existing in list(uvicorn_error.filters):
        if isinstance(existing, _HandshakeAccepted):
            uvicorn_error.removeFilter(existing)
    uvicorn_error.addFilter(accepted_filter)
    # The websockets library logs whole frames (message text included) at debug.
    logging.getLogger("websockets").setLevel(max(root.level, logging.INFO))
    return handler
