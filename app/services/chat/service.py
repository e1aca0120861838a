"""ChatService: the chat use cases a connection drives, grouped by concern.

- `sessions` (sessions.py): `hello`, `ping`, the `error` answers and abuse budget (`deny`), the
  drain's goodbye;
- `membership` (membership.py): `join` (with resume), `leave`, `disconnect`, the presence
  `sweep`;
- `messaging` (messaging.py): `send`, `typing`, `history`;
- `moderation` (moderation.py): `kick`, `ban`;
- `privacy` (privacy.py): `invite`, `set_private` (private rooms; a join's invite);
- `attachments` (attachments.py): `attach`, and the uploads and downloads of its URLs.

Each applies the domain's policies, changes state through the ports, answers the caller through
the Hub and tells rooms through the Broker (even on one node, so a shared broker can replace the
in-memory one without touching this package). Denials are raised as ChatError; the caller turns
them into `error` events with `sessions.deny`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.services.auth import Authenticator
from app.services.chat.attachments import Attachments
from app.services.chat.context import ChatContext, ChatLimits, TextFilter
from app.services.chat.membership import Membership
from app.services.chat.messaging import Messaging
from app.services.chat.moderation import Moderation
from app.services.chat.privacy import Privacy
from app.services.chat.sessions import Sessions


@dataclass(frozen=True, slots=True)
class ChatService:
    limits: ChatLimits
    sessions: Sessions
    membership: Membership
    messaging: Messaging
    moderation: Moderation
    attachments: Attachments
    privacy: Privacy

    @classmethod
    def create(
        cls,
        ctx: ChatContext,
        *,
        render_html: Callable[[str], str],
        profanity: TextFilter,
        attachments: Attachments,
        privacy: Privacy,
        auth: Authenticator | None = None,
    ) -> ChatService:
        return cls(
            limits=ctx.limits,
            sessions=Sessions(ctx, auth),
            membership=Membership(
                ctx,
                room_deleted=attachments.room_deleted,
                read_invite=privacy.read,
                issue_pass=privacy.issue_pass,
            ),
            messaging=Messaging(
                ctx, render_html=render_html, profanity=profanity, attachments=attachments
            ),
            moderation=Moderation(ctx, profanity=profanity),
            attachments=attachments,
            privacy=privacy,
        )
