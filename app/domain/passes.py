"""Personal rejoin passes of private rooms: handed out in every `joined` of a private room, sent
back in `join.invite` to come back (a drain, a resync, a dropped connection, an expired token).

A pass is `base64url(JSON payload) "." base64url(HMAC-SHA256)` like an invite, signed by the
same Signer under its own purpose `rejoin`: an invite never verifies as a pass, nor a pass as
an invite. The payload is `{"r": room, "e": epoch, "k": digest of the member's name key,
"s": digest of the member's `sub` (only when signed in), "x": expiry (Unix seconds)}`. The
name key and `sub` are bound by digest (the first 128 bits of SHA-256, base64url), not
copied: a `sub` may be 256 characters and a name key a few dozen escaped ones, and the whole
token must fit the 512 characters of `join.invite`; a digest binds exactly as well, since
verifying compares it with the joiner's own.

Reading is pure (time passed in): the signature first (an altered payload is
`invite_invalid`, never `invite_expired`), then the room, the name, the `sub`, then the expiry.
The epoch is the store's to check, in the join's atomic step (`InviteProof.pass_epoch`); a
pass is never counted or spent: the name's uniqueness in the room keeps two holders out
(docs/decisions/0025-private-rooms-and-invites.md, "Rejoin passes").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.invites import MAX_TOKEN_CHARS, invalid
from app.domain.signing import Signer, b64url, signed_token, token_payload

PURPOSE = "rejoin"
DIGEST_BYTES = 16  # 128 bits


@dataclass(frozen=True, slots=True)
class RejoinPass:
    """What a genuine pass says (`key`/`sub` as digests; `sub` None for a guest's)."""

    room: str
    epoch: str
    key: str
    sub: str | None
    expires_at: int


def digest(value: str) -> str:
    raw = hashlib.sha256(value.encode("utf-8")).digest()[:DIGEST_BYTES]
    return b64url(raw)


def issue(
    signer: Signer, *, room: str, epoch: str, key: str, sub: str | None, expires_at: int
) -> str:
    """A pass for the member of `key` (and `sub`) to come back into `room` while `epoch` lasts."""
    payload: dict[str, object] = {"r": room, "e": epoch, "k": digest(key)}
    if sub is not None:
        payload["s"] = digest(sub)
    payload["x"] = expires_at
    return signed_token(signer, PURPOSE, payload)


def signed_as_pass(signer: Signer, token: str) -> bool:
    """True when `token` carries this server's signature for a pass (whatever it says):
    `join.invite` holds either kind, and the signature's purpose tells them apart."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        return False
    body, signature = token.split(".")
    return signer.verify(signature, PURPOSE, body)


def verify(
    signer: Signer, token: str, *, room: str, key: str, sub: str | None, now: float
) -> RejoinPass:
    """The pass, when it is genuine, for `room`, for this name key and `sub`, and not expired;
    raise INVITE_INVALID or INVITE_EXPIRED otherwise. The epoch is not looked at."""
    if not signed_as_pass(signer, token):
        raise invalid(room)
    found = _decode(token.split(".", maxsplit=1)[0])
    if found is None:
        # Signed by us but unreadable: only a bug (or an old format) gets here.
        raise invalid(room, "the rejoin pass is malformed")
    if found.room != room:
        raise invalid(room)
    if found.key != digest(key):
        raise invalid(room, "this rejoin pass is for another name")
    if found.sub is not None and (sub is None or found.sub != digest(sub)):
        raise invalid(room, "this rejoin pass is for another user")
    if now >= found.expires_at:
        raise ChatError(ErrorCode.INVITE_EXPIRED, "this rejoin pass has expired", room=room)
    return found


def _decode(body: str) -> RejoinPass | None:
    raw = token_payload(body)
    if raw is None:
        return None
    room, epoch, key, sub, expires_at = (raw.get(f) for f in ("r", "e", "k", "s", "x"))
    if not (isinstance(room, str) and isinstance(epoch, str) and isinstance(key, str)):
        return None
    if (sub is not None and not isinstance(sub, str)) or type(expires_at) is not int:
        return None
    return RejoinPass(room=room, epoch=epoch, key=key, sub=sub, expires_at=expires_at)
