"""Chat message text: normalisation before anything else sees it, and safe logging.

Stdlib only. `normalize_message` is what the server stores, filters and broadcasts; the
length limit counts code points of its result (docs/protocol.md, `send`: "1-512 code points
after NFC and trimming").

Decisions:

* Line breaks: `\\n` is kept (multi-line messages are ordinary chat; JSON and HTML carry it
  safely). `\\r\\n`, `\\r`, NEL (U+0085), U+2028 and U+2029 become `\\n`: a bare `\\r` can
  overwrite a terminal or log line, and U+2028/U+2029 break naive JavaScript embedding.
  More than `MAX_BLANK_LINES` blank lines in a row are collapsed, so one message cannot
  scroll a room's screen away.
* Tab becomes a space: it renders differently everywhere and only aligns columns, but
  dropping it would glue the words around it together.
* Every other control character (Cc, e.g. NUL or ESC of `\\x1b[2J`) is removed.
* Bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) are removed: they
  reorder how the rest of a line (and the next author's name) is displayed.
* Invisible characters are removed: U+200B, U+2060, U+FEFF, soft hyphen U+00AD, U+180E,
  invisible operators U+2061-U+2064, deprecated format controls U+206A-U+206F,
  interlinear annotation U+FFF9-U+FFFB, and the Hangul fillers U+3164 and U+FFA0.
* Joiners (ZWJ U+200D, ZWNJ U+200C) are kept only between two non-ASCII, non-space
  characters, one joiner at a time. That keeps emoji sequences (👩‍💻, 🏳️‍🌈) and the
  orthographic joiners of Persian and Indic scripts, and removes them from ASCII text
  (`w\\u200dord`), where they only serve to dodge filters.
* Tag characters (U+E0020-U+E007F) are kept only as the subdivision flag sequence they
  exist for (🏴 followed by tags ending in CANCEL TAG, e.g. the flag of England); anywhere
  else they are invisible text ("ASCII smuggling") and are removed.
* Variation selectors are kept one at a time (one after a base character, as in ❤️ or
  1️⃣); runs of them hide data and are cut to one.
* Runs of combining marks longer than `MAX_CONSECUTIVE_MARKS` are cut ("zalgo" text that
  spills over neighbouring lines).
"""

from __future__ import annotations

import re
import unicodedata

from app.domain.codes import ErrorCode
from app.domain.errors import ChatError

MAX_BLANK_LINES = 2
MAX_CONSECUTIVE_MARKS = 8

_NEWLINES = re.compile("\r\n|[\r\x85\u2028\u2029]")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n){" + str(MAX_BLANK_LINES + 1) + ",}")

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
INVISIBLES = frozenset(
    "\u00ad\u180e\u200b\u2060\u2061\u2062\u2063\u2064\ufeff\ufff9\ufffa\ufffb\u3164\uffa0"
    "\u206a\u206b\u206c\u206d\u206e\u206f"
)
JOINERS = frozenset("\u200c\u200d")
_REMOVED = BIDI_CONTROLS | INVISIBLES
_BLACK_FLAG = "\U0001f3f4"
_CANCEL_TAG = "\U000e007f"
# Characters that count as nothing when deciding whether a message is empty.
_BLANK = frozenset("\u2800") | JOINERS


def _is_tag(ch: str) -> bool:
    return 0xE0020 <= ord(ch) <= 0xE007F


def _is_variation_selector(ch: str) -> bool:
    cp = ord(ch)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def _strip_invisibles(text: str) -> str:
    """Drop controls (but `\\n`), bidi controls and invisibles; keep tags only in flags."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == _BLACK_FLAG:
            j = i + 1
            while j < n and _is_tag(text[j]) and text[j] != _CANCEL_TAG:
                j += 1
            if j > i + 1 and j < n and text[j] == _CANCEL_TAG:
                out.append(text[i : j + 1])  # a whole subdivision flag
                i = j + 1
                continue
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif ch == "\n" or not (ch in _REMOVED or _is_tag(ch) or unicodedata.category(ch) == "Cc"):
            out.append(ch)
        i += 1
    return "".join(out)


def _is_joinable(ch: str) -> bool:
    return not ch.isascii() and not ch.isspace() and ch not in JOINERS


def _limit_joiners_and_marks(text: str) -> str:
    """Keep a joiner only between two joinable characters; cut selector and mark runs."""
    out: list[str] = []
    marks = 0
    n = len(text)
    for i, ch in enumerate(text):
        if ch in JOINERS:
            prev = out[-1] if out else ""
            nxt = text[i + 1] if i + 1 < n else ""
            if prev and nxt and _is_joinable(prev) and _is_joinable(nxt):
                out.append(ch)
            continue
        if _is_variation_selector(ch):
            if out and not _is_variation_selector(out[-1]) and out[-1] not in JOINERS:
                out.append(ch)
            continue
        if unicodedata.category(ch) in ("Mn", "Me"):
            marks += 1
            if marks > MAX_CONSECUTIVE_MARKS:
                continue
        else:
            marks = 0
        out.append(ch)
    return "".join(out)


def normalize_message(raw: str, *, max_chars: int) -> str:
    """Return the text to store and broadcast, or raise MESSAGE_EMPTY / MESSAGE_TOO_LONG.

    NFC, line breaks unified, controls, bidi controls and invisibles removed (see the
    module docstring), blank-line runs collapsed, surrounding whitespace trimmed. The limit
    counts code points of the result, so 512 astral emoji fit a 512 limit.
    """
    text = unicodedata.normalize("NFC", raw)
    text = _NEWLINES.sub("\n", text)
    text = _strip_invisibles(text)
    text = _limit_joiners_and_marks(text)
    text = _BLANK_LINES.sub("\n" * (MAX_BLANK_LINES + 1), text)
    text = text.strip()
    if all(ch.isspace() or ch in _BLANK for ch in text):
        raise ChatError(ErrorCode.MESSAGE_EMPTY, "message is empty")
    if len(text) > max_chars:
        raise ChatError(
            ErrorCode.MESSAGE_TOO_LONG,
            f"message is {len(text)} characters; the limit is {max_chars}",
        )
    return text


_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _needs_escape(ch: str) -> bool:
    if ch in _NAMED_ESCAPES:
        return True
    cat = unicodedata.category(ch)
    return cat[0] == "C" or cat in ("Zl", "Zp") or (cat == "Zs" and ch != " ")


def escape_for_log(value: str) -> str:
    """Escape what could forge, hide or reorder log text: one line, printable, unambiguous.

    Control, format (bidi, zero-width, tags), private-use, surrogate and unassigned code
    points and non-ASCII spaces become `\\xNN`, `\\uNNNN` or `\\UNNNNNNNN`; newline, CR and
    tab become `\\n`, `\\r`, `\\t`; a backslash is doubled so escapes cannot be faked.
    """
    out: list[str] = []
    for ch in value:
        if not _needs_escape(ch):
            out.append(ch)
            continue
        named = _NAMED_ESCAPES.get(ch)
        if named is not None:
            out.append(named)
            continue
        cp = ord(ch)
        if cp <= 0xFF:
            out.append(f"\\x{cp:02x}")
        elif cp <= 0xFFFF:
            out.append(f"\\u{cp:04x}")
        else:
            out.append(f"\\U{cp:08x}")
    return "".join(out)
