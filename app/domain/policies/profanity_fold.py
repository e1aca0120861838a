"""How the profanity filter folds text before matching (steps 1-3 of the algorithm in
app/domain/policies/profanity.py): per-character normalisation with an index map back to the
original, leetspeak, and the views with stretched letters cut. Standard library only."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from itertools import accumulate
from typing import Final

# (character, letter) pairs; a chain of `str.replace` is ~30x faster than `str.translate`
# with a dict on non-ASCII text, and each pair keeps the length.
_LEET: Final = (
    ("4", "a"),
    ("@", "a"),
    ("3", "e"),
    ("1", "i"),
    ("!", "i"),
    ("|", "i"),
    ("l", "i"),
    ("0", "o"),
    ("5", "s"),
    ("$", "s"),
    ("7", "t"),
    ("+", "t"),
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

# Tokens of the leet-folded text (`_` was folded to a space, the leet symbols to letters).
WORD_RE: Final = re.compile(r"\w+")
STRETCH_RE: Final = re.compile(r"(\w)\1\1+")
# A run of `!` ending a token: read as punctuation (`shit!!`), not as the letter i.
_TRAILING_BANGS_RE: Final = re.compile(r"(?<!!)!++(?![\w@$+|])")
# Room for every assigned character (about 150,000 in Unicode 15), so that no stream of
# fresh characters can keep the slow path hot; unassigned and private-use characters are
# answered without normalising and never cached, so they cannot crowd the table.
_CACHE_LIMIT: Final = 200_000
_UNFOLDED_CATEGORIES: Final = frozenset({"Cn", "Co", "Cs"})

Span = tuple[int, int]


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


class _FoldTable(dict[str, str]):
    """Per-character folds, filled lazily and bounded in size."""

    def __missing__(self, ch: str) -> str:
        if unicodedata.category(ch) in _UNFOLDED_CATEGORIES:
            return ch
        folded = _fold_char(ch)
        if len(self) < _CACHE_LIMIT:
            self[ch] = folded
        return folded


_FOLD: Final = _FoldTable()


def normalise(text: str) -> tuple[str, list[int] | None]:
    """Normalised (not yet leet-folded) text and its index map (None = identity)."""
    if text.isascii():
        return text.lower().replace("_", " "), None
    pieces = list(map(_FOLD.__getitem__, text))
    folded = "".join(pieces)
    # No piece is empty and the lengths agree, so every piece is one character.
    if len(folded) == len(text) and "" not in pieces:
        return folded, None
    index = [i for i, piece in enumerate(pieces) for _ in piece]
    return folded, index


def _blank(match: re.Match[str]) -> str:
    return " " * len(match[0])


def main_view(normalised: str) -> str:
    """Trailing `!` runs are punctuation, every other leet character a letter; same length."""
    if "!" in normalised:
        normalised = _TRAILING_BANGS_RE.sub(_blank, normalised)
    for symbol, letter in _LEET:
        if symbol in normalised:
            normalised = normalised.replace(symbol, letter)
    return normalised


def normalise_term(term: str) -> tuple[str, ...]:
    """The folded tokens a list term matches (empty if it has no letters or digits)."""
    folded, _ = normalise(term)
    return tuple(WORD_RE.findall(main_view(folded)))


class View:
    """The main view (`keep` = 0), or the main view with every run of 3+ equal characters
    cut to `keep` characters (`fuuuck` → `fuck`, `asss` → `ass`), which maps its positions
    back to main-view positions."""

    __slots__ = ("_main", "_map", "keep", "text")

    def __init__(self, text: str, keep: int = 0, main: str = "") -> None:
        self.text = text
        self.keep = keep
        self._main = main
        self._map: tuple[list[int], list[tuple[int, int, int]]] | None = None

    @classmethod
    def collapsed(cls, main: str) -> list[View]:
        runs = [(m.start(), m.end(), m[1]) for m in STRETCH_RE.finditer(main)]
        ones: list[str] = []
        twos: list[str] = []
        position = 0
        for start, end, ch in runs:
            gap = main[position:start]
            ones += (gap, ch)
            twos += (gap, ch, ch)
            position = end
        tail = main[position:]
        return [cls("".join(ones) + tail, 1, main), cls("".join(twos) + tail, 2, main)]

    def spans(self, spans: list[Span]) -> list[Span]:
        if not self.keep or not spans:
            return spans
        return [
            (self._to_main(s, first=True), self._to_main(e - 1, first=False) + 1) for s, e in spans
        ]

    def _to_main(self, position: int, *, first: bool) -> int:
        if self._map is None:
            runs = [m.span() for m in STRETCH_RE.finditer(self._main)]
            cut = [end - start - self.keep for start, end in runs]
            removed = list(accumulate(cut))
            starts = [s - r + c for (s, _), r, c in zip(runs, removed, cut, strict=True)]
            self._map = starts, [(s, e, r) for (s, e), r in zip(runs, removed, strict=True)]
        starts, runs_removed = self._map
        i = bisect_right(starts, position) - 1
        if i < 0:
            return position
        run_start, run_end, removed_so_far = runs_removed[i]
        if position < starts[i] + self.keep:  # inside a cut run
            return run_start if first else run_end - 1
        return position + removed_so_far


def mask(text: str, spans: list[Span], index: list[int] | None) -> str:
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


def forget_folds() -> None:
    """Empty the per-character fold cache (benchmarks time the first sight of a character)."""
    _FOLD.clear()
