"""The chat's tiny Markdown: `*bold*` → `<strong>`, `_italic_` → `<em>`, nothing else.

Everything that is not one of those two spans is literal text, HTML-escaped (`&`, `<`, `>`,
`"`, `'`), so links, images, autolinks, raw HTML, entities, code, headings, lists, quotes and
breaks can never appear: `&lt;script&gt;` is shown as typed (its `&` becomes `&amp;`).

Why not markdown-it-py: `MarkdownIt("zero").enable("emphasis").parseInline` gives the right
tokens, but is over the 1 ms hot-path budget on 512-character delimiter floods such as
`"*_" * 256` (the figures: docs/benchmarks.md, "Markdown render"; ADR 0001). This module is
one linear pass instead.

Rules (decided here; docs/protocol.md states them for clients):
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

_RUN_RE: Final = re.compile(r"(\*+|_+)")
_OPEN: Final = {"*": "<strong>", "_": "<em>"}
_CLOSE: Final = {"*": "</strong>", "_": "</em>"}


def render_html(text: str) -> str:
    """Render a chat message to inline HTML (no wrapper element)."""
    # Escape once up front: escaping never touches `*`/`_`, and every escape sequence ends
    # in `;`, which is neither whitespace nor alphanumeric, like the character it replaces,
    # so the flanking rules below see the same thing.
    text = escape(text)
    # [text, run, text, run, ..., text]: runs at odd indexes, texts possibly empty.
    parts = _RUN_RE.split(text)
    last = len(parts) - 1
    out: list[str] = [parts[0]] if parts[0] else []
    # Open spans, innermost last, at most one per kind: (kind, index in `out` of the
    # opener's literal run).
    stack: list[tuple[str, int]] = []
    for i in range(1, last, 2):
        run = parts[i]
        kind = run[0]
        previous, following = parts[i - 1], parts[i + 1]
        # An empty text between two runs means the neighbour is the other run itself.
        before = previous[-1] if previous else (parts[i - 2][-1] if i > 1 else " ")
        after = following[0] if following else (parts[i + 2][0] if i + 2 < last else " ")
        can_open = not after.isspace()
        can_close = not before.isspace()
        if kind == "_":
            can_open = can_open and not before.isalnum()
            can_close = can_close and not after.isalnum()

        if stack and stack[-1][0] == kind:
            depth = len(stack) - 1
        elif len(stack) == 2 and stack[0][0] == kind:
            depth = 0
        else:
            depth = -1
        if can_close and depth >= 0 and stack[depth][1] != len(out) - 1:
            opener = stack[depth][1]
            del stack[depth:]  # a span of the other kind opened inside stays literal
            out[opener] = _OPEN[kind]
            out.append(_CLOSE[kind])
        else:
            out.append(run)
            if can_open:
                if depth >= 0:
                    del stack[depth]  # the nearer opener wins; the older one stays literal
                stack.append((kind, len(out) - 1))
        if following:
            out.append(following)
    return "".join(out)
