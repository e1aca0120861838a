r"""Profanity policy: deny-listed terms block a message, redact-listed terms are masked.

How a message is checked (all linear in its length, nothing can backtrack):

1. Normalise every character once: NFKD, drop combining marks and format characters
   (zero-width, bidi, soft hyphen), casefold, NFKC, then fold a few Cyrillic/Greek
   look-alikes to Latin. Each result is cached per character, and an index map remembers
   which original character every normalised character came from, so masks land on the
   ORIGINAL text (evasion characters inside a word are masked with it). Pure ASCII skips
   all this: lower-casing is length-preserving, so the map is the identity.
2. Fold leetspeak with a chain of `str.replace` (4/@→a, 3→e, 1/!/|/l→i, 0→o, 5/$→s, 7/+→t);
   every leet character maps to exactly one character, so positions do not move. `l` and
   `i` share one skeleton letter because `1` stands for both (`he11`, `sh1t`).
3. Trailing `!` runs are punctuation (`shit!!`); every other leet character is a letter.
4. Split into tokens (`\w+`) and intersect the token set with the folded term set in C.
   Clean text stops here. On a hit, each hit term is located with its own precompiled
   whole-token regex (or, with many distinct hits, by one token scan). Matching is by
   whole token, which is what keeps `Scunthorpe`, `assassin`, `cocktail`, `classic` and
   `therapist` clean. Multi-word terms are literal-token regexes joined by `\W+`; runs of
   single letters (`f u c k`, `s.h.i.t`) are joined and looked up; text with a run of 3+
   equal characters is also checked in two views with those runs cut to 1 and to 2
   characters (`fuuuck` → `fuck`, `asssss` → `ass`), mapped back to positions.
5. A span made only of digits (a number such as 455) never matches.

Why not one alternation regex over the ~900 terms: Python's `re` builds no trie, so every
position would try every branch. A set intersection over tokens costs one `findall` in C.
The allow-list always wins: allowed terms are removed from the deny and redact sets,
multi-word terms containing an allowed word are dropped, and any match overlapping an
allowed word (in any view) is ignored.

Steps 1-3 (folding) are app/domain/policies/profanity_fold.py; matching is here. Standard
library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from app.domain.policies.profanity_fold import (
    STRETCH_RE,
    WORD_RE,
    Span,
    View,
    main_view,
    mask,
    normalise,
    normalise_term,
)

__all__ = ["FilterResult", "ProfanityFilter", "normalise_term"]

_DENY: Final = 1
_REDACT: Final = 2
_ALLOW: Final = 4

# Three or more single-character tokens, each separated by exactly one non-word character.
_SPACED_RE: Final = re.compile(r"(?<!\w)\w(?:\W\w){2,}(?!\w)")
_DIGIT_RE: Final = re.compile(r"\d")
# Anything in a span that is not a digit or a separator: letters and leet symbols.
_NOT_NUMBER_RE: Final = re.compile(r"[^\W\d]|[@$!+|]")
# Above this many distinct hit terms one token scan beats one regex scan per term.
_PER_TERM_SCAN_LIMIT: Final = 12


def _term_pattern(tokens: tuple[str, ...]) -> re.Pattern[str]:
    r"""Whole-token search for a term. The left boundary is a fixed-width lookbehind after
    the first literal, so the regex engine can still skip ahead by that literal prefix;
    literals and `\W+` are disjoint, so nothing can backtrack."""
    first = re.escape(tokens[0])
    rest = "".join(r"\W+" + re.escape(token) for token in tokens[1:])
    return re.compile(rf"{first}(?<!\w{first}){rest}(?!\w)")


@dataclass(frozen=True, slots=True)
class FilterResult:
    """`blocked`: a deny-listed term was found; `text` is then the unchanged input and must
    never be echoed. Otherwise `text` has every redact-listed term masked with `*`."""

    blocked: bool
    text: str


class ProfanityFilter:
    """Whole-token matcher over normalised text; build once, call `check` per message."""

    __slots__ = ("_allowed", "_flagged", "_kinds", "_patterns", "_phrases")

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
        seen_phrases: dict[tuple[str, ...], int] = {}
        for kind, terms in ((_DENY, deny), (_REDACT, redact)):
            for term in terms:
                tokens = normalise_term(term)
                if not tokens:
                    continue
                if len(tokens) == 1:
                    if tokens[0] not in kinds:  # allow wins, then deny beats redact
                        kinds[tokens[0]] = kind
                elif (
                    tokens not in allowed_phrases
                    and tokens not in seen_phrases
                    and allowed_words.isdisjoint(tokens)
                ):
                    seen_phrases[tokens] = kind
        phrases: dict[str, list[tuple[re.Pattern[str], int]]] = {}
        for tokens, kind in seen_phrases.items():
            phrases.setdefault(tokens[0], []).append((_term_pattern(tokens), kind))
        self._kinds = kinds
        self._phrases = phrases
        self._patterns = {key: _term_pattern((key,)) for key in kinds}
        self._allowed = frozenset(allowed_words)
        self._flagged = frozenset(
            [key for key, kind in kinds.items() if kind != _ALLOW] + list(phrases)
        )

    def check(self, text: str) -> FilterResult:
        """Block on a deny-listed term, else mask redact-listed terms in place."""
        normalised, index = normalise(text)
        main = main_view(normalised)
        views = [View(main)]
        if STRETCH_RE.search(main) is not None:
            views += View.collapsed(main)

        found: dict[int, list[Span]] = {_DENY: [], _REDACT: [], _ALLOW: []}
        view_keys = [(view, WORD_RE.findall(view.text)) for view in views]
        for view, keys in view_keys:
            hits = self._flagged.intersection(keys)
            if hits:
                self._scan(view, hits, found)
        for match in _SPACED_RE.finditer(main):
            kind = self._kinds.get(match.group()[::2], 0)
            if kind:
                found[kind].append(match.span())
        if not found[_DENY] and not found[_REDACT]:
            return FilterResult(blocked=False, text=text)
        # Something matched: find allowed words in every view, since they win.
        for view, keys in view_keys:
            allowed = self._allowed.intersection(keys)
            if allowed:
                self._scan(view, allowed, found)
        deny, redact = found[_DENY], found[_REDACT]
        allowed_spans = found[_ALLOW]
        if allowed_spans or _DIGIT_RE.search(normalised) is not None:

            def counts(span: Span) -> bool:
                start, end = span
                # A number such as 455 is never read as leetspeak.
                if (
                    normalised[start].isdigit()
                    and _NOT_NUMBER_RE.search(normalised, start, end) is None
                ):
                    return False
                # The allow-list wins over any other reading of the same characters.
                return not any(start < a_end and a_start < end for a_start, a_end in allowed_spans)

            deny = [span for span in deny if counts(span)]
            redact = [span for span in redact if counts(span)]
        if deny:
            return FilterResult(blocked=True, text=text)
        if not redact:
            return FilterResult(blocked=False, text=text)
        return FilterResult(blocked=False, text=mask(text, redact, index))

    def _scan(self, view: View, hits: frozenset[str], found: dict[int, list[Span]]) -> None:
        """Record the spans (in main-view positions) of the hit terms in one view."""
        kinds = self._kinds
        phrases = self._phrases
        text = view.text
        if len(hits) <= _PER_TERM_SCAN_LIMIT:
            for key in hits:
                kind = kinds.get(key, 0)
                if kind:
                    found[kind] += view.spans(
                        [m.span() for m in self._patterns[key].finditer(text)]
                    )
                for pattern, phrase_kind in phrases.get(key, ()):
                    found[phrase_kind] += view.spans([m.span() for m in pattern.finditer(text)])
            return
        for match in WORD_RE.finditer(text):
            key = match[0]
            if key not in hits:
                continue
            start, end = match.span()
            kind = kinds.get(key, 0)
            if kind:
                found[kind] += view.spans([(start, end)])
            for pattern, phrase_kind in phrases.get(key, ()):
                phrase = pattern.match(text, start)
                if phrase is not None:
                    found[phrase_kind] += view.spans([phrase.span()])
