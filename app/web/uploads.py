"""REST: attachments in and out, through the signed URLs `attach` hands out (docs/protocol.md).

`PUT /api/uploads/{id}?room=&exp=&sig=` streams the body into the store; `GET` on a download
URL streams it back with headers that keep a browser from ever treating it as a page:
`Content-Disposition: attachment` (inline only for the image types), `nosniff`, a CSP with
`sandbox` and nothing allowed, and CORP same-origin.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import ClientDisconnect
from starlette.routing import Match
from starlette.types import Receive, Scope, Send

from app.domain.attachments import INLINE_TYPES
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.services.chat.attachments import Attachments
from app.web.deps import ContainerDep
from app.web.errors import ErrorBody


class _UploadRoute(APIRoute):
    """GET and PUT share a path but are two routes, and the static files mounted at `/` would
    take any other method on it (and answer 405 with their own `Allow: GET, HEAD`). A method
    neither route has is answered here, with every method of the path."""

    METHODS = frozenset({"GET", "HEAD", "PUT"})

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is Match.PARTIAL and scope.get("method") not in self.METHODS:
            return Match.FULL, child
        return match, child

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in self.METHODS:
            allow = ", ".join(sorted(self.METHODS))
            response = JSONResponse(
                {"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": allow}
            )
            await response(scope, receive, send)
            return
        await super().handle(scope, receive, send)


PATH = "/api/uploads/{upload_id}"

DOWNLOAD_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"

UploadIdPath = Annotated[str, Path(max_length=64, description="The id from `upload_url`.")]
RoomQuery = Annotated[str, Query(max_length=64, description="The room, as signed.")]
ExpiresQuery = Annotated[
    int, Query(ge=0, le=2**40, description="Expiry (Unix seconds), as signed.")
]
SigQuery = Annotated[str, Query(max_length=128, description="The URL's signature.")]


def _errors(*codes: ErrorCode) -> dict[int | str, dict[str, Any]]:
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(code.info.http_status, []).append(f"`{code.value}`")
    return {
        status: {"model": ErrorBody, "description": ", ".join(names)}
        for status, names in by_status.items()
    }


_COMMON = (
    ErrorCode.URL_INVALID,
    ErrorCode.URL_EXPIRED,
    ErrorCode.ATTACHMENT_NOT_FOUND,
    ErrorCode.ATTACHMENTS_DISABLED,
)


class UploadReceipt(BaseModel):
    """The file is stored; `send{attachment: id}` shares it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "7d0c5e2b9a8f4e6d8c1b2a3f4e5d6c7b",
                    "room": "lobby",
                    "name": "plan.png",
                    "size": 48213,
                    "content_type": "image/png",
                }
            ]
        }
    )

    id: str
    room: str
    name: str
    size: int
    content_type: str = Field(examples=["image/png"])


PUT_SPEC: dict[str, Any] = {
    "operation_id": "putUpload",
    "summary": "Upload an attachment's bytes",
    "responses": _errors(
        *_COMMON,
        ErrorCode.ATTACHMENT_INVALID,
        ErrorCode.ATTACHMENT_TOO_LARGE,
        ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED,
    ),
    "openapi_extra": {
        "requestBody": {
            "required": True,
            "description": "The file, exactly as many bytes as declared in `attach`.",
            "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
}


async def put_upload(
    *,
    upload_id: UploadIdPath,
    room: RoomQuery,
    exp: ExpiresQuery,
    sig: SigQuery,
    request: Request,
    container: ContainerDep,
) -> UploadReceipt:
    """The body of the upload URL from `upload_url`, with the declared `Content-Type`. The
    content must be of that type (its first bytes are checked; text must be UTF-8); on any
    refusal nothing is kept and the URL may be used again until it expires."""
    length = request.headers.get("content-length")
    try:
        record = await _attachments(container).receive(
            room,
            upload_id,
            expires_at=exp,
            sig=sig,
            content_type=request.headers.get("content-type", ""),
            content_length=int(length) if length and length.isdigit() else None,
            chunks=request.stream(),
        )
    except ClientDisconnect:
        # The client's doing, not a server fault: nothing is kept, nothing logged as an error.
        raise ChatError(ErrorCode.ATTACHMENT_INVALID, "the upload was cut off") from None
    return UploadReceipt(
        id=record.id,
        room=record.room,
        name=record.name,
        size=record.size,
        content_type=record.content_type,
    )


GET_SPEC: dict[str, Any] = {
    "operation_id": "getUpload",
    "summary": "Download an attachment",
    "response_class": StreamingResponse,
    "responses": {
        200: {
            "description": "The file, never rendered as a page.",
            "content": {"application/octet-stream": {"schema": {"type": "string"}}},
        },
        **_errors(*_COMMON),
    },
}


async def get_upload(
    *,
    upload_id: UploadIdPath,
    room: RoomQuery,
    exp: ExpiresQuery,
    sig: SigQuery,
    container: ContainerDep,
) -> StreamingResponse:
    """A download URL from a message's `attachment.url`. Images are sent inline, everything
    else as a download; nothing is served as HTML."""
    record, chunks = await _attachments(container).download(
        room, upload_id, expires_at=exp, sig=sig
    )
    inline = record.content_type in INLINE_TYPES
    media_type = record.content_type
    if media_type == "text/plain":
        media_type = "text/plain; charset=utf-8"
    remaining = max(0, exp - int(container.clock.now()))
    headers = {
        "Content-Length": str(record.size),
        "Content-Disposition": content_disposition(record.name, inline=inline),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_CSP,
        "Cross-Origin-Resource-Policy": "same-origin",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": f"private, max-age={remaining}",
    }
    return StreamingResponse(chunks, media_type=media_type, headers=headers)


def add_upload_routes(app: FastAPI) -> None:
    """Added to the app itself rather than through a router, so that `_UploadRoute` answers
    a method neither route has."""
    for method, endpoint, spec in (("PUT", put_upload, PUT_SPEC), ("GET", get_upload, GET_SPEC)):
        app.router.add_api_route(
            PATH,
            endpoint,
            methods=[method],
            tags=["uploads"],
            route_class_override=_UploadRoute,
            **spec,
        )


def content_disposition(name: str, *, inline: bool) -> str:
    """RFC 6266: an ASCII fallback name and the UTF-8 one (names are sanitised already: no
    quotes, backslashes or control characters)."""
    fallback = "".join(ch if ch.isascii() and ch.isprintable() else "_" for ch in name)
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _attachments(container: ContainerDep) -> Attachments:
    return container.chat.attachments
