"""Close codes and their reasons, in one place (PROTOCOL.md "Close codes")."""

from __future__ import annotations

from enum import IntEnum

MAX_REASON_BYTES = 123


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001
    POLICY = 1008
    TOO_BIG = 1009
    INTERNAL = 1011
    TRY_AGAIN_LATER = 1013
    IDLE = 4000
    SLOW_CONSUMER = 4008


_DEFAULT_REASON = {
    CloseCode.NORMAL: "bye",
    CloseCode.GOING_AWAY: "server shutting down",
    CloseCode.POLICY: "policy violation",
    CloseCode.TOO_BIG: "frame too large",
    CloseCode.INTERNAL: "internal error",
    CloseCode.TRY_AGAIN_LATER: "server full, try again later",
    CloseCode.IDLE: "idle timeout",
    CloseCode.SLOW_CONSUMER: "slow consumer: outbound queue overflowed",
}


def close_reason(code: CloseCode, reason: str | None = None) -> str:
    """A valid close reason: the given text or the code's default, cut to 123 UTF-8 bytes."""
    text = reason if reason is not None else _DEFAULT_REASON[code]
    data = text.encode("utf-8")
    if len(data) <= MAX_REASON_BYTES:
        return text
    return data[:MAX_REASON_BYTES].decode("utf-8", errors="ignore")
