"""The chat service's side of rejoin passes (in-memory adapters, a manual clock): which
`joined` carries one and for how long, that every `joined` renews it, and that `join.invite`
takes a pass or an invite and routes each to its own check."""

from __future__ import annotations

import base64
import json

import pytest

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.policies.names import name_key
from tests.support.harness import Harness, RecordingPeer

KEY = "rejoin-service-test-signing-key-0123456789"


def expiry(token: str) -> int:
    body = token.split(".", maxsplit=1)[0]
    return int(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["x"])


def last(peer: RecordingPeer, type_: str) -> dict[str, object]:
    return peer.events(type_)[-1]


async def started() -> Harness:
    return await Harness(secret_key=KEY, rejoin_ttl_s=120, rate_joins="100/1").start()


async def test_only_a_private_rooms_joined_carries_a_pass_of_the_set_lifetime() -> None:
    harness = await started()
    ann = await harness.member("c1", "Ann")
    await harness.chat.membership.join("c1", "hideout", private=True)
    await harness.chat.membership.join("c1", "lobby")
    private, public = ann.events("joined")
    assert isinstance(private["rejoin"], str)
    assert expiry(private["rejoin"]) == int(harness.clock.now()) + 120
    assert "rejoin" not in public


async def test_every_joined_renews_the_pass_and_the_old_one_still_expires() -> None:
    harness = await started()
    await harness.member("c1", "Ann")
    await harness.chat.membership.join("c1", "hideout", private=True)
    bob = await harness.member("c2", "Bob")
    await harness.chat.privacy.invite("c1", "hideout", ref="i")
    token = str(last(harness.peers["c1"], "invite")["token"])
    await harness.chat.membership.join("c2", "hideout", invite=token)
    first = str(last(bob, "joined")["rejoin"])
    harness.clock.advance(100)
    await harness.chat.membership.leave("c2", "hideout")
    await harness.chat.membership.join("c2", "hideout", invite=first)
    renewed = str(last(bob, "joined")["rejoin"])
    assert expiry(renewed) == expiry(first) + 100
    harness.clock.advance(30)  # the first pass is past its 120 s, the renewed one is not
    await harness.chat.membership.leave("c2", "hideout")
    with pytest.raises(ChatError) as refused:
        await harness.chat.membership.join("c2", "hideout", invite=first)
    assert refused.value.code is ErrorCode.INVITE_EXPIRED
    await harness.chat.membership.join("c2", "hideout", invite=renewed)
    assert len(bob.events("joined")) == 3


async def test_join_invite_takes_a_pass_or_an_invite_each_checked_as_what_it_is() -> None:
    harness = await started()
    await harness.member("c1", "Ann")
    await harness.chat.membership.join("c1", "hideout", private=True)
    ann_pass = str(last(harness.peers["c1"], "joined")["rejoin"])
    await harness.chat.privacy.invite("c1", "hideout", ref="i")
    token = str(last(harness.peers["c1"], "invite")["token"])
    privacy = harness.chat.privacy
    as_pass = privacy.read(ann_pass, "hideout", name_key("Ann"), None)
    assert (as_pass.pass_epoch, as_pass.claim, as_pass.refusal) == (
        last(harness.peers["c1"], "joined")["epoch"],
        None,
        None,
    )
    as_invite = privacy.read(token, "hideout", name_key("Bob"), None)
    assert as_invite.claim is not None
    assert as_invite.pass_epoch is None
    stolen = privacy.read(ann_pass, "hideout", name_key("Bob"), None)
    assert stolen.refusal is not None
    assert stolen.refusal.code.value == "invite_invalid"
    assert stolen.pass_epoch is None
