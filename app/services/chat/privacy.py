"""Private rooms: the owner's `invite` and `set_private`, reading the invite or rejoin pass a
`join` carries (the rule itself is the store's, in the join's atomic step: docs/decisions/0025),
and issuing the pass each `joined` of a private room hands its member."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.domain import invites, notices, passes
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.events import Invitation
from app.domain.invites import InviteProof
from app.domain.signing import Signer
from app.services.chat.context import ChatContext


@dataclass(frozen=True, slots=True)
class InviteLimits:
    """PARROT_INVITE_TTL_S, PARROT_INVITE_MAX_TTL_S, PARROT_INVITE_MAX_USES and
    PARROT_REJOIN_TTL_S (defaults in app/settings.py)."""

    ttl_s: int
    max_ttl_s: int
    max_uses: int
    rejoin_ttl_s: int = 86_400


class Privacy:
    def __init__(self, ctx: ChatContext, *, signer: Signer, limits: InviteLimits) -> None:
        self._ctx = ctx
        self._signer = signer
        self._limits = limits

    def read(self, token: str, room: str, key: str, sub: str | None) -> InviteProof:
        """A join's `invite`: an invite's claim, a rejoin pass's epoch (a pass verifies only for
        the joiner it was issued to: name key `key`, and `sub` when it names one), or the
        refusal a private room gives it. The signature's purpose tells the two kinds apart."""
        now = self._ctx.clock.now()
        if not passes.signed_as_pass(self._signer, token):
            return invites.read(self._signer, token, room=room, now=now)
        try:
            found = passes.verify(self._signer, token, room=room, key=key, sub=sub, now=now)
        except ChatError as refused:
            return InviteProof(refusal=refused)
        return InviteProof(pass_epoch=found.epoch)

    def issue_pass(self, room: str, epoch: str, key: str, sub: str | None) -> str:
        """The rejoin pass a `joined` of a private room hands its member (renewed each join)."""
        expires_at = math.ceil(self._ctx.clock.now()) + self._limits.rejoin_ttl_s
        return passes.issue(
            self._signer, room=room, epoch=epoch, key=key, sub=sub, expires_at=expires_at
        )

    async def invite(
        self,
        conn_id: str,
        room: str,
        *,
        ttl_s: int | None = None,
        uses: int | None = None,
        ref: str | None = None,
    ) -> None:
        """The owner asks for an invite to the room as it is now (its epoch)."""
        ctx = self._ctx
        _session, _name, key = ctx.in_room(conn_id, room)
        limits = self._limits
        ttl = limits.ttl_s if ttl_s is None else ttl_s
        count = 1 if uses is None else uses
        if ttl > limits.max_ttl_s:
            raise _out_of_range(room, "ttl_s", limits.max_ttl_s)
        if count > limits.max_uses:
            raise _out_of_range(room, "uses", limits.max_uses)
        now = ctx.clock.now()
        snapshot = await ctx.rooms.snapshot(room, now=now)
        if snapshot is None or not snapshot.members:
            raise ChatError(ErrorCode.NOT_IN_ROOM, "you are not in this room", room=room)
        if snapshot.members[0].key != key:
            raise ChatError(ErrorCode.NOT_OWNER, "only the room's owner may do that", room=room)
        claim = invites.mint(
            room=room, epoch=snapshot.epoch, expires_at=math.ceil(now) + ttl, uses=count
        )
        token = invites.encode(self._signer, claim)
        invitation = Invitation(
            room=room,
            token=token,
            expires_at=float(claim.expires_at),
            uses=count,
            url_path=f"/?room={room}&invite={token}",
        )
        ctx.hub.send(conn_id, invitation, ref)

    async def set_private(self, conn_id: str, room: str, private: bool) -> None:
        """The owner makes the room private or public; everyone in it is told."""
        ctx = self._ctx
        _session, name, key = ctx.in_room(conn_id, room)
        now = ctx.clock.now()
        await ctx.rooms.set_private(room, key, private, now=now)
        await ctx.publish(notices.privacy_changed(room, private, name, now), room)


def _out_of_range(room: str, field: str, most: int) -> ChatError:
    return ChatError(
        ErrorCode.INVALID_EVENT,
        "the event does not match the protocol",
        room=room,
        details=[{"path": f"invite.{field}", "message": f"at most {most} on this server"}],
    )
