"""Field types shared by the client and server events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer, StringConstraints, WithJsonSchema

from app.domain.timefmt import rfc3339

# Printable ASCII, no spaces: the X-Request-ID rule (app/web/telemetry.py), as a ref becomes
# the request_id of the event's log lines and is echoed verbatim (ADR 0016).
Ref = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[!-~]+$")]
# Generous caps: the domain gives the precise error (name_invalid, room_invalid ...) for
# anything plausible; these only keep absurd payloads away from it.
NameField = Annotated[str, StringConstraints(max_length=256)]
RoomField = Annotated[str, StringConstraints(max_length=256)]
# An attachment id as the server hands it out in `upload_url`.
UploadId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
Timestamp = Annotated[
    datetime,
    PlainSerializer(lambda d: rfc3339(d.timestamp()), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "RFC 3339, UTC, millisecond precision.",
            "examples": ["2026-11-29T07:02:46.878Z"],
        },
        mode="serialization",
    ),
]

# Example values shared by the examples below (each example is validated by its own model in
