"""The UploadStore port on a local directory (PARROT_UPLOAD_DIR).

Layout: `<dir>/<room>/<id>.json` (the record) and `<dir>/<room>/<id>.data` (the bytes), so a
room's attachments are one directory and go in one `rmtree` when the room is deleted. Files
are named by the server's ids only; the room and id are checked against their patterns again
here, so no caller can make a path leave the directory. Bytes arrive in a hidden temporary
file that is renamed into place once complete: a half-written upload is never visible. Disk
work runs in a thread, so a slow disk does not hold up the event loop.

One process: `advance` is atomic against this process' other calls (it never awaits between
its read and its write). Several processes sharing the directory would need a lock file or a
store with compare-and-set (decision record 0021).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path

from app.ports import UploadRecord, UploadState, UploadTooLarge

_ROOM = re.compile(r"[a-z0-9-]{3,30}")
_ID = re.compile(r"[0-9a-f]{32}")
CHUNK_BYTES = 64 * 1024


class DirectoryUploadStore:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._root = root.resolve()

    # --- records -------------------------------------------------------------------------

    async def reserve(self, record: UploadRecord) -> None:
        folder = self._room_dir(record.room)
        await asyncio.to_thread(folder.mkdir, mode=0o700, exist_ok=True)
        self._write_record(record)

    async def get(self, room: str, upload_id: str) -> UploadRecord | None:
        try:
            path = self._path(room, upload_id, "json")
        except ValueError:
            return None
        return self._read_record(path)

    async def advance(
        self, room: str, upload_id: str, current: UploadState, new: UploadState
    ) -> bool:
        # Synchronous on purpose: nothing else on this loop runs between the read and the write.
        record = self._read_record(self._path(room, upload_id, "json"))
        if record is None or record.state is not current:
            return False
        try:
            self._write_record(UploadRecord(**{**asdict(record), "state": new}))
        except FileNotFoundError:
            return False  # the room's directory was removed meanwhile
        return True

    # --- bytes ---------------------------------------------------------------------------

    async def write(
        self, room: str, upload_id: str, chunks: AsyncIterator[bytes], *, max_bytes: int
    ) -> int:
        final = self._path(room, upload_id, "data")
        temporary = final.with_name(f".{upload_id}.{secrets.token_hex(4)}.part")
        handle = await asyncio.to_thread(temporary.open, "xb")
        total = 0
        try:
            async for chunk in chunks:
                total += len(chunk)
                if total > max_bytes:
                    raise UploadTooLarge()
                await asyncio.to_thread(handle.write, chunk)
            await asyncio.to_thread(handle.close)
            await asyncio.to_thread(os.replace, temporary, final)
        except BaseException:
            handle.close()
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise
        return total

    async def read(self, room: str, upload_id: str) -> AsyncIterator[bytes]:
        path = self._path(room, upload_id, "data")
        handle = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_BYTES):
                yield chunk
        finally:
            handle.close()

    # --- rooms ---------------------------------------------------------------------------

    async def room_bytes(self, room: str, *, now: float) -> int:
        records = await asyncio.to_thread(self._records, room)
        return sum(
            r.size for r in records if r.state is not UploadState.RESERVED or r.upload_by > now
        )

    async def delete_room(self, room: str) -> int:
        folder = self._room_dir(room)
        count = len(await asyncio.to_thread(self._records, room))
        await asyncio.to_thread(shutil.rmtree, folder, ignore_errors=True)
        return count

    # --- paths and records -----------------------------------------------------------------

    def _room_dir(self, room: str) -> Path:
        if not _ROOM.fullmatch(room):
            raise ValueError("not a room name")
        return self._root / room

    def _path(self, room: str, upload_id: str, suffix: str) -> Path:
        if not _ID.fullmatch(upload_id):
            raise ValueError("not an upload id")
        return self._room_dir(room) / f"{upload_id}.{suffix}"

    def _records(self, room: str) -> list[UploadRecord]:
        folder = self._room_dir(room)
        if not folder.is_dir():
            return []
        found = (self._read_record(path) for path in folder.glob("*.json"))
        return [record for record in found if record is not None]

    @staticmethod
    def _read_record(path: Path) -> UploadRecord | None:
        try:
            data = json.loads(path.read_text("utf-8"))
            data["state"] = UploadState(data["state"])
            return UploadRecord(**data)
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def _write_record(self, record: UploadRecord) -> None:
        path = self._path(record.room, record.id, "json")
        temporary = path.with_name(f".{record.id}.{secrets.token_hex(4)}.json.part")
        temporary.write_text(json.dumps({**asdict(record), "state": record.state.value}), "utf-8")
        os.replace(temporary, path)
