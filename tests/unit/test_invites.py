"""Invite tokens (app/domain/invites.py): what verifies, what does not and why, and the one rule
a private room applies to the invite a join carries."""

from __future__ import annotations

import base64
import json

import pytest

from app.domain import invites
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.invites import InviteClaim, InviteProof
from app.domain.signing import Signer

KEY = b"k" * 32
NOW = 1_790_000_000.0
SIGNER = Signer(KEY)


def claim(**overrides: object) -> InviteClaim:
    fields: dict[str, object] = {
        "room": "hideout",
        "epoch": "e1",
        "id": "abcdefghijklmnop",
        "expires_at": int(NOW) + 3600,
        "uses": 1,
    }
    fields.update(overrides)
    return InviteClaim(**fields)  # type: ignore[arg-type]  # test fields


def token(**overrides: object) -> str:
    return invites.encode(SIGNER, claim(**overrides))


def refusal(tok: str, *, room: str = "hideout", epoch: str | None = None, now: float = NOW) -> str:
    with pytest.raises(ChatError) as refused:
        invites.verify(SIGNER, tok, room=room, now=now, epoch=epoch)
    assert refused.value.room == room
    return refused.value.code.value


def test_a_genuine_invite_verifies_to_its_claim() -> None:
    assert invites.verify(SIGNER, token(), room="hideout", now=NOW, epoch="e1") == claim()


def test_minted_invites_have_random_96_bit_ids() -> None:
    made = {invites.mint(room="r", epoch="e", expires_at=1, uses=1).id for _ in range(50)}
    assert len(made) == 50
    assert all(len(base64.urlsafe_b64decode(i)) == 12 for i in made)


def test_an_expired_invite_is_invite_expired() -> None:
    assert refusal(token(), now=NOW + 3600) == "invite_expired"
    assert invites.verify(SIGNER, token(), room="hideout", now=NOW + 3599.9) == claim()


def test_an_invite_for_another_room_is_invalid() -> None:
    assert refusal(token(), room="elsewhere") == "invite_invalid"


def test_an_invite_of_another_epoch_is_invalid() -> None:
    assert refusal(token(), epoch="e2") == "invite_invalid"


def _reencode(tok: str, **changes: object) -> str:
    body, signature = tok.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload.update(changes)
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + signature


@pytest.mark.parametrize(
    "changes",
    [{"x": int(NOW) + 10**6}, {"u": 1000}, {"r": "other-room"}, {"e": "e2"}],
    ids=["later-expiry", "more-uses", "other-room", "other-epoch"],
)
def test_a_tampered_payload_is_invalid_not_expired(changes: dict[str, object]) -> None:
    tampered = _reencode(token(), **changes)
    room = str(changes.get("r", "hideout"))
    # Even past the original expiry, a tampered token is invalid (the signature is checked first).
    assert refusal(tampered, room=room, now=NOW + 7200) == "invite_invalid"


def test_a_tampered_signature_is_invalid() -> None:
    body, signature = token().split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert refusal(f"{body}.{flipped}") == "invite_invalid"
    assert refusal(f"{body}.") == "invite_invalid"


def test_another_keys_invite_is_invalid() -> None:
    other = invites.encode(Signer(b"o" * 32), claim())
    assert refusal(other) == "invite_invalid"


def test_the_previous_key_still_verifies_after_a_rotation() -> None:
    rotated = Signer(b"n" * 32, previous=KEY)
    assert invites.verify(rotated, token(), room="hideout", now=NOW) == claim()


def test_an_upload_signature_presented_as_an_invite_is_invalid() -> None:
    """Signatures are domain-separated by purpose: a URL signature over the same text never
    verifies as an invite."""
    body = token().split(".")[0]
    url_signature = SIGNER.sign("url", body)
    assert refusal(f"{body}.{url_signature}") == "invite_invalid"
    upload = SIGNER.sign_url("PUT", "hideout", "abcdefghijklmnop", int(NOW) + 3600)
    assert refusal(f"{body}.{upload}") == "invite_invalid"


@pytest.mark.parametrize(
    "garbage",
    ["", "no-dot", "a.b.c", "x" * 600, "!!!.???", "e30." + SIGNER.sign("invite", "e30")],
    ids=["empty", "no-dot", "three-parts", "too-long", "not-base64", "signed-empty-object"],
)
def test_malformed_tokens_are_invalid(garbage: str) -> None:
    assert refusal(garbage) == "invite_invalid"


def test_read_keeps_the_refusal_for_a_private_room_to_give() -> None:
    assert invites.read(SIGNER, token(), room="hideout", now=NOW) == InviteProof(claim=claim())
    proof = invites.read(SIGNER, token(), room="hideout", now=NOW + 4000)
    assert proof.claim is None
    assert proof.refusal is not None
    assert proof.refusal.code is ErrorCode.INVITE_EXPIRED


@pytest.mark.parametrize(
    ("proof", "used", "code"),
    [
        (None, 0, ErrorCode.INVITE_REQUIRED),
        (InviteProof(refusal=invites.invalid("hideout")), 0, ErrorCode.INVITE_INVALID),
        (InviteProof(claim=claim(epoch="old")), 0, ErrorCode.INVITE_INVALID),
        (InviteProof(claim=claim()), 1, ErrorCode.INVITE_USED),
        (InviteProof(claim=claim(uses=3)), 3, ErrorCode.INVITE_USED),
    ],
    ids=["none", "refused", "other-epoch", "single-use-reused", "all-uses-spent"],
)
def test_admission_refusals(proof: InviteProof | None, used: int, code: ErrorCode) -> None:
    refused = invites.admission_refusal("hideout", proof, epoch="e1", used_count=used)
    assert refused is not None
    assert refused.code is code


def test_admission_admits_an_unspent_invite_of_the_epoch() -> None:
    assert (
        invites.admission_refusal(
            "hideout", InviteProof(claim=claim(uses=3)), epoch="e1", used_count=2
        )
        is None
    )
