"""Domain errors: every denial the chat core can give, by protocol error code.

The tree is flat on purpose: one exception type carries a code, a human reason and the
optional extras the wire `error` event can hold. What a code means beyond that (its HTTP
status, whether it counts as abuse, which close follows it) is its row in app/domain/codes.py;
the web edge reads it there, so the domain never decides how a denial is sent.
"""

from __future__ import annotations

from app.domain.codes import ErrorCode


class ChatError(Exception):
    """A denial: the request is refused, nothing changed, the connection stays usable."""

    def __init__(
        self,
        code: ErrorCode,
        reason: str,
        *,
        room: str | None = None,
        retry_after_ms: int | None = None,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{code.value}: {reason}")
        self.code = code
        self.reason = reason
        self.room = room
        self.retry_after_ms = retry_after_ms
        self.details = details
