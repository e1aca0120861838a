"""The chat use cases (see service.py)."""

from app.services.chat.context import ChatContext, ChatLimits, Session, TextFilter
from app.services.chat.privacy import InviteLimits
from app.services.chat.service import ChatService

__all__ = ["ChatContext", "ChatLimits", "ChatService", "InviteLimits", "Session", "TextFilter"]
