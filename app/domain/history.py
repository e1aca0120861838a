"""A room's message history: a ring of the last N messages numbered by `seq`."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from app.domain.attachments import Attachment

# The most messages a room keeps, a `joined` carries and a `history` page holds.
MAX_HISTORY_PAGE = 50
# A signed download URL: /api/uploads/<32 hex>?room=<30>&exp=<digits>&sig=<43>.
ATTACHMENT_URL_CHARS = 160


@dataclass(frozen=True, slots=True)
class Message:
    """A chat message as stored and broadcast (text already normalised and redacted)."""

    room: str
    seq: int
    id: str
    author: str
    text: str
    html: str
    ts: float
    attachment: Attachment | None = None


@dataclass(frozen=True, slots=True)
class MessageDraft:
    """A message accepted for a room but not numbered yet: the broker takes its seq in the
    same step that stores and publishes it (Broker.publish_message)."""

    room: str
    id: str
    author: str
    text: str
    html: str
    ts: float
    attachment: Attachment | None = None

    def numbered(self, seq: int) -> Message:
        return Message(
            room=self.room,
            seq=seq,
            id=self.id,
            author=self.author,
            text=self.text,
            html=self.html,
            ts=self.ts,
            attachment=self.attachment,
        )


class History:
    """Keeps the newest `size` messages; `seq` grows by exactly one per appended message."""

    __slots__ = ("_ring", "seq")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("history size must be at least 1")
        self._ring: deque[Message] = deque(maxlen=size)
        self.seq = 0

    def next_seq(self) -> int:
        return self.seq + 1

    def append(self, message: Message) -> None:
        if message.seq != self.seq + 1:
            raise ValueError(f"seq {message.seq} does not follow {self.seq}")
        self._ring.append(message)
        self.seq = message.seq

    @property
    def last_message_at(self) -> float | None:
        return self._ring[-1].ts if self._ring else None

    def latest(self, limit: int | None = None) -> list[Message]:
        """The newest `limit` messages (all kept when None), oldest first."""
        if limit is None or limit >= len(self._ring):
            return list(self._ring)
        if limit <= 0:
            return []
        return list(self._ring)[-limit:]

    def since(self, seq: int) -> list[Message] | None:
        """Every message after `seq`, or None when some of them are no longer kept."""
        if seq < 0 or seq > self.seq:
            return None
        if seq == self.seq:
            return []
        oldest_kept = self._ring[0].seq if self._ring else self.seq + 1
        if seq + 1 < oldest_kept:
            return None
        return [m for m in self._ring if m.seq > seq]

    def before(self, seq: int | None, limit: int) -> tuple[list[Message], bool]:
        """Up to `limit` messages older than `seq` (newest when None), oldest first, and
        whether older kept messages remain."""
        older = [m for m in self._ring if seq is None or m.seq < seq]
        if limit <= 0:
            return [], bool(older)
        page = older[-limit:]
        return page, len(older) > len(page)


def wire_chars(message: Message) -> int:
    """An upper bound of the message's size as a JSON object in a frame, in characters.

    JSON escaping at most doubles a string's length (a quote, backslash or newline becomes two
    characters; nothing else in a message is escaped), and the rest of the object (keys, seq,
    id, room, ts) is under 200 characters. An attachment adds its name, its type and its
    signed URL (filled in when it is sent: ATTACHMENT_URL_CHARS at most) and 100 more."""
    chars = 2 * (len(message.text) + len(message.html) + len(message.author)) + 200
    attachment = message.attachment
    if attachment is not None:
        chars += 2 * (len(attachment.name) + len(attachment.content_type)) + 100
        chars += ATTACHMENT_URL_CHARS
    return chars


def fit_newest(messages: list[Message], budget_chars: int) -> list[Message]:
    """The newest of `messages` (oldest first) whose sizes add up to at most `budget_chars`:
    what a reply can carry and still fit a connection's outbox."""
    total = 0
    start = len(messages)
    while start > 0:
        total += wire_chars(messages[start - 1])
        if total > budget_chars:
            break
        start -= 1
    return messages if start == 0 else messages[start:]
