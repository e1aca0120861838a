"""HistoryStore on Redis: per room a seq counter and a capped list of the newest messages,
`<prefix>{room}:seq` and `<prefix>{room}:log`. Messages are added by the publish script
(Broker.publish_message), which numbers, keeps and publishes them in one step."""

from __future__ import annotations

from redis.asyncio import Redis

from app.adapters.redis import codec
from app.adapters.redis.keys import Keys
from app.adapters.redis.scripts import Scripts
from app.domain.history import History, Message


def ring(size: int, seq: int, messages: list[Message]) -> History:
    """The domain's History over what Redis keeps, so reads answer exactly as in memory."""
    history = History(size)
    history.seq = messages[0].seq - 1 if messages else seq
    for message in messages:
        history.append(message)
    return history


class RedisHistoryStore:
    def __init__(self, client: Redis, scripts: Scripts, keys: Keys, *, size: int) -> None:
        if size < 1:
            raise ValueError("history size must be at least 1")
        self._client = client
        self._scripts = scripts
        self._keys = keys
        self.size = size

    async def read(self, room: str) -> tuple[str | None, History]:
        """The room's epoch (None when it does not exist) and its kept history, read in one
        transaction."""
        with self._scripts.round_trip("history_read"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hget(self._keys.room(room, "meta"), "epoch")
                pipe.get(self._keys.room(room, "seq"))
                pipe.lrange(self._keys.room(room, "log"), 0, -1)
                epoch, seq, raw = await pipe.execute()
        messages = [codec.decode_stored(room, r) for r in raw]
        return epoch, ring(self.size, int(seq or 0), messages)

    async def latest_seq(self, room: str) -> int:
        with self._scripts.round_trip("history_latest_seq"):
            return int(await self._client.get(self._keys.room(room, "seq")) or 0)

    async def latest(self, room: str, limit: int | None = None) -> list[Message]:
        if limit is not None and limit <= 0:
            return []
        start = 0 if limit is None else -limit
        with self._scripts.round_trip("history_latest"):
            raw = await self._client.lrange(self._keys.room(room, "log"), start, -1)
        return [codec.decode_stored(room, r) for r in raw]

    async def since(self, room: str, seq: int) -> list[Message] | None:
        _, history = await self.read(room)
        return history.since(seq)

    async def before(self, room: str, seq: int | None, limit: int) -> tuple[list[Message], bool]:
        _, history = await self.read(room)
        return history.before(seq, limit)

    async def last_message_at(self, room: str) -> float | None:
        with self._scripts.round_trip("history_last_message_at"):
            raw = await self._client.lindex(self._keys.room(room, "log"), -1)
        return None if raw is None else codec.decode_stored(room, raw).ts

    async def drop(self, room: str) -> None:
        """Forget the history of a room that no longer exists (the room scripts already
        delete it with the room; a room that exists again keeps its new history)."""
        self._keys.room_base(room)
        await self._scripts.run("drop_history", room)
