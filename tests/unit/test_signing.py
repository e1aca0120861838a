"""Signed URLs and the HMAC signer (app/domain/signing.py): every field is bound."""

from __future__ import annotations

import pytest

from app.domain.signing import Signer, UrlCheck

KEY = b"k" * 32
NOW = 1_790_000_000.0
EXP = 1_790_000_300
ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def signer() -> Signer:
    return Signer(KEY)


def test_a_url_signature_checks_out_until_it_expires(signer: Signer) -> None:
    sig = signer.sign_url("PUT", "lobby", ID, EXP)
    assert signer.check_url("PUT", "lobby", ID, EXP, sig, now=NOW) is UrlCheck.VALID
    assert signer.check_url("PUT", "lobby", ID, EXP, sig, now=EXP - 0.001) is UrlCheck.VALID
    assert signer.check_url("PUT", "lobby", ID, EXP, sig, now=EXP) is UrlCheck.EXPIRED


@pytest.mark.parametrize(
    ("method", "room", "upload_id", "exp"),
    [
        pytest.param("GET", "lobby", ID, EXP, id="other-method"),
        pytest.param("PUT", "other", ID, EXP, id="other-room"),
        pytest.param("PUT", "lobby", "f" * 32, EXP, id="other-id"),
        pytest.param("PUT", "lobby", ID, EXP + 3600, id="later-expiry"),
    ],
)
def test_a_signature_is_bound_to_method_room_id_and_expiry(
    signer: Signer, method: str, room: str, upload_id: str, exp: int
) -> None:
    sig = signer.sign_url("PUT", "lobby", ID, EXP)
    assert signer.check_url(method, room, upload_id, exp, sig, now=NOW) is UrlCheck.INVALID


def test_an_altered_expiry_is_invalid_not_expired(signer: Signer) -> None:
    sig = signer.sign_url("GET", "lobby", ID, EXP)
    assert signer.check_url("GET", "lobby", ID, EXP - 400, sig, now=NOW) is UrlCheck.INVALID


def test_head_is_checked_as_get(signer: Signer) -> None:
    sig = signer.sign_url("GET", "lobby", ID, EXP)
    assert signer.check_url("HEAD", "lobby", ID, EXP, sig, now=NOW) is UrlCheck.VALID


def _flip(sig: str, index: int) -> str:
    ch = sig[index]
    return sig[:index] + ("B" if ch == "A" else "A") + sig[index + 1 :]


@pytest.mark.parametrize("index", [0, 21, 42])
def test_a_tampered_signature_is_invalid(signer: Signer, index: int) -> None:
    sig = signer.sign_url("GET", "lobby", ID, EXP)
    assert signer.check_url("GET", "lobby", ID, EXP, _flip(sig, index), now=NOW) is (
        UrlCheck.INVALID
    )


@pytest.mark.parametrize(
    "sig", ["", "x", "é" * 43, "=" * 43, "A" * 44, "A" * 43], ids=lambda s: f"len{len(s)}"
)
def test_garbage_signatures_are_invalid(signer: Signer, sig: str) -> None:
    assert signer.check_url("GET", "lobby", ID, EXP, sig, now=NOW) is UrlCheck.INVALID


def test_another_key_does_not_verify_but_the_previous_key_still_does() -> None:
    old, new = Signer(b"o" * 32), Signer(b"n" * 32)
    rotated = Signer(b"n" * 32, previous=b"o" * 32)
    sig = old.sign_url("GET", "lobby", ID, EXP)
    assert new.check_url("GET", "lobby", ID, EXP, sig, now=NOW) is UrlCheck.INVALID
    assert rotated.check_url("GET", "lobby", ID, EXP, sig, now=NOW) is UrlCheck.VALID
    assert rotated.sign_url("GET", "lobby", ID, EXP) == new.sign_url("GET", "lobby", ID, EXP)


def test_purposes_and_field_boundaries_are_part_of_what_is_signed(signer: Signer) -> None:
    assert signer.sign("url", "a", "b") != signer.sign("invite", "a", "b")
    assert signer.sign("x", "ab", "c") != signer.sign("x", "a", "bc")
    assert signer.verify(signer.sign("invite", "lobby", "e1"), "invite", "lobby", "e1")
    assert not signer.verify(signer.sign("invite", "lobby", "e1"), "url", "lobby", "e1")


def test_keys_shorter_than_32_bytes_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Signer(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        Signer(KEY, previous=b"short")
