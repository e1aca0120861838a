"""Attachments' bytes and records."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class UploadState(StrEnum):
    RESERVED = "reserved"
    """`attach` was accepted; the upload URL is out, nothing is stored yet."""
    UPLOADING = "uploading"
    """A PUT is streaming the bytes in (a second one is refused)."""
    STORED = "stored"
    """The file is uploaded and checked; it can be sent."""
    SENT = "sent"
    """A message carries it; it cannot be sent again."""


@dataclass(frozen=True, slots=True)
class UploadRecord:
    """What the store keeps beside an attachment's bytes."""

    id: str
    room: str
    name: str
    size: int
    content_type: str
    owner: str
    """The connection that asked for it: only it may upload and send it."""
    upload_by: float
    """The upload URL's expiry: a reservation not uploaded by then counts for nothing."""
    state: UploadState = UploadState.RESERVED


class UploadTooLarge(Exception):
    """The bytes written went past the limit given; nothing was kept."""


class UploadStore(Protocol):
    """Attachments' bytes and records, per room (a directory here; S3 or the like could
    replace it). A room's attachments go when the room is deleted."""

    async def reserve(self, record: UploadRecord) -> None:
        """Keep the record of an attachment that is about to be uploaded."""
        ...

    async def get(self, room: str, upload_id: str) -> UploadRecord | None:
        """The record, or None when there is none in that room."""
        ...

    async def advance(
        self, room: str, upload_id: str, current: UploadState, new: UploadState
    ) -> bool:
        """Move the record from `current` to `new` in one step; False (nothing changed) when
        it is not in `current` or no longer exists."""
        ...

    async def write(
        self, room: str, upload_id: str, chunks: AsyncIterator[bytes], *, max_bytes: int
    ) -> int:
        """Store the bytes (atomically: all or nothing) and return how many there were;
        raise UploadTooLarge past `max_bytes`. Any exception from `chunks` leaves nothing."""
        ...

    def read(self, room: str, upload_id: str) -> AsyncIterator[bytes]:
        """The stored bytes, in chunks (FileNotFoundError when there are none)."""
        ...

    async def room_bytes(self, room: str, *, now: float) -> int:
        """Bytes the room's attachments take or have reserved (expired reservations count
        for nothing)."""
        ...

    async def delete_room(self, room: str) -> int:
        """Delete every attachment of the room; how many there were."""
        ...
