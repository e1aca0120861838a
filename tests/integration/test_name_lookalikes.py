"""Issue 10, attack 6: look-alike names never join beside the name they imitate (real uvicorn)."""

from __future__ import annotations

import pytest

from tests.support.client import ChatClient, connected
from tests.support.server import RunningServer


@pytest.mark.parametrize(
    ("present", "newcomer", "code"),
    [
        pytest.param("Alice", "AIice", "name_taken", id="capital-i-for-l"),
        pytest.param("Alice", "Alice\u034f", "name_invalid", id="U+034F-grapheme-joiner"),
        pytest.param("Alice", "Alice\ufe0f", "name_invalid", id="U+FE0F-variation-selector"),
        pytest.param("Alice", "Alice\u17b4", "name_invalid", id="U+17B4-khmer-inherent-aq"),
        pytest.param("Wilham", "Wilharn", "name_taken", id="rn-for-m"),
    ],
)
async def test_look_alike_of_a_member_never_joins(
    server: RunningServer, room: str, present: str, newcomer: str, code: str
) -> None:
    member = await connected(server.ws_url, present, room)
    intruder = await ChatClient.open(server.ws_url)
    await intruder.send(type="hello", name=newcomer, ref="h")
    reply = await intruder.recv()
    if reply["type"] == "welcome":
        await intruder.send(type="join", room=room, ref="j")
        reply = await intruder.expect("error")
    assert (reply["type"], reply.get("code")) == ("error", code), reply
    if code == "name_invalid":
        assert f"U+{ord(newcomer[-1]):04X}" in reply["reason"]
        # Without a name the connection cannot join at all.
        await intruder.send(type="join", room=room)
        assert (await intruder.expect("error"))["code"] == "hello_required"
    await intruder.quiet(0.3)
    assert [e for e in intruder.seen if e["type"] == "joined"] == []
    await member.quiet(0.3)
    joins = [e for e in member.seen if e.get("event") == "member_joined"]
    assert [e["data"]["name"] for e in joins] == [present]
    await intruder.close()
    await member.close()
