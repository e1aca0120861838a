"""Attachments: what a message may carry, and the rules a file must pass to be kept.

Stdlib only. The client declares a file (`attach{room, name, size, content_type}`); the
declaration is checked here (the allow-list, the size, the name), and so is what is uploaded
(its first bytes must be of the declared type: a "PNG" that starts with `<html>` is refused).
The stored file is named by its id, never by the client's name, which is only shown to people
and sent back in `Content-Disposition`.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError

NAME_MAX_CHARS = 100

# The allow-list, and which types a browser may show in the page (images only: never HTML,
# never SVG, which can carry script).
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
ALLOWED_TYPES = INLINE_TYPES | {"application/pdf", "text/plain"}

# The first bytes each binary type must start with (text/plain is checked as UTF-8 instead).
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}
SNIFF_BYTES = 12
"""How many leading bytes `ContentCheck` needs before it can judge a binary type."""

# Shown to people and sent in a header: no quotes or characters file systems refuse.
_REPLACED = frozenset('"<>|*?:')


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a message carries. `url` is signed and expires, so it is filled in each time the
    message is sent to a client (app/services/chat/attachments.py), not stored."""

    id: str
    name: str
    size: int
    content_type: str
    url: str = ""


def normalize_content_type(raw: str) -> str:
    """`Image/PNG; charset=x` → `image/png`; ATTACHMENT_TYPE_NOT_ALLOWED off the allow-list."""
    media = raw.split(";", 1)[0].strip().lower()
    if media not in ALLOWED_TYPES:
        raise ChatError(
            ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED,
            "only PNG, JPEG, GIF and WebP images, PDF and plain text can be attached",
        )
    return media


def sanitize_name(raw: str) -> str:
    """The name people see: NFC, trimmed, at most NAME_MAX_CHARS code points (the extension
    kept), quotes and `<>|*?:` replaced by `_`. A name with a path in it (`/`, `\\`, a
    leading `.`), a control, format or private-use character is refused, not repaired: it is
    not what a file picker produces."""
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise _invalid_name("the file name is empty")
    if "/" in name or "\\" in name or name.startswith("."):
        raise _invalid_name("the file name may not contain a path (/, \\ or a leading dot)")
    for ch in name:
        if unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"):
            raise _invalid_name(f"the file name contains U+{ord(ch):04X}")
    name = "".join("_" if ch in _REPLACED else ch for ch in name)
    if len(name) > NAME_MAX_CHARS:
        stem, dot, ext = name.rpartition(".")
        keep = f"{dot}{ext}" if dot and stem and len(ext) <= 10 else ""
        name = name[: NAME_MAX_CHARS - len(keep)].rstrip() + keep
    return name


def check_size(size: int, max_bytes: int) -> None:
    if size < 1:
        raise ChatError(ErrorCode.ATTACHMENT_INVALID, "the file is empty")
    if size > max_bytes:
        raise ChatError(
            ErrorCode.ATTACHMENT_TOO_LARGE,
            f"the file is {size} bytes; the limit is {max_bytes}",
        )


def _invalid_name(reason: str) -> ChatError:
    return ChatError(ErrorCode.ATTACHMENT_INVALID, reason)


class ContentCheck:
    """Follows an upload chunk by chunk: its first bytes must match the declared type (text
    must be UTF-8 without NUL throughout). `feed` raises ATTACHMENT_TYPE_NOT_ALLOWED as soon
    as the content gives itself away; `finish` at the end."""

    __slots__ = ("_content_type", "_decoder", "_head", "_judged")

    def __init__(self, content_type: str) -> None:
        self._content_type = content_type
        self._head = b""
        self._judged = False
        self._decoder = (
            codecs.getincrementaldecoder("utf-8")() if content_type == "text/plain" else None
        )

    def feed(self, chunk: bytes) -> None:
        if self._decoder is not None:
            try:
                text = self._decoder.decode(chunk)
            except UnicodeDecodeError:
                raise self._mismatch() from None
            if "\x00" in text:
                raise self._mismatch()
            return
        if not self._judged:
            self._head += chunk[: SNIFF_BYTES - len(self._head)]
            if len(self._head) >= SNIFF_BYTES:
                self._judge()

    def finish(self) -> None:
        if self._decoder is not None:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise self._mismatch() from None
        elif not self._judged:
            self._judge()

    def _judge(self) -> None:
        self._judged = True
        head = self._head
        if self._content_type == "image/webp":
            matches = head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        else:
            matches = head.startswith(_MAGIC[self._content_type])
        if not matches:
            raise self._mismatch()

    def _mismatch(self) -> ChatError:
        return ChatError(
            ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED,
            f"the file's content is not {self._content_type}",
        )
