"""`:shortcode:` → emoji, the first step of a message's text (before normalisation, the length
limit and the profanity filter, so the limit counts the emoji and the filter sees what people
will read).

Stdlib only: the table is generated from the `emoji` package by scripts/gen_emoji.py (decision
record 0022). A shortcode is a name from that table between two colons (`:thumbs_up:`,
`:+1:`, `:smile:`); anything else between colons (`10:30:00`, `:not_an_emoji:`) stays as it
was. The closing colon of an unknown name can open the next one, so `at 10:30:smile:` still
gets its 😄.
"""

from __future__ import annotations

import unicodedata

from app.domain.policies._emoji import NAME_CHARS, SHORTCODES

MAX_NAME_CHARS = max(map(len, SHORTCODES))


def emojize(text: str) -> str:
    if ":" not in text:
        return text
    out: list[str] = []
    start = 0  # text[start:] is not copied to `out` yet
    colon = text.find(":")
    while colon != -1:
        end = text.find(":", colon + 1)
        if end == -1:
            break
        name = text[colon + 1 : end]
        emoji = _lookup(name) if 0 < len(name) <= MAX_NAME_CHARS else None
        if emoji is None:
            colon = end  # the closing colon may open the next shortcode
            continue
        out.append(text[start:colon])
        out.append(emoji)
        start = end + 1
        colon = text.find(":", start)
    if not out:
        return text
    out.append(text[start:])
    return "".join(out)


def _lookup(name: str) -> str | None:
    if not name.isascii():
        # As the package does: a name typed with decomposed accents still matches.
        name = unicodedata.normalize("NFKC", name)
    if not all(ch in NAME_CHARS for ch in name):
        return None
    return SHORTCODES.get(name)
