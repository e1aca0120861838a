"""Inbound fairness and bounded state against a real server (issue 10, attacks 4 and 5;
docs/security.md H4, H5)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from tests.support.client import ChatClient, chatting, connected
from tests.support.raw import RawPeer, encode_frame
from tests.support.server import start_server

FLOODERS = 10
TYPING_PER_FLOODER = 20_000


def _flood(peer: RawPeer, room: str) -> None:
    frame = encode_frame(json.dumps({"type": "typing", "room": room}).encode())
    peer.sock.settimeout(30)
    # The server closing (or resetting) the flooder part-way is what this test wants.
    with contextlib.suppress(OSError):
        peer.sock.sendall(frame * TYPING_PER_FLOODER)  # ~1 MB in one go


async def test_typing_floods_are_closed_1008_and_others_keep_their_turn(room: str) -> None:
    server = start_server()  # the default event budget: 20 a second
    try:
        flooders = []
        for n in range(FLOODERS):
            peer = RawPeer(server.port, recv_buffer=1 << 20)
            assert peer.status == 101
            peer.send_json(type="hello", name=f"Flooder{n}")
            peer.send_json(type="join", room=room)
            flooders.append(peer)
        async with chatting(server.ws_url, "Bystander", room=f"{room}-calm") as (bystander,):
            await asyncio.sleep(0.3)  # the flooders' hellos and joins are through
            floods = [asyncio.create_task(asyncio.to_thread(_flood, p, room)) for p in flooders]
            delays = []
            for n in range(12):  # under the bystander's own event budget
                started = time.monotonic()
                await bystander.send(type="ping", ref=f"p{n}")
                await bystander.expect("pong", ref=f"p{n}")
                delays.append(time.monotonic() - started)
                await asyncio.sleep(0.05)
            await asyncio.gather(*floods)
            codes = [await asyncio.to_thread(_close_code, p) for p in flooders]
        assert codes == [1008] * FLOODERS, codes
        # Before: 0.7-1.7 s behind ten floods; now tens of milliseconds. The bound is loose and
        # spares one outlier for a busy machine; the close codes above are what fails
        # deterministically on the old code.
        print(f"bystander ping delays: max {max(delays) * 1000:.1f} ms")
        assert sorted(delays)[-2] < 0.5, delays
    finally:
        for peer in flooders:
            peer.close()
        server.stop()


def _close_code(peer: RawPeer) -> int | None:
    peer.closed_by_server(timeout=15)
    return peer.close_code()


async def test_churn_cannot_grow_a_rooms_recent_list(room: str) -> None:
    server = start_server({"PARROT_RECENT_DEPARTURES": "5"})
    try:
        async with chatting(server.ws_url, "Keeper", room=room):
            for n in range(30):
                guest = await connected(server.ws_url, f"Guest{n}", room)
                await guest.close()
            await asyncio.sleep(0.2)
            async with await ChatClient.open(server.ws_url) as late:
                await late.hello("Late")
                joined = await late.join(room)
        assert [r["name"] for r in joined["recent"]] == [f"Guest{n}" for n in range(25, 30)]
    finally:
        server.stop()
