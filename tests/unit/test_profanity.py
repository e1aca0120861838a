"""Profanity policy (docs/security.md rows 31-34): deny, redact masking, evasions, false
positives, identity terms, and the known misses as strict xfails."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.adapters.wordlists import (
    build_profanity_filter,
    default_allow,
    default_deny,
    default_redact,
    load_wordlist,
    parse_wordlist,
)
from app.domain.policies.profanity import FilterResult, ProfanityFilter, normalise_term


@pytest.fixture(scope="module")
def default_filter() -> ProfanityFilter:
    return build_profanity_filter()


# --- item 31: deny-listed terms block and are never rewritten --------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("you nigger", id="plain"),
        pytest.param("NIGGER", id="upper-case"),
        pytest.param("n1gg3r", id="leetspeak"),
        pytest.param("*faggot*", id="starred"),
        pytest.param("k\u200bike", id="zero-width-inside"),
        pytest.param("\uff47\uff4f\uff4f\uff4b", id="fullwidth"),
        pytest.param("hello wetback, and fuck", id="deny-beats-redact-in-one-message"),
    ],
)
def test_deny_listed_term_blocks_with_the_input_unchanged(
    default_filter: ProfanityFilter, text: str
) -> None:
    assert default_filter.check(text) == FilterResult(blocked=True, text=text)


def test_deny_phrase_blocks() -> None:
    policy = ProfanityFilter(deny=["bad phrase"], redact=[])
    assert policy.check("a BAD  phrase here").blocked
    assert not policy.check("a bad thing, a phrase").blocked


# --- item 32: redact-listed terms are masked with `*` of equal length -------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("what the fuck", "what the ****", id="word"),
        pytest.param("Shit, FUCK!", "****, ****!", id="several-and-case"),
        pytest.param("bullshit!", "********!", id="trailing-punctuation-kept"),
        pytest.param("blow job", "********", id="multi-word-term"),
        pytest.param("mother  fucker", "**************", id="multi-word-extra-space"),
        pytest.param("2 girls 1 cup", "*************", id="multi-word-with-digits"),
        pytest.param("fucking hell", "******* hell", id="allowed-neighbour-untouched"),
        pytest.param("no swearing here", "no swearing here", id="clean"),
        pytest.param("", "", id="empty"),
    ],
)
def test_redact_listed_terms_are_masked(
    default_filter: ProfanityFilter, text: str, expected: str
) -> None:
    result = default_filter.check(text)
    assert result == FilterResult(blocked=False, text=expected)
    assert len(result.text) == len(text)


# --- item 33: evasions are caught after normalisation, masks land on the original -------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("*fuck*", "******", id="asterisks"),
        pytest.param('"shit"', '"****"', id="quotes"),
        pytest.param("\uff46\uff55\uff43\uff4b you", "**** you", id="fullwidth"),
        pytest.param("f\u200buck", "*****", id="zero-width-space-masked-too"),
        pytest.param("f\u00adu\u2060ck", "******", id="soft-hyphen-and-word-joiner"),
        pytest.param("fu\u0301ck off", "***** off", id="combining-acute"),
        pytest.param("fuck\u0301", "*****", id="trailing-combining-mark"),
        pytest.param("fúck", "****", id="precomposed-accent"),
        pytest.param("sh1t", "****", id="leet-digit"),
        pytest.param("5h17", "****", id="leet-digits-only-letters-mixed"),
        pytest.param("$hit", "****", id="leet-leading-symbol"),
        pytest.param("a$$", "***", id="leet-symbols"),
        pytest.param("b!tch", "*****", id="leet-bang"),
        pytest.param("sh!t!!", "****!!", id="leet-bang-then-real-bangs"),
        pytest.param("p0rn", "****", id="leet-zero"),
        pytest.param("fuuuuck", "*******", id="stretched"),
        pytest.param("asssss", "******", id="stretched-double-letter-word"),
        pytest.param("hi fuuuck and asssss!", "hi ****** and ******!", id="stretched-in-text"),
        pytest.param(
            "ok f\u200buck \u00e9t\u00e9 shit", "ok ***** \u00e9t\u00e9 ****", id="index-map"
        ),
        pytest.param("f u c k", "*******", id="spaced-letters"),
        pytest.param("c.u.n.t", "*******", id="dotted-letters"),
        pytest.param("s_h_i_t", "*******", id="underscored-letters"),
        pytest.param("\u0430ss", "***", id="cyrillic-a"),
        pytest.param("FuCk", "****", id="mixed-case"),
    ],
)
def test_evasions_are_caught(default_filter: ProfanityFilter, text: str, expected: str) -> None:
    assert default_filter.check(text) == FilterResult(blocked=False, text=expected)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("f*ck", id="wildcard-inside-word"),
        pytest.param("shitstorm", id="compound-not-in-list"),
        pytest.param("sh it", id="word-split-in-two"),
        pytest.param("c  u  n  t", id="letters-spaced-by-two"),
        pytest.param("\u0192uck", id="f-with-hook-has-no-decomposition"),
        pytest.param("f\u0446ck", id="cyrillic-tse-for-u-is-no-lookalike"),
    ],
)
@pytest.mark.xfail(
    strict=True,
    reason="known miss: matching is by whole token after a fixed fold; wildcards, unlisted "
    "compounds, arbitrary splits and unmapped look-alikes are not guessed",
)
def test_known_misses(default_filter: ProfanityFilter, text: str) -> None:
    assert default_filter.check(text).text != text


# --- item 34: Scunthorpe-class words and identity terms are untouched ------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("Scunthorpe", id="scunthorpe"),
        pytest.param("assassin", id="assassin"),
        pytest.param("cocktail", id="cocktail"),
        pytest.param("classic", id="classic"),
        pytest.param("therapist", id="therapist"),
        pytest.param("Essex, Sussex and Middlesex", id="sex-inside-words"),
        pytest.param("analysis of the grape title", id="more-substrings"),
        pytest.param("Penistone shiitake", id="place-and-mushroom"),
        pytest.param("I paid 455 for 5318008", id="numbers-are-not-leetspeak"),
        pytest.param("gay", id="gay"),
        pytest.param("queer", id="queer"),
        pytest.param("lesbian", id="lesbian"),
        pytest.param("lesbians", id="lesbians-in-source-list"),
        pytest.param("trans", id="trans"),
        pytest.param("GAY \uff51\uff55\uff45\uff45\uff52", id="identity-case-and-fullwidth"),
        pytest.param("gaaay", id="identity-stretched"),
        pytest.param("g a y", id="identity-spaced"),
        pytest.param("gay!", id="identity-with-bang"),
        pytest.param("what the hell", id="allow-listed-false-positive"),
        pytest.param("niggle", id="allow-listed-near-slur"),
        pytest.param("😀 日本語のテキスト", id="emoji-and-cjk"),
    ],
)
def test_false_positives_and_identity_terms_untouched(
    default_filter: ProfanityFilter, text: str
) -> None:
    assert default_filter.check(text) == FilterResult(blocked=False, text=text)


def test_allow_list_wins_even_if_deny_and_redact_list_the_term() -> None:
    policy = ProfanityFilter(
        deny=["gay", "gay pride"], redact=["queer", "darn"], allow=["gay", "queer"]
    )
    assert policy.check("gay queer gay pride darn") == FilterResult(
        blocked=False, text="gay queer gay pride ****"
    )


def test_terms_are_deduplicated_after_normalisation() -> None:
    assert normalise_term("sh!+") == normalise_term("SH1T") == normalise_term("shit")
    assert normalise_term("blow job") == ("biow", "job")
    assert normalise_term("***") == ()


# --- word lists --------------------------------------------------------------------------


def test_default_lists_load() -> None:
    redact = default_redact()
    assert len(redact) > 800
    assert "fuck" in redact
    assert set(default_deny()) <= set(redact)
    assert {"gay", "queer", "lesbian", "trans"} <= set(default_allow())


def test_parse_wordlist_skips_comments_blanks_and_duplicates() -> None:
    assert parse_wordlist(["# c", "", "  a  ", "b", "a"]) == ["a", "b"]


def test_files_replace_defaults_and_extras_add(tmp_path: Path) -> None:
    deny = tmp_path / "deny.txt"
    deny.write_text("# mine\nbadword\n", encoding="utf-8")
    redact = tmp_path / "redact.txt"
    redact.write_text("darn\n", encoding="utf-8")
    allow = tmp_path / "allow.txt"
    allow.write_text("", encoding="utf-8")
    assert load_wordlist(deny) == ["badword"]
    policy = build_profanity_filter(
        deny_file=str(deny),
        redact_file=str(redact),
        allow_file=str(allow),
        extra_deny=["worse"],
        extra_redact=["heck"],
    )
    assert policy.check("badword").blocked
    assert policy.check("worse").blocked
    assert policy.check("darn heck fuck gay").text == "**** **** fuck gay"
