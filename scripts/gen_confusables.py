"""Generate app/domain/policies/_confusables.py from Unicode's confusables data.

The data comes from the `confusable-homoglyphs` package (a dev dependency, pinned in
pyproject.toml), which ships Unicode's confusablesSummary.txt as `confusables.json`: for
every character of a confusable group, other members of its group. Each group gets one
prototype, chosen by readability (ASCII lower-case letters, ASCII, Latin, then NFKC-stable,
shorter, lower code point), and every other single-character member (after NFD, as TR39
computes skeletons on decomposed text) maps to it.

The generated table is what `name_key` applies after NFKC and casefold, so only entries
that can matter there are kept:

* the source is a single character that can still appear after NFKC, casefold and NFD
  (those fold fullwidth, mathematical, upper-case and precomposed forms before the lookup)
  and may appear in a name (letter, digit, combining mark, `_-.`);
* the target, resolved to a fixed point of the fold-and-map step (so `name_key` is
  idempotent), is in NFD, consists only of characters that may appear in a name and
  differs from the source.

Run:  uv run python scripts/gen_confusables.py
Check: uv run python scripts/gen_confusables.py --check   (exit 1 when the file is stale)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import sys
import unicodedata
from importlib import resources
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "app" / "domain" / "policies" / "_confusables.py"
PACKAGE = "confusable-homoglyphs"
NAME_PUNCTUATION = frozenset("_-. ")
# Artifacts of the package's data: right-to-left characters are wrapped in these marks.
DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")


def allowed_in_name(ch: str) -> bool:
    if ch in NAME_PUNCTUATION:
        return True
    cat = unicodedata.category(ch)
    return cat[0] in "LM" or cat == "Nd"


def load_graph() -> dict[str, set[str]]:
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    data: dict[str, list[dict[str, str]]] = json.loads(raw)
    graph: dict[str, set[str]] = {}
    for key, entries in data.items():
        k = key.translate(DIRECTION_MARKS)
        for entry in entries:
            v = entry["c"].translate(DIRECTION_MARKS)
            if k and v and k != v:
                graph.setdefault(k, set()).add(v)
                graph.setdefault(v, set()).add(k)
    return graph


def groups_of(graph: dict[str, set[str]]) -> list[set[str]]:
    groups: list[set[str]] = []
    seen: set[str] = set()
    for start in sorted(graph):
        if start in seen:
            continue
        group: set[str] = set()
        stack = [start]
        while stack:
            node = stack.pop()
            if node not in group:
                group.add(node)
                stack.extend(graph[node])
        seen |= group
        groups.append(group)
    return groups


def preference(s: str) -> tuple[int, bool, int, list[int]]:
    """Sort key of a group member as its prototype: readable ASCII/Latin forms first.

    Lower-case ASCII letters win over upper-case ones: `name_key` casefolds before the
    lookup, so in the group of `l`, `1` and `I` the prototype must be `l` (were it `I`, `l`
    would key as `i` and `Ali` would collide with `Ail`); in the group of `O` and `0`,
    `O` wins and folds to `o`, so `b0b` keys as `bob`.
    """
    if s.isascii() and s.isalpha() and s.islower():
        rank = 0
    elif s.isascii() and s.isalpha():
        rank = 1
    elif s.isascii() and s.isalnum():
        rank = 2
    elif s.isascii():
        rank = 3
    elif unicodedata.name(nfd(s)[0], "").startswith("LATIN"):
        rank = 4
    else:
        rank = 5
    return (rank, unicodedata.normalize("NFKC", s) != s, len(s), [ord(c) for c in s])


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def reachable_after_folding() -> set[str]:
    """Characters that can reach the lookup (NFKC, casefold, NFD): the only ones kept."""
    reachable: set[str] = set()
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        reachable.update(nfd(unicodedata.normalize("NFKC", chr(cp)).casefold()))
    return reachable


def build_table() -> dict[str, str]:
    graph = load_graph()
    raw_map: dict[str, str] = {}
    for group in groups_of(graph):
        proto = nfd(min(group, key=preference))
        for member in group:
            decomposed = nfd(member)
            if len(decomposed) == 1 and decomposed != proto:
                raw_map.setdefault(decomposed, proto)

    def apply(text: str) -> str:
        # Mirrors app.domain.policies.names.name_key, before its final NFC.
        folded = nfd(unicodedata.normalize("NFKC", text).casefold())
        return nfd("".join(raw_map.get(c, c) for c in folded).casefold())

    reachable = reachable_after_folding()
    table: dict[str, str] = {}
    for source in raw_map:
        if source not in reachable or not allowed_in_name(source):
            continue
        target = apply(source)
        for _ in range(10):
            nxt = apply(target)
            if nxt == target:
                break
            target = nxt
        else:
            continue  # no fixed point: leave the character alone
        if target != source and target and all(allowed_in_name(c) for c in target):
            table[source] = target
    return dict(sorted(table.items()))


def escape(s: str) -> str:
    out = []
    for c in s:
        o = ord(c)
        if c.isascii() and c.isprintable() and c not in '"\\':
            out.append(c)
        elif o <= 0xFFFF:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    return "".join(out)


def render(table: dict[str, str]) -> str:
    version = importlib.metadata.version(PACKAGE)
    lines = [
        '"""Confusable characters to their skeleton: GENERATED, DO NOT EDIT.',
        "",
        f"Generated by scripts/gen_confusables.py from {PACKAGE}=={version}",
        "(Unicode confusablesSummary.txt). Regenerate with:",
        "",
        "    uv run python scripts/gen_confusables.py",
        "",
        "Keys are single characters that can remain after NFKC, casefold and NFD and may appear",
        "in a guest name; values are casefolded NFD skeletons that the table leaves unchanged.",
        '"""',
        "",
        "CONFUSABLES: dict[str, str] = {",
    ]
    for source, target in table.items():
        name = unicodedata.name(source, "")
        lines.append(f'    "{escape(source)}": "{escape(target)}",  # {name}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args()
    text = render(build_table())
    if args.check:
        if OUTPUT.read_text("utf-8") != text:
            print(f"{OUTPUT} is stale; run scripts/gen_confusables.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, "utf-8")
    print(f"wrote {OUTPUT} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
