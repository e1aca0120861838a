"""hello with a token (PARROT_AUTH), on the in-memory adapters with a fake verifier: what a
session becomes, what `welcome` says, and what a refusal does to the connection."""

from __future__ import annotations

import pytest

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.ports import Identity, TokenRejected
from tests.support.harness import Harness


class FakeVerifier:
    """Tokens are `ok:<sub>[:<name>]`; anything else is refused as a real verifier would."""

    def verify(self, token: str) -> Identity:
        kind, _, rest = token.partition(":")
        if kind != "ok":
            raise TokenRejected("the token could not be verified")
        sub, _, name = rest.partition(":")
        return Identity(sub=sub, name=name or None)


async def harness(auth: str) -> Harness:
    return await Harness(auth=auth, adapters={"token_verifier": FakeVerifier()}).start()


@pytest.mark.parametrize("auth", ["optional", "required"])
async def test_a_verified_token_names_the_session(auth: str) -> None:
    h = await harness(auth)
    peer = h.connect("c1")
    await h.chat.sessions.hello("c1", "Whoever", token="ok:user-42:Alice")
    (welcome,) = peer.events("welcome")
    assert welcome["name"] == "Alice"
    assert welcome["authenticated"] is True
    session = h.chat.sessions.get("c1")
    assert session is not None
    assert session.sub == "user-42"


async def test_without_a_name_claim_the_hello_name_is_used() -> None:
    h = await harness("optional")
    peer = h.connect("c1")
    await h.chat.sessions.hello("c1", "Bob", token="ok:user-7")
    assert peer.events("welcome")[0]["name"] == "Bob"


async def test_optional_auth_lets_guests_in_unauthenticated() -> None:
    h = await harness("optional")
    peer = h.connect("c1")
    await h.chat.sessions.hello("c1", "Guest")
    assert peer.events("welcome")[0]["authenticated"] is False
    session = h.chat.sessions.get("c1")
    assert session is not None
    assert session.sub is None


async def test_with_auth_off_a_token_is_ignored() -> None:
    h = await harness("off")
    peer = h.connect("c1")
    await h.chat.sessions.hello("c1", "Guest", token="garbage")
    assert peer.events("welcome")[0]["authenticated"] is False


@pytest.mark.parametrize(
    ("auth", "token"),
    [
        pytest.param("required", None, id="required-without-token"),
        pytest.param("required", "forged", id="required-bad-token"),
        pytest.param("optional", "forged", id="optional-bad-token"),
    ],
)
async def test_a_refused_hello_is_auth_failed_then_1008(auth: str, token: str | None) -> None:
    h = await harness(auth)
    peer = h.connect("c1")
    with pytest.raises(ChatError) as refused:
        await h.chat.sessions.hello("c1", "Mallory", token=token)
    assert refused.value.code is ErrorCode.AUTH_FAILED
    h.container.connections.deny(peer, refused.value)
    (error,) = peer.events("error")
    assert error["code"] == "auth_failed"
    assert "key" not in error["reason"]
    assert "secret" not in error["reason"]
    assert peer.close_code == 1008
    session = h.chat.sessions.get("c1")
    assert session is not None
    assert session.name is None


async def test_a_token_name_that_breaks_the_name_rules_says_where_it_came_from() -> None:
    h = await harness("required")
    h.connect("c1")
    with pytest.raises(ChatError) as refused:
        await h.chat.sessions.hello("c1", "Fine", token="ok:u1:x")
    assert refused.value.code is ErrorCode.NAME_INVALID
    assert refused.value.reason.startswith("the name in your token")


async def test_token_names_are_still_unique_per_room() -> None:
    h = await harness("required")
    h.connect("c1")
    h.connect("c2")
    await h.chat.sessions.hello("c1", "x1", token="ok:u1:Alice")
    await h.chat.sessions.hello("c2", "x2", token="ok:u2:ALICE")
    await h.chat.membership.join("c1", "lobby")
    with pytest.raises(ChatError) as refused:
        await h.chat.membership.join("c2", "lobby")
    assert refused.value.code is ErrorCode.NAME_TAKEN


def test_auth_without_a_key_stops_the_server() -> None:
    from app.bootstrap import ConfigurationError

    with pytest.raises(ConfigurationError, match="PARROT_AUTH=required"):
        Harness(auth="required")
