"""The chat's tiny Markdown: `*bold*` → `<strong>`, `_italic_` → `<em>`, nothing else.

Everything that is not one of those two spans is literal text, HTML-escaped (`&`, `<`, `>`,
`"`, `'`), so links, images, autolinks, raw HTML, entities, code, headings, lists, quotes and
breaks can never appear: `&lt;script&gt;` is shown as typed (its `&` becomes `&amp;`).

Why not markdown-it-py: `MarkdownIt("zero").enable("emphasis").parseInline` gives the right
tokens, but measured 2.4-3.2 ms median (up to 9 ms p99) for 512-character delimiter floods
such as `"*_" * 256` on the target machine, over the 1 ms hot-path budget
(bench/micro_text.py prints the comparison). This module is one linear pass instead.

Rules (decided here, documented in PROTOCOL terms):
- A delimiter is a maximal run of `*` or of `_`; the run's length does not matter, so
  `*b*`, `**b**` and `***b***` all render `<strong>b</strong>`, and `_i_`/`__i__` render
  `<em>i</em>`. (CommonMark would make `*x*` <em> and `**x**` <strong>; chat users type
  either, and one meaning per character is simpler.)
- A run can open when the next character is not whitespace, and close when the previous
  one is not whitespace; `_` additionally may not open or close inside a word, so
  `snake_case_name` stays literal, while `un*believ*able` works.
- A span must be non-empty. The same kind cannot nest inside itself: a second opener of an
  open kind replaces the first (which becomes literal), as the nearest pair wins.
- Closing a span drops any still-open span of the other kind opened inside it (it becomes
  literal), so the output is always well-formed: tags balanced and properly nested. Openers
  left at the end are literal.
- Newlines stay literal `\\n` characters (no `<br>`); clients show them with
  `white-space: pre-wrap`. Spans may cross them.
"""

from __future__ import annotations

import re
from html import escape
from typing import Final

__all__ = ["render_html"]

_RUN_RE: Final = re.compile(r"\*+|_+")
_TAGS: Final = {"*": ("<strong>", "</strong>"), "_": ("<em>", "</em>")}


def _is_word(ch: str) -> bool:
    return ch.isalnum()


def render_html(text: str) -> str:
    """Render a chat message to inline HTML (no wrapper element)."""
    out: list[str] = []
    # Open spans, innermost last: (kind, index in `out` of the opener's literal run).
    stack: list[tuple[str, int]] = []
    position = 0
    length = len(text)
    for match in _RUN_RE.finditer(text):
        start, end = match.span()
        if start > position:
            out.append(escape(text[position:start]))
        position = end
        run = match.group()
        kind = run[0]
        before = text[start - 1] if start else " "
        after = text[end] if end < length else " "
        can_open = not after.isspace()
        can_close = not before.isspace()
        if kind == "_":
            can_open = can_open and not _is_word(before)
            can_close = can_close and not _is_word(after)

        depth = next((d for d in range(len(stack) - 1, -1, -1) if stack[d][0] == kind), -1)
        if can_close and depth >= 0 and stack[depth][1] != len(out) - 1:
            opener = stack[depth][1]
            del stack[depth:]  # spans of the other kind opened inside stay literal
            out[opener] = _TAGS[kind][0]
            out.append(_TAGS[kind][1])
            continue
        out.append(run)
        if can_open:
            if depth >= 0:
                del stack[depth]  # the nearer opener wins; the older one stays literal
            stack.append((kind, len(out) - 1))
    if position < length:
        out.append(escape(text[position:]))
    return "".join(out)
