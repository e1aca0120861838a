"""Profanity policy: deny-listed terms block a message, redact-listed terms are masked.

How a message is checked (all linear in its length, nothing can backtrack):

1. Normalise every character once: NFKD, drop combining marks and format characters
   (zero-width, bidi, soft hyphen), casefold, NFKC, then fold a few Cyrillic/Greek
   look-alikes to Latin. Each result is cached per character, and an index map remembers
   which original character every normalised character came from, so masks land on the
   ORIGINAL text (evasion characters inside a word are masked with it). Pure ASCII skips
   all this: lower-casing is length-preserving, so the map is the identity.
2. Fold leetspeak with one `str.translate` (4/@→a, 3→e, 1/!/|/l→i, 0→o, 5/$→s, 7/+→t);
   every leet character maps to exactly one character, so positions do not move. `l` and
   `i` share one skeleton letter because `1` stands for both (`he11`, `sh1t`).
3. Split into tokens with one character-class regex and look each token up in a dict of
   folded terms (a token without a letter, such as `455`, never matches). Matching is by
   whole token, which is what keeps `Scunthorpe`, `assassin`, `cocktail`, `classic` and
   `therapist` clean. Multi-word terms are token tuples keyed by their first token; runs
   of single letters (`f u c k`, `s.h.i.t`) are joined and looked up too; symbol-padded
   tokens (`shit!!`) and stretched ones (`fuuuck`) get a couple of extra lookups each.

A regex alternation over ~900 terms would be tried at every position (Python's `re` builds
no trie); a token scan plus hash lookups costs one regex pass and O(tokens) dict hits.
The allow-list always wins: allowed terms are removed from the deny and redact sets (and
multi-word terms containing an allowed word are dropped), and a token whose any variant is
allowed is never touched.

Standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["FilterResult", "ProfanityFilter", "normalise_term"]

_DENY: Final = 1
_REDACT: Final = 2
_ALLOW: Final = 4

_LEET_SYMBOLS: Final = "@$!+|"
_LEET: Final = str.maketrans(
    {
        "4": "a",
        "@": "a",
        "3": "e",
        "1": "i",
        "!": "i",
        "|": "i",
        "l": "i",
        "0": "o",
        "5": "s",
        "$": "s",
        "7": "t",
        "+": "t",
    }
)
# Lower-case Cyrillic (U+04xx/U+05xx) and Greek (U+03xx) letters that look like Latin ones,
# written as escapes so the source shows which is which.
_CONFUSABLES: Final = str.maketrans(
    {
        "\u0430": "a",
        "\u0432": "b",
        "\u0435": "e",
        "\u043e": "o",
        "\u0440": "p",
        "\u0441": "c",
        "\u0443": "y",
        "\u0445": "x",
        "\u0456": "i",
        "\u0458": "j",
        "\u0455": "s",
        "\u0501": "d",
        "\u04bb": "h",
        "\u043a": "k",
        "\u03b1": "a",
        "\u03bf": "o",
        "\u03c1": "p",
        "\u03b9": "i",
        "\u03ba": "k",
        "\u03bd": "v",
        "\u03c5": "u",
    }
)

# A token: letters, digits and leet symbols (`_` is folded to a space beforehand).
_TOKEN_RE: Final = re.compile(r"[\w@$!+|]+")
# After leet folding the symbols are letters, so plain \w+ yields the same tokens.
_WORD_RE: Final = re.compile(r"\w+")
# Three or more single-character tokens, each separated by exactly one non-word character.
_SPACED_RE: Final = re.compile(r"(?<!\w)\w(?:\W\w){2,}(?!\w)")
_STRETCH_RE: Final = re.compile(r"(\w)\1\1+")
_SYMBOL_RE: Final = re.compile(r"[@$!+|]")
_LETTER_RE: Final = re.compile(r"[^\W\d]")

_CACHE_LIMIT: Final = 65_536


def _is_mark_or_format(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] == "M" or category == "Cf"


def _fold_char(ch: str) -> str:
    """The matching form of one character: "" when it carries no letter of its own."""
    if ch == "_":
        return " "
    if _is_mark_or_format(ch):
        return ""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", ch).casefold())
    base = "".join(c for c in decomposed if not _is_mark_or_format(c))
    return unicodedata.normalize("NFKC", base).translate(_CONFUSABLES)


class _FoldCache(dict[str, str]):
    """Per-character fold results, filled lazily and bounded in size."""

    def __missing__(self, ch: str) -> str:
        folded = _fold_char(ch)
        if len(self) < _CACHE_LIMIT:
            self[ch] = folded
        return folded


_FOLD: Final = _FoldCache()


def _normalise(text: str) -> tuple[str, list[int] | None]:
    """Normalised, leet-unfolded text and its index map (None = identity)."""
    if text.isascii():
        return text.lower().replace("_", " "), None
    pieces = list(map(_FOLD.__getitem__, text))
    folded = "".join(pieces)
    if len(folded) == len(text) and all(len(p) == 1 for p in pieces):
        return folded, None
    index = [i for i, piece in enumerate(pieces) for _ in piece]
    return folded, index


def normalise_term(term: str) -> tuple[str, ...]:
    """The folded tokens a list term matches (empty if it has no letters or digits)."""
    folded, _ = _normalise(term)
    return tuple(_WORD_RE.findall(folded.translate(_LEET)))


@dataclass(frozen=True, slots=True)
class FilterResult:
    """`blocked`: a deny-listed term was found; `text` is then the unchanged input and must
    never be echoed. Otherwise `text` has every redact-listed term masked with `*`."""

    blocked: bool
    text: str


class ProfanityFilter:
    """Whole-token matcher over normalised text; build once, call `check` per message."""

    __slots__ = ("_kinds", "_phrases")

    def __init__(
        self,
        *,
        deny: Iterable[str],
        redact: Iterable[str],
        allow: Iterable[str] = (),
    ) -> None:
        allowed_words: set[str] = set()
        allowed_phrases: set[tuple[str, ...]] = set()
        for term in allow:
            tokens = normalise_term(term)
            if len(tokens) == 1:
                allowed_words.add(tokens[0])
            elif tokens:
                allowed_phrases.add(tokens)

        kinds: dict[str, int] = dict.fromkeys(allowed_words, _ALLOW)
        phrases: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        seen_phrases: dict[tuple[str, ...], int] = {}
        for kind, terms in ((_DENY, deny), (_REDACT, redact)):
            for term in terms:
                tokens = normalise_term(term)
                if not tokens:
                    continue
                if len(tokens) == 1:
                    word = tokens[0]
                    if word not in kinds:  # allow wins, then deny beats redact
                        kinds[word] = kind
                elif (
                    tokens not in allowed_phrases
                    and tokens not in seen_phrases
                    and allowed_words.isdisjoint(tokens)
                ):
                    seen_phrases[tokens] = kind
        for tokens, kind in seen_phrases.items():
            phrases.setdefault(tokens[0], []).append((tokens, kind))
        # Longest phrase first so the widest match is the one masked.
        for candidates in phrases.values():
            candidates.sort(key=lambda item: -len(item[0]))
        self._kinds = kinds
        self._phrases = phrases

    def check(self, text: str) -> FilterResult:
        """Block on a deny-listed term, else mask redact-listed terms in place."""
        normalised, index = _normalise(text)
        folded = normalised.translate(_LEET)
        kinds = self._kinds
        phrases = self._phrases
        has_symbols = _SYMBOL_RE.search(normalised) is not None
        has_stretch = _STRETCH_RE.search(folded) is not None

        spans: list[tuple[int, int]] = []  # normalised [start, end) to mask
        tokens: list[tuple[int, int, str]] = []
        phrase_at: list[int] = []
        for match in _TOKEN_RE.finditer(normalised):
            start, end = match.span()
            key = folded[start:end]
            tokens.append((start, end, key))
            if key in phrases:
                phrase_at.append(len(tokens) - 1)
            kind = kinds.get(key, 0)
            if not kind and (has_symbols or has_stretch):
                kind, start, end = self._variant(normalised, folded, start, end, key)
            if not kind or _LETTER_RE.search(normalised, start, end) is None:
                continue  # a number such as 455 is never read as leetspeak
            if kind == _DENY:
                return FilterResult(blocked=True, text=text)
            if kind == _REDACT:
                spans.append((start, end))

        if phrase_at and self._match_phrases(tokens, phrase_at, spans):
            return FilterResult(blocked=True, text=text)
        if _match_spaced(kinds, normalised, folded, spans):
            return FilterResult(blocked=True, text=text)

        if not spans:
            return FilterResult(blocked=False, text=text)
        return FilterResult(blocked=False, text=_mask(text, spans, index))

    def _match_phrases(
        self,
        tokens: list[tuple[int, int, str]],
        phrase_at: list[int],
        spans: list[tuple[int, int]],
    ) -> bool:
        """Append masked spans of multi-word terms; True when a deny-listed one is found."""
        for position in phrase_at:
            for phrase, kind in self._phrases[tokens[position][2]]:
                stop = position + len(phrase)
                if stop <= len(tokens) and all(
                    tokens[position + k][2] == phrase[k] for k in range(1, len(phrase))
                ):
                    if kind == _DENY:
                        return True
                    spans.append((tokens[position][0], tokens[stop - 1][1]))
                    break
        return False

    def _variant(
        self, normalised: str, folded: str, start: int, end: int, key: str
    ) -> tuple[int, int, int]:
        """Look up the symbol-trimmed and de-stretched forms of one token."""
        candidates: list[tuple[int, int, str]] = []
        if _SYMBOL_RE.match(normalised, start) or normalised[end - 1] in _LEET_SYMBOLS:
            raw = normalised[start:end]
            lead = len(raw) - len(raw.lstrip(_LEET_SYMBOLS))
            trail = len(raw) - len(raw.rstrip(_LEET_SYMBOLS))
            for s, e in ((start + lead, end), (start, end - trail), (start + lead, end - trail)):
                if s < e and (s, e) != (start, end):
                    candidates.append((s, e, folded[s:e]))
        for s, e, k in [(start, end, key), *candidates]:
            if _STRETCH_RE.search(k):
                candidates.append((s, e, _STRETCH_RE.sub(r"\1", k)))
                candidates.append((s, e, _STRETCH_RE.sub(r"\1\1", k)))
        found = (0, start, end)
        for s, e, k in candidates:
            kind = self._kinds.get(k, 0)
            if kind == _ALLOW:
                return (0, start, end)
            if kind and not found[0]:
                found = (kind, s, e)
        return found


def _match_spaced(
    kinds: dict[str, int], normalised: str, folded: str, spans: list[tuple[int, int]]
) -> bool:
    """Join runs of single letters (`f u c k`); True when one spells a deny-listed term."""
    for match in _SPACED_RE.finditer(folded):
        kind = kinds.get(match.group()[::2], 0)
        if kind and _LETTER_RE.search(normalised, *match.span()) is None:
            continue
        if kind == _DENY:
            return True
        if kind == _REDACT:
            spans.append(match.span())
    return False


def _mask(text: str, spans: list[tuple[int, int]], index: list[int] | None) -> str:
    chars = list(text)
    for start, end in spans:
        if index is None:
            first, stop = start, end
        else:
            first, stop = index[start], index[end - 1] + 1
            # Combining marks that belong to the last letter go with it.
            while stop < len(text) and unicodedata.category(text[stop])[0] == "M":
                stop += 1
        chars[first:stop] = "*" * (stop - first)
    return "".join(chars)
