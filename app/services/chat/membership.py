"""Room membership: join (with resume), leave, disconnect, the presence sweep, and what the
room is told about each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from app.domain import notices
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.events import (
    Joined,
    LeaveReason,
    Left,
    MemberView,
    PresenceStatus,
    RecentView,
    YouView,
)
from app.domain.history import fit_newest
from app.domain.invites import InviteProof
from app.domain.model import LeaveChange, Member, roster_chars
from app.domain.policies.names import normalize_room_name
from app.ports import JoinOutcome, RoomSnapshot, StoreUnavailable
from app.services.chat.context import ChatContext, Session, check_rate
from app.services.tracing import traced

log = logging.getLogger("parrotchat.chat")


class Membership:
    def __init__(
        self,
        ctx: ChatContext,
        *,
        room_deleted: Callable[[str], Awaitable[None]] | None = None,
        read_invite: Callable[[str, str, str, str | None], InviteProof] | None = None,
        issue_pass: Callable[[str, str, str, str | None], str] | None = None,
    ) -> None:
        self._ctx = ctx
        # Privacy.read: a join's invite token (or rejoin pass), read for its room and joiner
        # (the store applies it); Privacy.issue_pass: the pass a private room's `joined` holds.
        self._read_invite = read_invite
        self._issue_pass = issue_pass
        self._tracer = ctx.tracer
        self._unsubscribing: set[asyncio.Task[None]] = set()
        # What else goes with a room (its attachments); part of the room's deletion.
        self._room_deleted = room_deleted

    @traced("chat.join")
    async def join(
        self,
        conn_id: str,
        room_name: str,
        *,
        since: int | None = None,
        epoch: str | None = None,
        ref: str | None = None,
        private: bool = False,
        invite: str | None = None,
    ) -> None:
        ctx = self._ctx
        session, name, key = ctx.named(conn_id)
        room = normalize_room_name(room_name)
        if room in session.rooms:
            raise ChatError(ErrorCode.ALREADY_IN_ROOM, "you are already in this room", room=room)
        most = ctx.limits.max_rooms_per_connection
        if len(session.rooms) >= most:
            raise ChatError(
                ErrorCode.TOO_MANY_ROOMS,
                f"one connection may be in at most {most} rooms",
                room=room,
            )
        check_rate(session.join_limit, ctx.clock.monotonic(), "joins", room)
        now = ctx.clock.now()
        member = Member(
            name=name,
            key=key,
            conn_id=conn_id,
            joined_at=now,
            last_active_at=now,
            node_id=ctx.node_id,
            sub=session.sub,
        )
        proof = (
            self._read_invite(invite, room, key, session.sub)
            if invite is not None and self._read_invite is not None
            else None
        )
        # Subscribe before joining (this node's Hub, then the node to the room's channel,
        # confirmed), so nothing published in between is missed.
        ctx.hub.subscribe(room, conn_id)
        try:
            await ctx.broker.subscribe(room)
        except BaseException:
            ctx.hub.unsubscribe(room, conn_id)
            raise
        try:
            outcome = await ctx.rooms.join(
                room,
                member,
                capacity=ctx.limits.max_room_members,
                now=now,
                private=private,
                invite=proof,
            )
        except BaseException:
            await self._unsubscribe(room, conn_id)
            raise
        # Only an admitted join counts against the join rate limit.
        session.join_limit.try_acquire(ctx.clock.monotonic())
        session.rooms.add(room)
        try:
            await self._welcome_to_room(
                session, room, outcome, since=since, epoch=epoch, ref=ref, now=now
            )
        except BaseException:
            # Whatever failed after admission, leave no half-joined member behind.
            session.rooms.discard(room)
            await self._unsubscribe(room, conn_id)
            with contextlib.suppress(StoreUnavailable):
                await ctx.rooms.leave(room, key, now=now)
            raise
        session.epochs[room] = outcome.room.epoch
        # The member is in and has its reply: a store failure from here on costs the room
        # a notice (presence corrects itself), not the join.
        try:
            if outcome.created:
                ctx.metrics.rooms(await ctx.rooms.count())
                await ctx.publish(notices.room_created(room, name, now), room)
            await ctx.publish(notices.member_joined(room, name, now), room)
            await ctx.announce(room, name, PresenceStatus.ONLINE, now)
        except StoreUnavailable as lost:
            log.warning("joined %s, but its notices were not published: %s", room, lost)

    async def _welcome_to_room(
        self,
        session: Session,
        room: str,
        outcome: JoinOutcome,
        *,
        since: int | None,
        epoch: str | None,
        ref: str | None,
        now: float,
    ) -> None:
        ctx = self._ctx
        conn_id, name = session.conn_id, session.name or ""
        snapshot = outcome.room
        if outcome.created:
            await ctx.history.drop(room)
        seq = await ctx.history.latest_seq(room)
        recovered_messages = (
            await ctx.history.since(room, since)
            if since is not None and epoch is not None and epoch == snapshot.epoch
            else None
        )
        history = (
            recovered_messages
            if recovered_messages is not None
            else await ctx.history.latest(room, ctx.limits.history_size)
        )
        # Whatever the room's past, `joined` fits the outbox: the members and `recent` are
        # bounded by the settings (app/settings.py checks they fit), history by what is left.
        budget = ctx.limits.reply_chars - roster_chars(snapshot.members, snapshot.recent)
        fitting = fit_newest(history, budget)
        if len(fitting) < len(history):
            # Not every missed message fits: the client resumes from history pages instead.
            history, recovered_messages = fitting, None
        joined = Joined(
            room=room,
            epoch=snapshot.epoch,
            seq=seq,
            owner=snapshot.owner or name,
            you=YouView(name=name, owner=snapshot.owner == name),
            members=_member_views(snapshot),
            recent=[RecentView(name=d.name, last_seen=d.last_seen) for d in snapshot.recent],
            history=history,
            recovered=recovered_messages is not None,
            private=snapshot.private,
            rejoin=(
                self._issue_pass(room, snapshot.epoch, session.key or "", session.sub)
                if snapshot.private and self._issue_pass is not None
                else None
            ),
        )
        ctx.tracer.annotate(room=room, members=len(snapshot.members), seq=seq)
        # Anything newer than the snapshot's seq that is already in `history` must not be
        # delivered again from the held events (possible with a shared store).
        newest = max([seq, *(m.seq for m in history[-1:])])
        ctx.hub.activate(room, conn_id, joined, ref, min_seq=newest)

    async def leave(self, conn_id: str, room: str, ref: str | None = None) -> None:
        session, _name, _key = self._ctx.in_room(conn_id, room)
        self._ctx.hub.send(conn_id, Left(room=room, reason=LeaveReason.LEFT), ref)
        await self._depart(session, room)

    def forget_room(self, conn_id: str, room: str) -> None:
        """The Hub removed this connection from `room` on the owner's order (kick or ban)."""
        session = self._ctx.sessions.get(conn_id)
        if session is not None:
            session.rooms.discard(room)
            session.epochs.pop(room, None)
        # The Hub calls this from a delivery, which cannot await: the node stops listening
        # to the room (if it was the last local member) on the next turn.
        task = asyncio.get_running_loop().create_task(self._ctx.broker.unsubscribe(room))
        self._unsubscribing.add(task)
        task.add_done_callback(self._unsubscribing.discard)

    async def disconnect(self, conn_id: str) -> None:
        """The connection is gone: leave every room, forget the session. Idempotent."""
        ctx = self._ctx
        session = ctx.sessions.pop(conn_id, None)
        try:
            if session is not None:
                for room in sorted(session.rooms):
                    try:
                        await self._depart(session, room)
                    except StoreUnavailable as lost:
                        # The node removes the membership once the store is back (Node).
                        log.warning("leaving %s on disconnect failed: %s", room, lost)
                    except Exception:
                        # One room's failure must not keep the member in the others.
                        log.exception("leaving %s on disconnect failed", room)
        finally:
            ctx.hub.detach(conn_id)

    async def sweep(self) -> None:
        """Periodic housekeeping: expire typing, departures and cooldowns; mark members away."""
        ctx = self._ctx
        for change in await ctx.rooms.sweep(now=ctx.clock.now()):
            member = change.member
            await ctx.announce(change.room, member.name, PresenceStatus.AWAY, member.last_active_at)

    async def _depart(self, session: Session, room: str) -> None:
        ctx = self._ctx
        now = ctx.clock.now()
        session.rooms.discard(room)
        session.epochs.pop(room, None)
        await self._unsubscribe(room, session.conn_id)
        if session.key is None:
            return
        change = await ctx.rooms.leave(room, session.key, now=now)
        if change is None:
            return
        if change.room_empty:
            await ctx.history.drop(room)
        try:
            await self.announce_departure(room, change, now)
        except StoreUnavailable as lost:
            log.warning("left %s, but its notices were not published: %s", room, lost)

    async def announce_departure(self, room: str, change: LeaveChange, now: float) -> None:
        """Tell the room a member left (here, or removed with a dead node): left, offline,
        and the new owner when the owner left; an emptied room is only counted."""
        ctx = self._ctx
        if change.room_empty:
            if self._room_deleted is not None:
                await self._room_deleted(room)
            ctx.metrics.rooms(await ctx.rooms.count())
            return
        name = change.departure.name
        await ctx.publish(notices.member_left(room, name, now), room)
        await ctx.announce(room, name, PresenceStatus.OFFLINE, now)
        if change.new_owner is not None:
            await ctx.publish(notices.owner_changed(room, change.new_owner, name, now), room)

    async def _unsubscribe(self, room: str, conn_id: str) -> None:
        """Undo a join's two subscriptions (the Hub's, and one count of the node's)."""
        self._ctx.hub.unsubscribe(room, conn_id)
        await self._ctx.broker.unsubscribe(room)


def _member_views(snapshot: RoomSnapshot) -> list[MemberView]:
    owner = snapshot.owner
    return [
        MemberView(
            name=m.name,
            owner=m.name == owner,
            joined_at=m.joined_at,
            last_active_at=m.last_active_at,
        )
        for m in snapshot.members
    ]
