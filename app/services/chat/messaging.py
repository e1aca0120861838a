"""Messaging: sending a message (normalised, filtered, rendered, numbered, broadcast), typing,
and paging back through history."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from app.domain.attachments import Attachment
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.events import HistoryPage, PresenceStatus, Typing
from app.domain.history import MAX_HISTORY_PAGE, MessageDraft, fit_newest
from app.domain.model import TYPING_TTL_S
from app.services.chat.attachments import Attachments
from app.services.chat.context import ChatContext, TextFilter, check_rate, screen
from app.services.tracing import traced


class Messaging:
    def __init__(
        self,
        ctx: ChatContext,
        *,
        render_html: Callable[[str], str],
        profanity: TextFilter,
        attachments: Attachments | None = None,
    ) -> None:
        self._ctx = ctx
        self._tracer = ctx.tracer
        self._render_html = render_html
        self._profanity = profanity
        self._attachments = attachments

    @traced("chat.send")
    async def send(
        self,
        conn_id: str,
        room: str,
        text: str,
        ref: str | None = None,
        *,
        attachment: str | None = None,
    ) -> None:
        ctx = self._ctx
        session, name, key = ctx.in_room(conn_id, room)
        check_rate(session.message_limit, ctx.clock.monotonic(), "messages", room)
        if attachment is not None and not text.strip():
            clean = ""  # a file alone is a message
        else:
            clean = screen(
                self._profanity,
                text,
                max_chars=ctx.limits.max_message_chars,
                room=room,
                what="your message",
            )
        html = self._render_html(clean)
        # Claimed last, so that a refused text does not use the attachment up.
        attached = await self._claim(conn_id, room, attachment) if attachment else None
        now = ctx.clock.now()
        draft = MessageDraft(
            room=room,
            id=uuid.uuid4().hex,
            author=name,
            text=clean,
            html=html,
            ts=now,
            attachment=attached,
        )
        # One step: the author's activity (and presence, if they were away), then the
        # message numbered, kept and published, so every node gets a room's messages in seq
        # order; the sender's copy (with its ref) is its only acknowledgement. A store
        # failure raises before anything is acknowledged.
        message = await ctx.broker.publish_message(
            draft,
            reply_conn=conn_id,
            reply_ref=ref,
            accepted_at=ctx.clock.monotonic(),
            author_key=key,
        )
        # Only an accepted message counts against the rate limit; refused ones (empty, too
        # long, blocked) are the abuse budget's business.
        session.message_limit.try_acquire(ctx.clock.monotonic())
        ctx.metrics.message_in()
        ctx.tracer.annotate(room=room, seq=message.seq)

    async def _claim(self, conn_id: str, room: str, upload_id: str) -> Attachment:
        if self._attachments is None:
            raise ChatError(ErrorCode.ATTACHMENTS_DISABLED, "this server takes no attachments")
        return await self._attachments.claim(conn_id, room, upload_id)

    async def typing(self, conn_id: str, room: str) -> None:
        ctx = self._ctx
        _session, name, key = ctx.in_room(conn_id, room)
        now = ctx.clock.now()
        if await ctx.rooms.touch(room, key, now=now):
            await ctx.announce(room, name, PresenceStatus.ONLINE, now)
        if await ctx.rooms.typing(room, key, now=now):
            await ctx.publish(
                Typing(room=room, name=name, ttl_ms=int(TYPING_TTL_S * 1000)),
                room,
                exclude_conn=conn_id,
            )

    async def history(
        self,
        conn_id: str,
        room: str,
        *,
        before: int | None = None,
        limit: int | None = None,
        ref: str | None = None,
    ) -> None:
        ctx = self._ctx
        ctx.in_room(conn_id, room)
        size = ctx.limits.history_size if limit is None else max(1, min(limit, MAX_HISTORY_PAGE))
        messages, has_more = await ctx.history.before(room, before, size)
        fitting = fit_newest(messages, ctx.limits.reply_chars)
        has_more = has_more or len(fitting) < len(messages)
        ctx.hub.send(conn_id, HistoryPage(room=room, messages=fitting, has_more=has_more), ref)
