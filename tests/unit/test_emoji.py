"""`:shortcode:` → emoji (app/domain/policies/emoji.py), and where it sits in the text pipeline."""

from __future__ import annotations

import pytest

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.policies.emoji import emojize
from app.domain.policies.profanity import ProfanityFilter
from app.services.chat.context import screen


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("hi :thumbsup:", "hi \U0001f44d", id="alias"),
        pytest.param(":thumbs_up: :+1:", "\U0001f44d \U0001f44d", id="cldr-name-and-plus-one"),
        pytest.param(":smile::heart:", "\U0001f604\u2764\ufe0f", id="adjacent"),
        pytest.param("at 10:30:smile:", "at 10:30\U0001f604", id="an-unknown-name-frees-its-colon"),
        pytest.param("10:30:00", "10:30:00", id="times-stay"),
        pytest.param(":not_an_emoji:", ":not_an_emoji:", id="unknown-stays"),
        pytest.param(":Smile:", ":Smile:", id="case-matters"),
        pytest.param(": smile :", ": smile :", id="spaces-are-not-names"),
        pytest.param("::", "::", id="empty-name"),
        pytest.param(":smile", ":smile", id="unclosed"),
        pytest.param("no colons", "no colons", id="plain"),
        pytest.param(":pi\u00f1ata:", "\U0001fa85", id="accented-name"),
        pytest.param(":pin\u0303ata:", "\U0001fa85", id="decomposed-accent"),
    ],
)
def test_emojize(text: str, expected: str) -> None:
    assert emojize(text) == expected


def test_the_table_is_the_emoji_package_s() -> None:
    import emoji

    for name in (":red_heart:", ":family_man_woman_girl_boy:", ":flag_Germany:", ":keycap_1:"):
        assert emojize(name) == emoji.emojize(name, language="alias")


def _Deny() -> ProfanityFilter:  # reads as the filter it builds
    return ProfanityFilter(deny=["badword"], redact=["heck"])


def test_shortcodes_are_replaced_before_the_length_limit() -> None:
    """The limit counts the emoji, not the shortcode: 100 `:thumbsup:` are 1000 characters
    typed, 199 code points sent (100 emoji and the spaces)."""
    text = " ".join([":thumbsup:"] * 100)
    clean = screen(_Deny(), text, max_chars=200, room="lobby", what="your message")
    assert clean == " ".join(["\U0001f44d"] * 100)
    with pytest.raises(ChatError) as refused:
        screen(_Deny(), text + " :x:", max_chars=200, room="lobby", what="your message")
    assert refused.value.code is ErrorCode.MESSAGE_TOO_LONG


def test_shortcodes_are_replaced_before_the_profanity_filter() -> None:
    clean = screen(_Deny(), ":smile: heck", max_chars=512, room="lobby", what="your message")
    assert clean == "\U0001f604 ****"
    with pytest.raises(ChatError) as refused:
        screen(_Deny(), ":smile: badword", max_chars=512, room="lobby", what="your message")
    assert refused.value.code is ErrorCode.MESSAGE_BLOCKED
