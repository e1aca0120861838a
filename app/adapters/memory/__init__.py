"""In-memory adapters: the default for one node, and the fakes the tests use.

Each method runs without awaiting anything, so on one event loop every call is atomic, the
same guarantee the Redis adapter gets from Lua scripts.
"""

from app.adapters.memory.broker import MemoryBroker
from app.adapters.memory.history import MemoryHistoryStore
from app.adapters.memory.rooms import MemoryRoomStore, new_epoch

__all__ = ["MemoryBroker", "MemoryHistoryStore", "MemoryRoomStore", "new_epoch"]
