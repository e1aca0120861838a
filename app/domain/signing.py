"""HMAC-SHA256 signatures with the server's key (PARROT_SECRET_KEY): the signed attachment URLs
now, invite tokens later (one key, one signer, a purpose per use).

Stdlib only; time is passed in. A signature covers a purpose (so an upload URL's signature can
never be replayed as an invite or a download) and a tuple of fields, each length-prefixed so
that no field can be shifted into its neighbour (`("ab", "c")` and `("a", "bc")` sign
differently). Checking compares in constant time against the current key and then the
previous one, so a key can be rotated without breaking what was signed just before.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from enum import StrEnum

MIN_KEY_BYTES = 32


class UrlCheck(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"


class Signer:
    __slots__ = ("_keys",)

    def __init__(self, key: bytes, previous: bytes | None = None) -> None:
        for candidate in (key, previous):
            if candidate is not None and len(candidate) < MIN_KEY_BYTES:
                raise ValueError(f"a signing key needs at least {MIN_KEY_BYTES} bytes")
        self._keys = (key,) if previous is None else (key, previous)

    def sign(self, purpose: str, *fields: str) -> str:
        """The signature of `fields` for `purpose`, URL-safe base64 without padding."""
        return _encode(_mac(self._keys[0], purpose, fields))

    def verify(self, signature: str, purpose: str, *fields: str) -> bool:
        """True when `signature` is this signer's (current or previous key) for the fields."""
        # Compared as text, not decoded: base64 would accept a last character that differs in
        # the bits it ignores. Every key is tried, so the time taken does not tell which one
        # matched.
        given = signature.encode("ascii", errors="replace")
        matches = [
            hmac.compare_digest(given, _encode(_mac(key, purpose, fields)).encode("ascii"))
            for key in self._keys
        ]
        return any(matches)

    # --- signed URLs: bound to the method, the resource and the expiry -------------------

    def sign_url(self, method: str, room: str, resource_id: str, expires_at: int) -> str:
        return self.sign("url", _method(method), room, resource_id, str(expires_at))

    def check_url(
        self,
        method: str,
        room: str,
        resource_id: str,
        expires_at: int,
        signature: str,
        *,
        now: float,
    ) -> UrlCheck:
        """VALID, EXPIRED (a genuine signature whose time has passed) or INVALID. The
        signature is checked first, so an altered expiry is INVALID, not EXPIRED."""
        if not self.verify(signature, "url", _method(method), room, resource_id, str(expires_at)):
            return UrlCheck.INVALID
        if now >= expires_at:
            return UrlCheck.EXPIRED
        return UrlCheck.VALID


def _method(method: str) -> str:
    # HEAD asks for what GET would return, so a download URL answers both.
    upper = method.upper()
    return "GET" if upper == "HEAD" else upper


def _mac(key: bytes, purpose: str, fields: tuple[str, ...]) -> bytes:
    message = "".join(f"{len(part)}:{part}\n" for part in (purpose, *fields))
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _encode(digest: bytes) -> str:
    return b64url(digest)


def b64url(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def signed_token(signer: Signer, purpose: str, payload: Mapping[str, object]) -> str:
    """`base64url(compact JSON).signature`: the shape of invites and rejoin passes."""
    body = b64url(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    return f"{body}.{signer.sign(purpose, body)}"


def token_payload(body: str) -> dict[str, object] | None:
    """The JSON object in a token's body (its signature checked by the caller), or None."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return raw if isinstance(raw, dict) else None
