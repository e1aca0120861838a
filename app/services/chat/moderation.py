"""Moderation: the owner kicks (with a cooldown) or bans a member; the target is told, the room
is told, and the reason is cleaned like a message."""

from __future__ import annotations

from app.domain import notices
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.events import Banned, Eviction, Kicked, LeaveReason, PresenceStatus
from app.domain.policies.names import name_key
from app.domain.timefmt import ceil_ms
from app.services.chat.context import ChatContext, TextFilter, screen

MAX_REASON_CHARS = 200


class Moderation:
    def __init__(self, ctx: ChatContext, *, profanity: TextFilter) -> None:
        self._ctx = ctx
        self._profanity = profanity

    async def kick(self, conn_id: str, room: str, target: str, reason: str | None = None) -> None:
        """Remove a member, who may not rejoin for the kick cooldown."""
        await self._evict(conn_id, room, target, reason, ban=False)

    async def ban(self, conn_id: str, room: str, target: str, reason: str | None = None) -> None:
        """Remove a member until the room is deleted."""
        await self._evict(conn_id, room, target, reason, ban=True)

    async def _evict(
        self, conn_id: str, room: str, target: str, reason: str | None, *, ban: bool
    ) -> None:
        ctx = self._ctx
        _session, name, key = ctx.in_room(conn_id, room)
        reason = self._clean_reason(reason, room)
        now = ctx.clock.now()
        cooldown_s = ctx.limits.kick_cooldown_s
        member, change = await ctx.rooms.evict(
            room, key, name_key(target), ban=ban, cooldown_s=cooldown_s, now=now
        )
        notice: Kicked | Banned = (
            Banned(room=room, by=name, reason=reason)
            if ban
            else Kicked(room=room, by=name, reason=reason, retry_after_ms=ceil_ms(cooldown_s))
        )
        leave_reason = LeaveReason.BANNED if ban else LeaveReason.KICKED
        await ctx.publish(
            Eviction(room=room, conn_id=member.conn_id, notice=notice, reason=leave_reason), room
        )
        await ctx.publish(notices.member_evicted(room, member.name, name, now, ban=ban), room)
        await ctx.announce(room, member.name, PresenceStatus.OFFLINE, change.departure.last_seen)

    def _clean_reason(self, reason: str | None, room: str) -> str | None:
        """A moderation reason reaches the target like a message does: normalised, with
        control and bidi characters removed and the word lists applied."""
        if reason is None:
            return None
        try:
            return screen(
                self._profanity, reason, max_chars=MAX_REASON_CHARS, room=room, what="the reason"
            )
        except ChatError as refused:
            if refused.code is ErrorCode.MESSAGE_EMPTY:
                return None
            raise
