"""The pub/sub link matches (un)subscribe replies to commands by their order; a command Redis
refuses (an error reply) must take its place in that order, or every later confirmation is
matched to the wrong channel."""

from __future__ import annotations

from typing import Any

from redis.exceptions import ResponseError

from app.adapters.redis.subscriber import LinkOptions, Subscriber, _Wanted


def _subscriber() -> Subscriber:
    def connect() -> Any:
        raise AssertionError("not connected in this test")

    async def confirmed(channel: bytes) -> None:
        pass

    def publication(channel: bytes, data: bytes) -> None:
        pass

    return Subscriber(
        connect,
        LinkOptions(),
        on_confirmed=confirmed,
        on_publication=publication,
    )


def test_an_error_reply_answers_the_oldest_command_and_later_replies_still_match() -> None:
    subscriber = _subscriber()
    refused, later = _Wanted(), _Wanted()
    subscriber._expect.extend([(b"room-a", refused), (b"room-b", later)])
    subscriber._handle(ResponseError("NOPERM this user has no permissions to access 'room-a'"))
    assert list(subscriber._expect) == [(b"room-b", later)]
