"""Attachments: `attach` reserves a file and answers with a signed upload URL; the REST edge
streams the bytes in (`receive`) and out (`download`); `send` claims an uploaded file for its
message (`claim`); a room's files go with the room (`room_deleted`).

Signed URLs (app/domain/signing.py) are the only way in or out: an upload URL is bound to PUT,
the room, the id and its expiry; a download URL to GET and the same. Download URLs expire, so
they are not stored with the message: `AttachmentLinks` signs a fresh one each time a message
is encoded for a client (a broadcast, `joined`, a `history` page), whichever node sends it.

Just over ~300 lines on purpose: an attachment's life (reserve, upload, send, download, delete)
is one state machine, kept in one place.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

from app.domain.attachments import (
    Attachment,
    ContentCheck,
    check_size,
    normalize_content_type,
    sanitize_name,
)
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.events import HistoryPage, Joined, ServerEvent, UploadUrl
from app.domain.history import Message
from app.domain.signing import Signer, UrlCheck
from app.ports import Clock, UploadRecord, UploadState, UploadStore, UploadTooLarge
from app.services.chat.context import ChatContext, check_rate
from app.services.hub import Encoder

log = logging.getLogger("parrotchat.attachments")

UPLOADS_PATH = "/api/uploads"


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    max_bytes: int
    room_max_bytes: int
    upload_ttl_s: float
    download_ttl_s: float


class AttachmentLinks:
    """Signs attachment URLs; as an Encoder wrapper, puts a fresh download URL into every
    message it encodes."""

    def __init__(self, signer: Signer, clock: Clock, *, download_ttl_s: float) -> None:
        self.signer = signer
        self._clock = clock
        self._ttl_s = download_ttl_s
        # Expiries are rounded up to a step, so a message encoded again within a step gets the
        # same URL (and a browser its cached copy).
        self._step = max(1, min(60, int(download_ttl_s // 10)))

    def url(self, method: str, room: str, upload_id: str, expires_at: int) -> str:
        sig = self.signer.sign_url(method, room, upload_id, expires_at)
        query = urlencode({"room": room, "exp": expires_at, "sig": sig})
        return f"{UPLOADS_PATH}/{upload_id}?{query}"

    def check(self, method: str, room: str, upload_id: str, expires_at: int, sig: str) -> UrlCheck:
        now = self._clock.now()
        return self.signer.check_url(method, room, upload_id, expires_at, sig, now=now)

    def present(self, event: ServerEvent) -> ServerEvent:
        """`event` with fresh download URLs in its messages' attachments."""
        if isinstance(event, Message):
            return self._message(event) if event.attachment is not None else event
        if isinstance(event, Joined) and any(m.attachment for m in event.history):
            return dataclasses.replace(event, history=[self._message(m) for m in event.history])
        if isinstance(event, HistoryPage) and any(m.attachment for m in event.messages):
            return dataclasses.replace(event, messages=[self._message(m) for m in event.messages])
        return event

    def encoder(self, encode: Encoder) -> Encoder:
        return _PresentingEncoder(self, encode)

    def _message(self, message: Message) -> Message:
        attachment = message.attachment
        if attachment is None:
            return message
        step = self._step
        expires_at = math.ceil((self._clock.now() + self._ttl_s) / step) * step
        url = self.url("GET", message.room, attachment.id, expires_at)
        return dataclasses.replace(message, attachment=dataclasses.replace(attachment, url=url))


class _PresentingEncoder:
    def __init__(self, links: AttachmentLinks, encode: Encoder) -> None:
        self._links = links
        self._encode = encode

    def __call__(self, event: ServerEvent, ref: str | None = None) -> str:
        return self._encode(self._links.present(event), ref)


class Attachments:
    def __init__(
        self,
        ctx: ChatContext,
        *,
        store: UploadStore | None,
        links: AttachmentLinks,
        limits: AttachmentLimits,
    ) -> None:
        self._ctx = ctx
        self._store = store
        self._links = links
        self.limits = limits

    @property
    def enabled(self) -> bool:
        return self._store is not None

    # --- over the WebSocket --------------------------------------------------------------

    async def request(
        self,
        conn_id: str,
        room: str,
        *,
        name: str,
        size: int,
        content_type: str,
        ref: str | None = None,
    ) -> None:
        """`attach`: reserve an attachment and answer with where to upload it."""
        ctx = self._ctx
        store = self._require_store()
        session, _name, _key = ctx.in_room(conn_id, room)
        # An attachment costs a message of the rate limit (and its `send` another).
        check_rate(session.message_limit, ctx.clock.monotonic(), "messages", room)
        try:
            media = normalize_content_type(content_type)
            shown = sanitize_name(name)
            check_size(size, self.limits.max_bytes)
        except ChatError as refused:
            raise ChatError(refused.code, refused.reason, room=room) from None
        now = ctx.clock.now()
        used = await store.room_bytes(room, now=now)
        if used + size > self.limits.room_max_bytes:
            raise ChatError(
                ErrorCode.ATTACHMENT_TOO_LARGE,
                f"this room's attachments would exceed {self.limits.room_max_bytes} bytes",
                room=room,
            )
        upload_id = uuid.uuid4().hex
        expires_at = math.ceil(now + self.limits.upload_ttl_s)
        record = UploadRecord(
            id=upload_id,
            room=room,
            name=shown,
            size=size,
            content_type=media,
            owner=conn_id,
            upload_by=expires_at,
        )
        await store.reserve(record)
        session.message_limit.try_acquire(ctx.clock.monotonic())
        reply = UploadUrl(
            room=room,
            id=upload_id,
            url=self._links.url("PUT", room, upload_id, expires_at),
            method="PUT",
            expires_at=expires_at,
            name=shown,
            size=size,
            content_type=media,
        )
        ctx.hub.send(conn_id, reply, ref)

    async def claim(self, conn_id: str, room: str, upload_id: str) -> Attachment:
        """`send{attachment}`: the uploaded file this connection may send, now marked sent."""
        store = self._require_store()
        record = await store.get(room, upload_id)
        if record is None or record.owner != conn_id:
            raise _not_found(room)
        if record.state is not UploadState.STORED:
            reason = (
                "the file is not uploaded yet"
                if record.state in (UploadState.RESERVED, UploadState.UPLOADING)
                else "this attachment was sent already"
            )
            raise ChatError(ErrorCode.ATTACHMENT_INVALID, reason, room=room)
        if not await store.advance(room, upload_id, UploadState.STORED, UploadState.SENT):
            raise ChatError(ErrorCode.ATTACHMENT_INVALID, "this attachment was sent already")
        return Attachment(
            id=record.id, name=record.name, size=record.size, content_type=record.content_type
        )

    async def room_deleted(self, room: str) -> None:
        """The room is gone: so are its attachments (a failure is logged, not raised: the
        departure that emptied the room has happened)."""
        if self._store is None:
            return
        try:
            await self._store.delete_room(room)
        except Exception:
            log.exception("could not delete the attachments of %s", room)

    # --- over HTTP (app/web/uploads.py) --------------------------------------------------

    async def receive(
        self,
        room: str,
        upload_id: str,
        *,
        expires_at: int,
        sig: str,
        content_type: str,
        content_length: int | None,
        chunks: AsyncIterator[bytes],
    ) -> UploadRecord:
        """`PUT` an upload URL: the bytes are checked against what `attach` declared (size,
        type, content) while they are streamed to the store; on any refusal nothing is kept."""
        store = self._require_store()
        self._check_url("PUT", room, upload_id, expires_at, sig)
        record = await store.get(room, upload_id)
        if record is None:
            raise _not_found(room)
        if normalize_content_type(content_type or "application/octet-stream") != (
            record.content_type
        ):
            raise ChatError(
                ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED,
                f"the upload's Content-Type must be {record.content_type}, as declared",
            )
        if content_length is not None and content_length != record.size:
            code = (
                ErrorCode.ATTACHMENT_TOO_LARGE
                if content_length > record.size
                else ErrorCode.ATTACHMENT_INVALID
            )
            raise ChatError(code, f"the upload must be {record.size} bytes, as declared")
        if not await store.advance(room, upload_id, UploadState.RESERVED, UploadState.UPLOADING):
            raise ChatError(ErrorCode.ATTACHMENT_INVALID, "this file is uploaded already")
        checked = _checked(chunks, ContentCheck(record.content_type), record.size)
        try:
            await store.write(room, upload_id, checked, max_bytes=record.size)
        except UploadTooLarge:
            await store.advance(room, upload_id, UploadState.UPLOADING, UploadState.RESERVED)
            raise ChatError(
                ErrorCode.ATTACHMENT_TOO_LARGE,
                f"the upload is larger than the {record.size} bytes declared",
            ) from None
        except BaseException:
            # Refused or cut off: the URL may be used again until it expires.
            await store.advance(room, upload_id, UploadState.UPLOADING, UploadState.RESERVED)
            raise
        if not await store.advance(room, upload_id, UploadState.UPLOADING, UploadState.STORED):
            raise _not_found(room)  # the room was deleted meanwhile (and its files with it)
        return dataclasses.replace(record, state=UploadState.STORED)

    async def download(
        self, room: str, upload_id: str, *, expires_at: int, sig: str, method: str = "GET"
    ) -> tuple[UploadRecord, AsyncIterator[bytes]]:
        store = self._require_store()
        self._check_url(method, room, upload_id, expires_at, sig)
        record = await store.get(room, upload_id)
        if record is None or record.state not in (UploadState.STORED, UploadState.SENT):
            raise _not_found(room)
        return record, store.read(room, upload_id)

    def _check_url(self, method: str, room: str, upload_id: str, expires_at: int, sig: str) -> None:
        verdict = self._links.check(method, room, upload_id, expires_at, sig)
        if verdict is UrlCheck.INVALID:
            raise ChatError(ErrorCode.URL_INVALID, "the URL's signature does not match")
        if verdict is UrlCheck.EXPIRED:
            raise ChatError(ErrorCode.URL_EXPIRED, "the URL has expired; ask for a new one")

    def _require_store(self) -> UploadStore:
        if self._store is None:
            raise ChatError(ErrorCode.ATTACHMENTS_DISABLED, "this server takes no attachments")
        return self._store


def _not_found(room: str) -> ChatError:
    return ChatError(ErrorCode.ATTACHMENT_NOT_FOUND, "no such attachment in this room", room=room)


async def _checked(
    chunks: AsyncIterator[bytes], check: ContentCheck, size: int
) -> AsyncIterator[bytes]:
    """The upload's chunks, refused (by raising, so the store keeps nothing) as soon as the
    content is not of its type, and at the end unless it was exactly `size` bytes."""
    total = 0
    async for chunk in chunks:
        if not chunk:
            continue
        total += len(chunk)
        if total > size:
            raise UploadTooLarge()
        check.feed(chunk)
        yield chunk
    check.finish()
    if total != size:
        raise ChatError(
            ErrorCode.ATTACHMENT_INVALID, f"the upload was {total} bytes; {size} were declared"
        )
