"""A broadcast's frame is written straight to each member's transport when nothing is queued for
that member (ADR 0023), through the protocol classes the real server runs: if uvicorn's
internals that path leans on changed, frames would take the outbox instead, and the counts
below would say so."""

from __future__ import annotations

import httpx

from tests.support.client import chatting
from tests.support.metrics import sample
from tests.support.server import RunningServer

MEMBERS = 3
MESSAGES = 5


async def test_broadcasts_take_the_direct_path_and_are_counted_once_each(
    server: RunningServer, room: str
) -> None:
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        before = (await http.get("/metrics")).text
        names = [f"direct{n}" for n in range(MEMBERS)]
        async with chatting(server.ws_url, *names, room=room) as clients:
            for n in range(MESSAGES):
                await clients[0].send(type="send", room=room, text=f"m{n}")
                for client in clients:
                    await client.expect("message", text=f"m{n}")
        after = (await http.get("/metrics")).text

    def delta(name: str) -> float:
        return sample(after, name) - sample(before, name)

    assert delta("parrotchat_msgs_out_total") == MEMBERS * MESSAGES
    # One observation per broadcast; a frame that had to queue would add one of its own.
    assert delta("parrotchat_broadcast_latency_seconds_count") == MESSAGES
