"""Guest names and room names: validation, normalisation and uniqueness keys.

Stdlib only. Every denial is a `ChatError` whose reason names the offending code point as
`U+XXXX`, never the raw character (reasons are echoed to clients and written to logs).

Guest names (docs/protocol.md, `hello`):

* NFKC, then surrounding spaces stripped (only space separators: a surrounding control
  character such as `\\n` is refused, not silently dropped);
* 2-24 code points; letters of any script (L*), decimal digits (Nd), combining marks (M*),
  `_`, `-`, `.` and single inner ASCII spaces;
* at least one letter or digit, no leading combining mark and at most
  `MAX_CONSECUTIVE_MARKS` marks in a row (no "zalgo" stacks spilling over other lines);
* no control, format (zero-width, bidi), private-use, surrogate or unassigned code points,
  and no Hangul filler letters (they render as nothing);
* not a reserved name, nor a look-alike of one (see `_reserved_probe`).

`name_key` gives the per-room uniqueness key: case and confusable look-alikes folded, so
`ALICE`, `Alice` and `\\u0430lice` (Cyrillic a) share the key `alice`.

Room names are ASCII only and are not normalised: fullwidth `lobby` is invalid.
"""

from __future__ import annotations

import re
import unicodedata

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError
from app.domain.policies._confusables import CONFUSABLES

NAME_MIN_CHARS = 2
NAME_MAX_CHARS = 24
MAX_CONSECUTIVE_MARKS = 4
# Longer input is refused before NFKC runs on it (NFKC can expand, never shrink by much).
_MAX_RAW_NAME_CHARS = 256

RESERVED_GUEST_NAMES: frozenset[str] = frozenset(
    {"system", "admin", "owner", "server", "parrot", "parrotchat", "moderator", "root"}
)

_NAME_PUNCTUATION = frozenset("_-.")
# Letters (Lo) that render as blank space: a name made of them would look empty.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")

# Reserved-name matching folds more than `name_key` does, since a false positive only
# costs a user one name: separators and combining marks are dropped (`s.y.s.t.e.m`,
# `rõot`), digits read as the letters they imitate (`4dmin`, `r00t`, `5ystem`), and
# `l`/`i` (`adm1n` keys as `admln`), `rn`/`m` and `vv`/`w` are merged.
_RESERVED_DROP = frozenset("_-. ")
_LEET = str.maketrans({"4": "a", "3": "e", "5": "s", "7": "t", "0": "o", "1": "i", "l": "i"})
_RESERVED_DIGRAPHS = (("rn", "m"), ("vv", "w"))

ROOM_NAME_MIN_CHARS = 3
ROOM_NAME_MAX_CHARS = 30
# Use with `fullmatch` only: `match`/`search` would accept a prefix or `lobby\n`.
ROOM_NAME_RE: re.Pattern[str] = re.compile(r"[a-z0-9-]{3,30}")
# The same rule as an anchored pattern string for JSON Schema / pydantic `pattern=`
# (whose default engine has no multi-line `$`).
ROOM_NAME_PATTERN = r"^[a-z0-9-]{3,30}$"

RESERVED_ROOM_NAMES: frozenset[str] = frozenset(
    {"admin", "system", "api", "ws", "static", "metrics", "health", "docs", "root", "parrot"}
)


def _cp(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _invalid_name(reason: str) -> ChatError:
    return ChatError(ErrorCode.NAME_INVALID, reason)


def _check_name_char(ch: str) -> None:
    """Raise NAME_INVALID unless `ch` may appear in a guest name at all."""
    if ch == " " or ch in _NAME_PUNCTUATION:
        return
    cat = unicodedata.category(ch)
    if ch in _INVISIBLE_LETTERS:
        raise _invalid_name(f"name contains an invisible filler character ({_cp(ch)})")
    if cat[0] in "LM" or cat == "Nd":
        return
    if cat == "Cc":
        raise _invalid_name(f"name contains a control character ({_cp(ch)})")
    if cat == "Cf":
        raise _invalid_name(
            f"name contains an invisible formatting character such as a zero-width or "
            f"bidi control ({_cp(ch)})"
        )
    if cat == "Co":
        raise _invalid_name(f"name contains a private-use character ({_cp(ch)})")
    if cat == "Cs":
        raise _invalid_name(f"name contains a lone surrogate ({_cp(ch)})")
    if cat == "Cn":
        raise _invalid_name(f"name contains an unassigned code point ({_cp(ch)})")
    raise _invalid_name(
        f"name may contain only letters, digits, combining marks, '_', '-', '.' and "
        f"single spaces; {_cp(ch)} is not allowed"
    )


def _strip_spaces(text: str) -> str:
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(text[end - 1]) == "Zs":
        end -= 1
    return text[start:end]


def name_key(name: str) -> str:
    """Uniqueness key of a guest name: NFKC, casefold, confusable skeleton, casefold.

    The confusable table (generated from Unicode's confusables data, see
    scripts/gen_confusables.py) maps decomposed characters, as TR39 skeletons do, so the
    text is put in NFD for the lookup and back in NFC at the end. Idempotent:
    `name_key(name_key(x)) == name_key(x)`.
    """
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name).casefold())
    skeleton = "".join(CONFUSABLES.get(ch, ch) for ch in folded)
    return unicodedata.normalize("NFC", skeleton.casefold())


def _reserved_probe(name: str) -> str:
    decomposed = unicodedata.normalize("NFD", name_key(name))
    kept = "".join(
        ch for ch in decomposed if ch not in _RESERVED_DROP and unicodedata.category(ch)[0] != "M"
    )
    probe = kept.translate(_LEET)
    for digraph, letter in _RESERVED_DIGRAPHS:
        probe = probe.replace(digraph, letter)
    return probe


_RESERVED_PROBES = frozenset(_reserved_probe(n) for n in RESERVED_GUEST_NAMES)


def is_reserved_guest_name(name: str) -> bool:
    """True when `name` is, or looks like, a reserved guest name."""
    return _reserved_probe(name) in _RESERVED_PROBES


def normalize_guest_name(raw: str) -> str:
    """Validate a requested guest name and return its display form (NFKC, stripped).

    Raises ChatError(NAME_INVALID) for a malformed name and ChatError(NAME_RESERVED) for a
    reserved one or a look-alike of one.
    """
    if len(raw) > _MAX_RAW_NAME_CHARS:
        raise _invalid_name(f"name must be at most {NAME_MAX_CHARS} characters")
    name = _strip_spaces(unicodedata.normalize("NFKC", raw))
    marks_in_a_row = 0
    for ch in name:
        _check_name_char(ch)
        if unicodedata.category(ch)[0] == "M":
            marks_in_a_row += 1
            if marks_in_a_row > MAX_CONSECUTIVE_MARKS:
                raise _invalid_name(
                    f"name has more than {MAX_CONSECUTIVE_MARKS} combining marks in a row"
                )
        else:
            marks_in_a_row = 0
    if "  " in name:
        raise _invalid_name("name may not contain two spaces in a row")
    if not NAME_MIN_CHARS <= len(name) <= NAME_MAX_CHARS:
        raise _invalid_name(
            f"name must be {NAME_MIN_CHARS}-{NAME_MAX_CHARS} characters (got {len(name)})"
        )
    if unicodedata.category(name[0])[0] == "M":
        raise _invalid_name("name may not start with a combining mark")
    if not any(unicodedata.category(ch)[0] == "L" or ch.isdecimal() for ch in name):
        raise _invalid_name("name must contain at least one letter or digit")
    if is_reserved_guest_name(name):
        raise ChatError(ErrorCode.NAME_RESERVED, "this name is reserved; pick another")
    return name


def normalize_room_name(raw: str) -> str:
    """Validate a room name and return it unchanged.

    Raises ChatError(ROOM_INVALID) unless it is 3-30 of `a-z`, `0-9`, `-` (no folding of
    case, width or anything else) and ChatError(ROOM_RESERVED) for a reserved name.
    """
    if ROOM_NAME_RE.fullmatch(raw) is None:
        raise ChatError(
            ErrorCode.ROOM_INVALID,
            f"room names are {ROOM_NAME_MIN_CHARS}-{ROOM_NAME_MAX_CHARS} characters of "
            f"a-z, 0-9 and '-'",
        )
    if raw in RESERVED_ROOM_NAMES:
        raise ChatError(ErrorCode.ROOM_RESERVED, f"room name '{raw}' is reserved", room=raw)
    return raw
