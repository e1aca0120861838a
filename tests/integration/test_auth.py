"""PARROT_AUTH on a real server: hello{token} verified end to end (a token minted the way
`task token` mints it), guests let in or refused, refusals closing 1008."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support.client import ChatClient
from tests.support.server import RunningServer, start_server
from tools.mint_token import mint

SECRET = "integration-secret-that-is-long-enough-1234"
ISSUER = "https://id.example"
AUDIENCE = "parrotchat"


def _server(mode: str) -> Iterator[RunningServer]:
    running = start_server(
        {
            "PARROT_AUTH": mode,
            "PARROT_JWT_SECRET": SECRET,
            "PARROT_JWT_ISSUER": ISSUER,
            "PARROT_JWT_AUDIENCE": AUDIENCE,
        }
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def required_server() -> Iterator[RunningServer]:
    yield from _server("required")


@pytest.fixture(scope="module")
def optional_server() -> Iterator[RunningServer]:
    yield from _server("optional")


def token(**kw: object) -> str:
    return mint(SECRET, issuer=ISSUER, audience=AUDIENCE, **kw)  # type: ignore[arg-type]  # test keywords


async def test_required_a_token_signs_in_and_names_the_user(
    required_server: RunningServer, room: str
) -> None:
    alice = await ChatClient.open(required_server.ws_url)
    bob = await ChatClient.open(required_server.ws_url)
    await alice.send(type="hello", name="ignored", token=token(sub="u-alice", name="Alice"))
    welcome = await alice.expect("welcome")
    assert (welcome["name"], welcome["authenticated"]) == ("Alice", True)
    await bob.send(type="hello", name="Bob", token=token(sub="u-bob"), ref="h1")
    assert (await bob.expect("welcome"))["name"] == "Bob"
    for client in (alice, bob):
        await client.send(type="join", room=room)
        await client.expect("joined")
    await bob.send(type="send", room=room, text="hi :wave:")
    message = await alice.expect("message")
    assert (message["author"], message["text"]) == ("Bob", "hi \U0001f44b")
    assert "u-bob" not in str(message)  # the user id is not broadcast


@pytest.mark.parametrize(
    ("hello", "reason"),
    [
        pytest.param({}, "requires a token", id="no-token"),
        pytest.param({"token": "not-a-jwt"}, "could not be verified", id="garbage"),
        pytest.param({"token": mint("x" * 40, sub="u")}, "could not be verified", id="other-key"),
        pytest.param({"token": token(sub="u", ttl_s=-120)}, "expired", id="expired"),
        pytest.param(
            {"token": mint(SECRET, sub="u", audience=AUDIENCE)}, "no iss claim", id="no-issuer"
        ),
    ],
)
async def test_required_refusals_are_auth_failed_then_1008(
    required_server: RunningServer, hello: dict[str, str], reason: str
) -> None:
    client = await ChatClient.open(required_server.ws_url)
    await client.send(type="hello", name="Mallory", ref="h1", **hello)
    error = await client.expect("error")
    assert error["code"] == "auth_failed"
    assert reason in error["reason"]
    assert error["ref"] == "h1"
    assert SECRET not in error["reason"]
    assert await client.close_code() == 1008
    # The session never got a name: nothing of the refused token reached a room.
    assert "Mallory" not in required_server.log_text()


async def test_optional_guests_and_users_side_by_side(
    optional_server: RunningServer, room: str
) -> None:
    guest = await ChatClient.open(optional_server.ws_url)
    user = await ChatClient.open(optional_server.ws_url)
    await guest.send(type="hello", name="Guest")
    assert (await guest.expect("welcome"))["authenticated"] is False
    await user.send(type="hello", name="x", token=token(sub="u1", name="Carol"))
    assert (await user.expect("welcome"))["authenticated"] is True
    for client in (guest, user):
        await client.send(type="join", room=room)
        await client.expect("joined")
    await user.send(type="send", room=room, text="hello guest")
    assert (await guest.expect("message"))["author"] == "Carol"


async def test_optional_a_bad_token_is_still_refused(optional_server: RunningServer) -> None:
    client = await ChatClient.open(optional_server.ws_url)
    await client.send(type="hello", name="Dave", token=token(sub="u", ttl_s=-120))
    assert (await client.expect("error"))["code"] == "auth_failed"
    assert await client.close_code() == 1008


async def test_the_default_server_ignores_tokens(server: RunningServer) -> None:
    client = await ChatClient.open(server.ws_url)
    await client.send(type="hello", name="Erin", token="anything")
    welcome = await client.expect("welcome")
    assert (welcome["name"], welcome["authenticated"]) == ("Erin", False)


def test_auth_without_a_key_refuses_to_start() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARROT_")}
    env |= {"PARROT_AUTH": "required", "PARROT_PORT": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "app"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode != 0
    assert "PARROT_AUTH=required" in done.stderr
