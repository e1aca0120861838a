"""Guest names, name keys and room names (docs/security.md rows 16-20)."""

from __future__ import annotations

import random
import sys
import unicodedata

import pytest

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.policies._confusables import CONFUSABLES
from app.domain.policies.names import (
    RESERVED_GUEST_NAMES,
    RESERVED_ROOM_NAMES,
    ROOM_NAME_PATTERN,
    ROOM_NAME_RE,
    is_reserved_guest_name,
    name_key,
    normalize_guest_name,
    normalize_room_name,
)

CYRILLIC_A = "\u0430"
CYRILLIC_DZE = "\u0455"  # looks like s


def fullwidth(ascii_text: str) -> str:
    return "".join(chr(0xFF00 + ord(c) - 0x20) for c in ascii_text)


FULLWIDTH_SYSTEM = fullwidth("system")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("José", "José", id="latin-accent"),
        pytest.param("Jose\u0301", "José", id="decomposed-accent-composed"),
        pytest.param("Мария", "Мария", id="cyrillic"),
        pytest.param("太郎", "太郎", id="cjk"),
        pytest.param("van der Berg", "van der Berg", id="inner-spaces"),
        pytest.param("ann-marie.o_k", "ann-marie.o_k", id="punctuation"),
        pytest.param("  alice  ", "alice", id="stripped"),
        pytest.param("\u3000alice\u00a0", "alice", id="unicode-spaces-stripped"),
        pytest.param("ab", "ab", id="two-chars"),
        pytest.param("x" * 24, "x" * 24, id="twenty-four-chars"),
        pytest.param("ﬁona", "fiona", id="nfkc-ligature"),
        pytest.param(fullwidth("bob"), "bob", id="nfkc-fullwidth"),
        pytest.param("R2D2", "R2D2", id="digits"),
        pytest.param("محمد", "محمد", id="arabic"),
        pytest.param("नमस्ते", "नमस्ते", id="devanagari-marks"),
        pytest.param("_bob_", "_bob_", id="underscores"),
        pytest.param("admin2", "admin2", id="reserved-prefix-is-fine"),
        pytest.param("the admin", "the admin", id="reserved-word-inside-is-fine"),
    ],
)
def test_accepted_names(raw: str, expected: str) -> None:
    assert normalize_guest_name(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("a", id="one-char"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="only-spaces"),
        pytest.param("x" * 25, id="25-chars"),
        pytest.param("x" * 10_000, id="huge"),
        pytest.param("sys\u200btem", id="zero-width-space"),
        pytest.param("al\u200dice", id="zero-width-joiner"),
        pytest.param("\ufeffalice", id="bom"),
        pytest.param("alice\u202e", id="bidi-override-rlo"),
        pytest.param("\u2066alice\u2069", id="bidi-isolate"),
        pytest.param("ali\u200fce", id="rlm"),
        pytest.param("ali\x00ce", id="nul"),
        pytest.param("ali\x1b[2Jce", id="escape"),
        pytest.param("alice\n", id="trailing-newline"),
        pytest.param("\talice", id="leading-tab"),
        pytest.param("ali\x7fce", id="del"),
        pytest.param("ali\ue000ce", id="private-use"),
        pytest.param("ali\ud800ce", id="lone-surrogate"),
        pytest.param("ali\u0378ce", id="unassigned"),
        pytest.param("al  ice", id="double-space"),
        pytest.param("al\u2028ice", id="line-separator"),
        pytest.param("alice!", id="punctuation"),
        pytest.param("<b>x</b>", id="markup"),
        pytest.param("bob\U0001f600", id="emoji"),
        pytest.param("--", id="no-letter-or-digit"),
        pytest.param("\u0301ab", id="leading-mark"),
        pytest.param("a" + "\u0301" * 6 + "b", id="zalgo"),
        pytest.param("\u3164\u3164", id="hangul-filler"),
        pytest.param("ab\U000e0041", id="tag-character"),
    ],
)
def test_invalid_names(raw: str) -> None:
    with pytest.raises(ChatError) as info:
        normalize_guest_name(raw)
    assert info.value.code is ErrorCode.NAME_INVALID
    assert info.value.reason
    # The reason never echoes an invisible or control character.
    assert all(ch.isprintable() for ch in info.value.reason)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("system", id="system"),
        pytest.param("System", id="capitalised"),
        pytest.param(CYRILLIC_DZE + "ystem", id="cyrillic-dze"),
        pytest.param(FULLWIDTH_SYSTEM, id="fullwidth"),
        pytest.param("admin", id="admin"),
        pytest.param("ADMIN", id="upper"),
        pytest.param(CYRILLIC_A + "dmin", id="cyrillic-a"),
        pytest.param("4dmin", id="leet-4"),
        pytest.param("adm1n", id="leet-1"),
        pytest.param("admln", id="l-for-i"),
        pytest.param("adrnin", id="rn-for-m"),
        pytest.param("r00t", id="zeros"),
        pytest.param("Root", id="root"),
        pytest.param("R\u00f5ot", id="accent"),
        pytest.param("s.y.s.t.e.m", id="dotted"),
        pytest.param("Parrot Chat", id="spaced"),
        pytest.param("parrot_chat", id="underscored"),
        pytest.param("owner", id="owner"),
        pytest.param("ovvner", id="vv-for-w"),
        pytest.param("server", id="server"),
        pytest.param("5erver", id="leet-5"),
        pytest.param("MODERATOR", id="moderator"),
        pytest.param("parrot", id="parrot"),
        pytest.param(" root ", id="padded"),
    ],
)
def test_reserved_names(raw: str) -> None:
    with pytest.raises(ChatError) as info:
        normalize_guest_name(raw)
    assert info.value.code is ErrorCode.NAME_RESERVED


def test_every_reserved_name_is_reserved() -> None:
    assert {"system", "admin", "owner", "server", "parrot", "parrotchat", "moderator", "root"} == (
        RESERVED_GUEST_NAMES
    )
    for name in RESERVED_GUEST_NAMES:
        assert is_reserved_guest_name(name)
        assert is_reserved_guest_name(name.upper())


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("sys\u200btem", id="zero-width-is-invalid-not-reserved"),
        pytest.param("adm\u202ein", id="bidi-is-invalid-not-reserved"),
    ],
)
def test_invisible_in_reserved_is_invalid(raw: str) -> None:
    with pytest.raises(ChatError) as info:
        normalize_guest_name(raw)
    assert info.value.code is ErrorCode.NAME_INVALID


@pytest.mark.parametrize(
    "other",
    [
        pytest.param("alice", id="same"),
        pytest.param("ALICE", id="upper"),
        pytest.param("Alice", id="title"),
        pytest.param(CYRILLIC_A + "lice", id="cyrillic-a"),
        pytest.param(fullwidth("alice"), id="fullwidth"),
        pytest.param("a1ice", id="digit-one-for-l"),
        pytest.param("AL\u0406CE", id="cyrillic-capital-i"),
        pytest.param("\u0251lice", id="latin-alpha"),
    ],
)
def test_name_key_collisions(other: str) -> None:
    assert name_key(other) == name_key("alice") == "alice"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param("alice", "alicia", id="different-name"),
        pytest.param("Ali", "Ail", id="i-and-l-differ"),
        pytest.param("José", "Jose", id="accent-matters"),
        pytest.param("van der Berg", "vanderBerg", id="spaces-matter"),
        pytest.param("bob", "bob2", id="suffix"),
    ],
)
def test_name_key_distinct(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_name_key_folds_case_and_composition() -> None:
    assert name_key("STRASSE") == name_key("straße")
    assert name_key("Jose\u0301") == name_key("JOSÉ")
    assert name_key("b0b") == name_key("bob")


def test_name_key_idempotent_on_every_code_point() -> None:
    for cp in range(sys.maxunicode + 1):
        key = name_key(chr(cp))
        assert name_key(key) == key, hex(cp)


def test_name_key_idempotent_on_random_strings() -> None:
    rng = random.Random(20240611)
    pool = sorted(set(CONFUSABLES) | set("".join(CONFUSABLES.values())))
    pool += list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.")
    pool += ["\u0301", "\u0308", "\u0327", "İ", "ß", "ǰ", "ﬁ", "Ⅻ"]
    for _ in range(5000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 12)))
        key = name_key(text)
        assert name_key(key) == key, ascii(text)
        assert name_key(text.casefold()) == key, ascii(text)


def test_confusable_table_is_stable_and_small() -> None:
    for source, target in CONFUSABLES.items():
        assert len(source) == 1
        assert target
        assert target == unicodedata.normalize("NFD", target.casefold())
        assert all(CONFUSABLES.get(ch, ch) == ch for ch in target), ascii(source)
    assert CONFUSABLES[CYRILLIC_A] == "a"
    assert CONFUSABLES[CYRILLIC_DZE] == "s"
    assert "a" not in CONFUSABLES


# --- rooms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("lobby", id="lobby"),
        pytest.param("abc", id="three"),
        pytest.param("a" * 30, id="thirty"),
        pytest.param("room-42", id="hyphen-digits"),
        pytest.param("---", id="only-hyphens"),
        pytest.param("admins", id="reserved-prefix"),
    ],
)
def test_valid_rooms(raw: str) -> None:
    assert normalize_room_name(raw) == raw


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("Lobby", id="upper"),
        pytest.param("ab", id="two"),
        pytest.param("lobby\n", id="trailing-newline"),
        pytest.param("\nlobby", id="leading-newline"),
        pytest.param("a" * 31, id="thirty-one"),
        pytest.param("../x", id="path"),
        pytest.param("lob by", id="space"),
        pytest.param(fullwidth("lobby"), id="fullwidth"),
        pytest.param("lobby_1", id="underscore"),
        pytest.param("", id="empty"),
        pytest.param("lobbý", id="accent"),
        pytest.param(CYRILLIC_A + "bc", id="cyrillic"),
        pytest.param("lob\x00by", id="nul"),
        pytest.param(fullwidth("ADMIN"), id="fullwidth-reserved"),
    ],
)
def test_invalid_rooms(raw: str) -> None:
    with pytest.raises(ChatError) as info:
        normalize_room_name(raw)
    assert info.value.code is ErrorCode.ROOM_INVALID


@pytest.mark.parametrize("raw", sorted(RESERVED_ROOM_NAMES - {"ws"}))
def test_reserved_rooms(raw: str) -> None:
    with pytest.raises(ChatError) as info:
        normalize_room_name(raw)
    assert info.value.code is ErrorCode.ROOM_RESERVED
    assert info.value.room == raw


def test_reserved_room_set() -> None:
    assert {
        "admin",
        "system",
        "api",
        "ws",
        "static",
        "metrics",
        "health",
        "docs",
        "root",
        "parrot",
    } == RESERVED_ROOM_NAMES
    # `ws` is too short to be a room at all: invalid before it could be reserved.
    with pytest.raises(ChatError) as info:
        normalize_room_name("ws")
    assert info.value.code is ErrorCode.ROOM_INVALID


def test_room_regex_is_for_fullmatch() -> None:
    assert ROOM_NAME_RE.fullmatch("lobby\n") is None
    assert ROOM_NAME_PATTERN == r"^[a-z0-9-]{3,30}$"
