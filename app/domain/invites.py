"""Invite tokens of private rooms: minted for the owner, read when a `join` carries one.

A token is `base64url(JSON payload) "." base64url(HMAC-SHA256)`, signed by the server's Signer
(PARROT_SECRET_KEY, app/domain/signing.py) under the purpose `invite`, so that no other
signature the server makes (an upload or download URL's, purpose `url`) can verify as an
invite. The payload is `{"r": room, "e": epoch, "i": invite id (96 random bits), "x": expiry
(Unix seconds), "u": uses}`; nothing in it is secret, only unforgeable.

Reading is pure (time passed in): the signature first (so an altered payload is `invite_invalid`,
never `invite_expired`), then the room, then the expiry. The epoch and the use count are the
store's to check, in the same atomic step that admits the joiner (RoomStore.join), so a
refused join consumes nothing and a single-use invite admits exactly one joiner across nodes
(docs/decisions/0025-private-rooms-and-invites.md).
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.signing import Signer, signed_token, token_payload

# How long past an invite's expiry its spent-use count is kept (nodes' clocks may differ by
# up to this much; the node registry asks for far better, docs/operations.md).
SPENT_COUNT_GRACE_S = 300

PURPOSE = "invite"
# The protocol's ceilings (the wire models' bounds); PARROT_INVITE_MAX_TTL_S and
# PARROT_INVITE_MAX_USES may lower them, not raise them.
MAX_INVITE_TTL_S = 604_800
MAX_INVITE_USES = 1000
MAX_TOKEN_CHARS = 512
ID_BYTES = 12  # 96 bits


@dataclass(frozen=True, slots=True)
class InviteClaim:
    """What a genuine invite says."""

    room: str
    epoch: str
    id: str
    expires_at: int
    uses: int

    @property
    def spent_kept_until(self) -> int:
        """When the store may forget how many uses were spent: a grace after the expiry, so a
        node whose clock runs behind (it still takes the invite as valid) cannot find the
        count gone because a node whose clock runs ahead forgot it."""
        return self.expires_at + SPENT_COUNT_GRACE_S


@dataclass(frozen=True, slots=True)
class InviteProof:
    """A join's invite as the service read it: the claim of a genuine, unexpired token for the
    room, or the epoch of a genuine rejoin pass for this joiner (app/domain/passes.py: it
    admits without a use), or the refusal a private room answers it with. A public room looks
    at none of them (an invite into a public room is not checked, nor consumed)."""

    claim: InviteClaim | None = None
    refusal: ChatError | None = None
    pass_epoch: str | None = None


def mint(*, room: str, epoch: str, expires_at: int, uses: int) -> InviteClaim:
    """A new invite (a fresh random id) for the room as it is now (its epoch)."""
    invite_id = base64.urlsafe_b64encode(secrets.token_bytes(ID_BYTES)).decode("ascii")
    return InviteClaim(room=room, epoch=epoch, id=invite_id, expires_at=expires_at, uses=uses)


def encode(signer: Signer, claim: InviteClaim) -> str:
    payload = {"r": claim.room, "e": claim.epoch, "i": claim.id, "x": claim.expires_at}
    return signed_token(signer, PURPOSE, {**payload, "u": claim.uses})


def invalid(room: str, why: str = "the invite is not valid for this room") -> ChatError:
    return ChatError(ErrorCode.INVITE_INVALID, why, room=room)


def required(room: str) -> ChatError:
    return ChatError(
        ErrorCode.INVITE_REQUIRED, "this room is private: join with an invite", room=room
    )


def used(room: str) -> ChatError:
    return ChatError(ErrorCode.INVITE_USED, "every use of this invite is spent", room=room)


def verify(
    signer: Signer, token: str, *, room: str, now: float, epoch: str | None = None
) -> InviteClaim:
    """The claim of a genuine invite for `room` that has not expired (and, when `epoch` is
    given, for that epoch); raise INVITE_INVALID or INVITE_EXPIRED otherwise. Use counts
    are not looked at."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise invalid(room, "the invite is malformed")
    body, signature = token.split(".")
    if not signer.verify(signature, PURPOSE, body):
        raise invalid(room)
    claim = _decode(body)
    if claim is None:
        # Signed by us but unreadable: only a bug (or an old format) gets here.
        raise invalid(room, "the invite is malformed")
    if claim.room != room or (epoch is not None and claim.epoch != epoch):
        raise invalid(room)
    if now >= claim.expires_at:
        raise ChatError(ErrorCode.INVITE_EXPIRED, "this invite has expired", room=room)
    return claim


def read(signer: Signer, token: str, *, room: str, now: float) -> InviteProof:
    """`verify`, with the refusal kept rather than raised (the room may turn out public)."""
    try:
        return InviteProof(claim=verify(signer, token, room=room, now=now))
    except ChatError as refused:
        return InviteProof(refusal=refused)


def admission_refusal(
    room: str, proof: InviteProof | None, *, epoch: str, used_count: int
) -> ChatError | None:
    """Why a private room (of `epoch`) refuses this invite; None when it admits it. The
    stores' one rule (the Redis script repeats it in Lua, in this order)."""
    if proof is None:
        return required(room)
    if proof.refusal is not None:
        return proof.refusal
    if proof.pass_epoch is not None:
        # A rejoin pass: bound to the epoch, never counted (the name is unique in the room).
        return None if proof.pass_epoch == epoch else invalid(room)
    claim = proof.claim
    if claim is None or claim.epoch != epoch:
        return invalid(room)
    if used_count >= claim.uses:
        return used(room)
    return None


def _decode(body: str) -> InviteClaim | None:
    raw = token_payload(body)
    if raw is None:
        return None
    room, epoch, invite_id = raw.get("r"), raw.get("e"), raw.get("i")
    expires_at, uses = raw.get("x"), raw.get("u")
    if not (isinstance(room, str) and isinstance(epoch, str) and isinstance(invite_id, str)):
        return None
    if type(expires_at) is not int or type(uses) is not int or uses < 1:
        return None
    return InviteClaim(room=room, epoch=epoch, id=invite_id, expires_at=expires_at, uses=uses)
