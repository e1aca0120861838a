"""Who a connection is: a guest, or the user a verified token names (PARROT_AUTH).

`off` (the default): `hello.token` is ignored and everyone is a guest. `optional`: a token, when
given, must verify; without one the client is a guest. `required`: a `hello` without a valid
token is refused. A refusal is `auth_failed`, whose row in app/domain/codes.py closes the
connection (1008). The token's `sub` becomes the session's stable user id (what bans and kick
cooldowns will bind to), its name claim the display name.
"""

from __future__ import annotations

from enum import StrEnum

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.ports import Identity, TokenRejected, TokenVerifier


class AuthMode(StrEnum):
    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"


class Authenticator:
    def __init__(self, mode: AuthMode = AuthMode.OFF, verifier: TokenVerifier | None = None):
        if mode is not AuthMode.OFF and verifier is None:
            raise ValueError(f"PARROT_AUTH={mode.value} needs a token verifier")
        self.mode = mode
        self._verifier = verifier

    def identify(self, token: str | None) -> Identity | None:
        """The verified identity, None for a guest; AUTH_FAILED when refused."""
        if self.mode is AuthMode.OFF or self._verifier is None:
            return None
        if token is None:
            if self.mode is AuthMode.REQUIRED:
                raise ChatError(ErrorCode.AUTH_FAILED, "this server requires a token in hello")
            return None
        try:
            return self._verifier.verify(token)
        except TokenRejected as rejected:
            raise ChatError(ErrorCode.AUTH_FAILED, rejected.reason) from None
