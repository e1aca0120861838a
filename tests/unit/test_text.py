"""Message normalisation and log escaping (docs/security.md rows 23-25)."""

from __future__ import annotations

import json

import pytest

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.policies.text import escape_for_log, normalize_message
from app.settings import Settings

LIMIT = Settings().max_message_chars

GRINNING = "\U0001f600"
WOMAN_TECHNOLOGIST = "\U0001f469\u200d\U0001f4bb"
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
ENGLAND_FLAG = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
KEYCAP_ONE = "1\ufe0f\u20e3"
PERSIAN_WITH_ZWNJ = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("a" * 512, id="ascii-512"),
        pytest.param("\u6f22" * 512, id="cjk-512"),
        pytest.param(GRINNING * 512, id="astral-emoji-512"),
        pytest.param(json.loads('"' + "\\uD83D\\uDE00" * 512 + '"'), id="escaped-emoji-512"),
        pytest.param("  " + "a" * 512 + "\n\n", id="512-after-trim"),
        pytest.param("a\u200b" * 512, id="512-after-removal"),
    ],
)
def test_512_code_points_pass(raw: str) -> None:
    assert len(normalize_message(raw, max_chars=LIMIT)) == 512


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("a" * 513, id="ascii-513"),
        pytest.param("\u6f22" * 513, id="cjk-513"),
        pytest.param(GRINNING * 513, id="emoji-513"),
    ],
)
def test_513_code_points_too_long(raw: str) -> None:
    with pytest.raises(ChatError) as info:
        normalize_message(raw, max_chars=LIMIT)
    assert info.value.code is ErrorCode.MESSAGE_TOO_LONG
    assert "512" in info.value.reason


def test_custom_limit() -> None:
    assert normalize_message("abcd", max_chars=4) == "abcd"
    with pytest.raises(ChatError) as info:
        normalize_message("abcde", max_chars=4)
    assert info.value.code is ErrorCode.MESSAGE_TOO_LONG
    assert "4" in info.value.reason


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param(" ", id="space"),
        pytest.param(" \t\n\r\n \u3000\u00a0", id="whitespace"),
        pytest.param("\u200b\u200c\u200d\u2060\ufeff", id="zero-width"),
        pytest.param("\u202e\u2066\u2069\u200e\u200f\u061c", id="bidi"),
        pytest.param("\x00\x1b\x7f", id="controls"),
        pytest.param("\u3164\uffa0", id="hangul-fillers"),
        pytest.param("\u2800", id="braille-blank"),
        pytest.param("\U000e0041\U000e0042", id="tags"),
        pytest.param("\u00ad", id="soft-hyphen"),
    ],
)
def test_empty_messages(raw: str) -> None:
    with pytest.raises(ChatError) as info:
        normalize_message(raw, max_chars=LIMIT)
    assert info.value.code is ErrorCode.MESSAGE_EMPTY


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("hello", "hello", id="plain"),
        pytest.param("  hello  ", "hello", id="trimmed"),
        pytest.param("a\x00b", "ab", id="nul"),
        pytest.param("\x1b[2Jcleared", "[2Jcleared", id="ansi-escape"),
        pytest.param("abc\u202edef", "abcdef", id="rlo"),
        pytest.param("abc\u2066def\u2069", "abcdef", id="lri-pdi"),
        pytest.param("a\u200bb\u2060c\ufeffd", "abcd", id="zero-width"),
        pytest.param("w\u200dord", "word", id="zwj-in-ascii"),
        pytest.param("w\u200cord", "word", id="zwnj-in-ascii"),
        pytest.param("line1\nline2", "line1\nline2", id="newline-kept"),
        pytest.param("a\r\nb\rc", "a\nb\nc", id="cr-normalised"),
        pytest.param("a\u2028b\u2029c\x85d", "a\nb\nc\nd", id="unicode-line-breaks"),
        pytest.param("a\tb", "a b", id="tab-to-space"),
        pytest.param("a\n\n\n\n\n\nb", "a\n\n\nb", id="blank-lines-collapsed"),
        pytest.param("a\n\n\nb", "a\n\n\nb", id="two-blank-lines-kept"),
        pytest.param("Jose\u0301", "José", id="nfc"),
        pytest.param(WOMAN_TECHNOLOGIST, WOMAN_TECHNOLOGIST, id="zwj-emoji"),
        pytest.param(RAINBOW_FLAG, RAINBOW_FLAG, id="zwj-flag-with-vs16"),
        pytest.param(FAMILY, FAMILY, id="zwj-family"),
        pytest.param(ENGLAND_FLAG, ENGLAND_FLAG, id="tag-flag"),
        pytest.param(KEYCAP_ONE, KEYCAP_ONE, id="keycap"),
        pytest.param(PERSIAN_WITH_ZWNJ, PERSIAN_WITH_ZWNJ, id="persian-zwnj"),
        pytest.param("hi\U000e0069\U000e0067\U000e006e", "hi", id="tag-smuggling"),
        pytest.param("\u2764" + "\ufe0f" * 20, "\u2764\ufe0f", id="selector-run"),
        pytest.param(
            "\U0001f468\u200d\u200d\u200d\U0001f469", "\U0001f468\u200d\U0001f469", id="zwj-run"
        ),
        pytest.param("\u200d\U0001f469", "\U0001f469", id="leading-zwj"),
        pytest.param("x" + "\u0301" * 30, "x" + "\u0301" * 8, id="zalgo-cut"),
        pytest.param("*bold* <b>", "*bold* <b>", id="markup-untouched"),
    ],
)
def test_normalised_text(raw: str, expected: str) -> None:
    assert normalize_message(raw, max_chars=LIMIT) == expected


def test_normalisation_is_idempotent() -> None:
    samples = [
        "a\x00b\u202ec\r\n\n\n\n\nd\te",
        WOMAN_TECHNOLOGIST + " w\u200dord " + ENGLAND_FLAG,
        "x" + "\u0301" * 30 + "\u2764" + "\ufe0f" * 3,
    ]
    for raw in samples:
        once = normalize_message(raw, max_chars=LIMIT)
        assert normalize_message(once, max_chars=LIMIT) == once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("plain text", "plain text", id="plain"),
        pytest.param("a\x00b", "a\\x00b", id="nul"),
        pytest.param("\x1b[2J", "\\x1b[2J", id="ansi"),
        pytest.param("a\nb\r\tc", "a\\nb\\r\\tc", id="newline-cr-tab"),
        pytest.param("x\u202ey", "x\\u202ey", id="rlo"),
        pytest.param("x\u2066y\u2069", "x\\u2066y\\u2069", id="isolates"),
        pytest.param("x\u200by", "x\\u200by", id="zwsp"),
        pytest.param("x\u2028y", "x\\u2028y", id="line-separator"),
        pytest.param("x\u00a0y", "x\\xa0y", id="nbsp"),
        pytest.param("x\U000e0041", "x\\U000e0041", id="tag"),
        pytest.param("x\ud800", "x\\ud800", id="surrogate"),
        pytest.param("back\\slash", "back\\\\slash", id="backslash-doubled"),
        pytest.param("literal \\x1b", "literal \\\\x1b", id="fake-escape"),
        pytest.param("José 太郎 " + GRINNING, "José 太郎 " + GRINNING, id="unicode-kept"),
    ],
)
def test_escape_for_log(raw: str, expected: str) -> None:
    escaped = escape_for_log(raw)
    assert escaped == expected
    assert "\n" not in escaped
    assert all(ch.isprintable() for ch in escaped)
