"""The chat use cases (see service.py)."""

from app.services.chat.context import ChatLimits, Session, TextFilter
from app.services.chat.service import ChatService

__all__ = ["ChatLimits", "ChatService", "Session", "TextFilter"]
