"""Rejoin passes (app/domain/passes.py): a pass verifies only for its room, its member's name key
and `sub`, before its expiry; never as an invite, nor an invite as a pass; and the one rule of
the stores admits it for its epoch only, without counting it."""

from __future__ import annotations

import base64
import json

import pytest

from app.domain import invites, passes
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.invites import InviteClaim, InviteProof
from app.domain.policies.names import name_key
from app.domain.signing import Signer

KEY = b"k" * 32
NOW = 1_790_000_000.0
SIGNER = Signer(KEY)
ALICE = name_key("Alice")


def issue(*, sub: str | None = "u-alice", signer: Signer = SIGNER, **overrides: object) -> str:
    fields: dict[str, object] = {
        "room": "hideout",
        "epoch": "e1",
        "key": ALICE,
        "sub": sub,
        "expires_at": int(NOW) + 3600,
    }
    fields.update(overrides)
    return passes.issue(signer, **fields)  # type: ignore[arg-type]  # test fields


def refusal(
    tok: str,
    *,
    room: str = "hideout",
    key: str = ALICE,
    sub: str | None = "u-alice",
    now: float = NOW,
) -> str:
    with pytest.raises(ChatError) as refused:
        passes.verify(SIGNER, tok, room=room, key=key, sub=sub, now=now)
    assert refused.value.room == room
    return refused.value.code.value


def test_a_genuine_pass_verifies_for_its_member() -> None:
    found = passes.verify(SIGNER, issue(), room="hideout", key=ALICE, sub="u-alice", now=NOW)
    assert (found.room, found.epoch, found.expires_at) == ("hideout", "e1", int(NOW) + 3600)
    assert found.key == passes.digest(ALICE)
    assert found.sub == passes.digest("u-alice")
    # A look-alike spelling of the name has the same key, so the same pass.
    assert passes.verify(
        SIGNER, issue(), room="hideout", key=name_key("ALICE"), sub="u-alice", now=NOW
    )


def test_a_guests_pass_names_no_sub() -> None:
    found = passes.verify(SIGNER, issue(sub=None), room="hideout", key=ALICE, sub=None, now=NOW)
    assert found.sub is None


def test_a_pass_for_another_room_is_invalid() -> None:
    assert refusal(issue(), room="elsewhere") == "invite_invalid"


def test_a_pass_of_another_epoch_is_refused_by_the_rule_of_the_stores() -> None:
    # The service does not know the epoch; the store's atomic step compares it.
    found = passes.verify(SIGNER, issue(), room="hideout", key=ALICE, sub="u-alice", now=NOW)
    proof = InviteProof(pass_epoch=found.epoch)
    assert invites.admission_refusal("hideout", proof, epoch="e1", used_count=0) is None
    other = invites.admission_refusal("hideout", proof, epoch="e2", used_count=0)
    assert other is not None
    assert other.code is ErrorCode.INVITE_INVALID


def test_a_pass_is_never_counted() -> None:
    proof = InviteProof(pass_epoch="e1")
    assert invites.admission_refusal("hideout", proof, epoch="e1", used_count=10**6) is None


def test_a_pass_for_another_name_is_invalid() -> None:
    assert refusal(issue(), key=name_key("Mallory")) == "invite_invalid"


def test_a_pass_for_another_sub_is_invalid() -> None:
    assert refusal(issue(), sub="u-mallory") == "invite_invalid"
    # Nor may a guest of that name use a signed-in member's pass.
    assert refusal(issue(), sub=None) == "invite_invalid"


def test_an_expired_pass_is_invite_expired() -> None:
    assert refusal(issue(), now=NOW + 3600) == "invite_expired"
    assert passes.verify(SIGNER, issue(), room="hideout", key=ALICE, sub="u-alice", now=NOW + 3599)


def _reencode(tok: str, **changes: object) -> str:
    body, signature = tok.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(changes)
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + signature


@pytest.mark.parametrize(
    "changes",
    [
        {"x": int(NOW) + 10**6},
        {"r": "other-room"},
        {"e": "e2"},
        {"k": passes.digest(name_key("Mallory"))},
        {"s": None},
    ],
    ids=["later-expiry", "other-room", "other-epoch", "other-name", "sub-removed"],
)
def test_a_tampered_pass_is_invalid_even_when_it_says_expired(changes: dict[str, object]) -> None:
    tampered = _reencode(issue(), **changes)
    assert not passes.signed_as_pass(SIGNER, tampered)
    assert refusal(tampered) == "invite_invalid"
    assert refusal(tampered, now=NOW + 10**7) == "invite_invalid"


def test_a_pass_of_another_key_is_invalid() -> None:
    other = issue(signer=Signer(b"o" * 32))
    assert not passes.signed_as_pass(SIGNER, other)
    assert refusal(other) == "invite_invalid"
    # The previous key of a rotation still verifies passes it signed.
    assert passes.signed_as_pass(Signer(b"n" * 32, previous=KEY), issue())


@pytest.mark.parametrize("junk", ["", ".", "a.b.c", "x" * 600, "%%%.%%%"])
def test_malformed_passes_are_invalid(junk: str) -> None:
    assert not passes.signed_as_pass(SIGNER, junk)
    assert refusal(junk) == "invite_invalid"


def test_an_invite_presented_as_a_pass_is_invalid() -> None:
    invite = invites.encode(
        SIGNER,
        InviteClaim(room="hideout", epoch="e1", id="abc", expires_at=int(NOW) + 60, uses=5),
    )
    assert invites.verify(SIGNER, invite, room="hideout", now=NOW).uses == 5
    assert not passes.signed_as_pass(SIGNER, invite)
    assert refusal(invite) == "invite_invalid"


def test_a_pass_presented_as_an_invite_is_invalid() -> None:
    with pytest.raises(ChatError) as refused:
        invites.verify(SIGNER, issue(), room="hideout", now=NOW)
    assert refused.value.code is ErrorCode.INVITE_INVALID
    # Nor does re-signing its payload under the invite purpose by hand make one: the purpose
    # is part of what is signed, so the body with a pass's signature is no invite's.
    body, signature = issue().split(".")
    assert not SIGNER.verify(signature, invites.PURPOSE, body)


def test_a_pass_fits_the_join_field_for_the_longest_name_and_sub() -> None:
    longest = issue(room="r" * 30, epoch="f" * 12, key="\U0001d400" * 72, sub="\u00e9" * 256)
    assert len(longest) <= invites.MAX_TOKEN_CHARS
    assert passes.signed_as_pass(SIGNER, longest)
