"""Identity: who a verified token says the client is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a verified token says the client is."""

    sub: str
    """The stable user id (the token's `sub`)."""
    name: str | None
    """The display name the token carries, if any (docs/protocol.md, `hello`)."""
    # Not part of who the token names (two tokens of one user are the same identity).
    expires_at: float | None = field(default=None, compare=False)
    """When the token stops verifying (its `exp` plus the allowed leeway), Unix seconds; the
    session is closed then."""


class TokenRejected(Exception):
    """The token was refused. `reason` is safe to show the client: it says what was wrong
    with the token (expired, wrong audience...), never anything about the server's keys."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenVerifier(Protocol):
    """Checks a bearer token (a JWT) against the configured keys, locally: no key is ever
    fetched from a URL the token names."""

    def verify(self, token: str) -> Identity:
        """The identity of a valid token; raise TokenRejected otherwise."""
        ...
