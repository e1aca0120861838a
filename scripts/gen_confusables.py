"""Generate app/domain/policies/_confusables.py: the confusable prototypes `name_key` maps.

Data. The `confusable-homoglyphs` package (a dev dependency, pinned in pyproject.toml)
ships Unicode's confusables.txt (`security/latest` when the package was built) as
`confusables.json`, but undirected: each line `source → prototype` puts the prototype in
the source's list and the source in the prototype's list. The direction is recovered,
since in confusables.txt every source is one code point with exactly one prototype and no
prototype is itself a source:

* a key of several characters, or one listing several others, is a prototype;
* otherwise a key listing one other whose list names only it is one line of the file, and
  the package wrote the source's key first (JSON keeps its insertion order).

The recovered map equals ICU 72.1's SpoofChecker skeleton (Unicode 15.0) on every code
point but U+2028, U+2029, U+3164 and U+1F16D, whose lines the package's parser missed and
none of which may appear in a name (checked once with Debian's python3-icu, see decision
record 0012). Multi-character prototypes such as `m` → `rn` are kept: TR39 skeletons are
what make `Wilharn` and `Wilham` collide.

ParrotChat adds two entries (SUPPLEMENT, decision record 0012): `i` → `l`, because
Unicode's `I` → `l` and case folding (`I` ≡ `i`) would otherwise give `ALICE` and `alice`
different keys, and `w` → `vv`, which confusables.txt lacks.

Table. For every character that may appear in a guest name (letters, marks, digits,
`_-. `) and can reach a lookup in `name_key`, the value is the fixed point of `name_key`'s
own steps applied to it (NFKC, skeleton, casefold, skeleton), in NFD, so that `name_key`
is idempotent; characters whose key the map does not change are left out.

Run:  uv run python scripts/gen_confusables.py
Check: uv run python scripts/gen_confusables.py --check   (exit 1 when the file is stale)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import re
import sys
import unicodedata
from importlib import resources
from pathlib import Path

from app.domain.policies._ignorables import IGNORABLE_RANGES

OUTPUT = Path(__file__).resolve().parent.parent / "app" / "domain" / "policies" / "_confusables.py"
PACKAGE = "confusable-homoglyphs"
NAME_PUNCTUATION = frozenset("_-. ")
# Artifacts of the package's data: right-to-left characters are wrapped in these marks.
DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")
SUPPLEMENT = {"i": "l", "w": "vv"}
IGNORABLE = re.compile(
    "[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in IGNORABLE_RANGES) + "]"
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def allowed_in_name(ch: str) -> bool:
    if ch in NAME_PUNCTUATION:
        return True
    cat = unicodedata.category(ch)
    return cat[0] in "LM" or cat == "Nd"


def load_prototypes() -> dict[str, str]:
    """confusables.txt as `source: prototype`, recovered from the package's JSON."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    data: dict[str, list[dict[str, str]]] = json.loads(raw)
    order: dict[str, int] = {}
    neighbours: dict[str, set[str]] = {}
    for position, (key, entries) in enumerate(data.items()):
        k = key.translate(DIRECTION_MARKS)
        order.setdefault(k, position)
        neighbours.setdefault(k, set()).update(e["c"].translate(DIRECTION_MARKS) for e in entries)
    prototypes: dict[str, str] = {}
    for key, others in neighbours.items():
        if len(key) != 1 or len(others) != 1:
            continue  # a prototype
        (other,) = others
        if len(other) > 1 or len(neighbours[other]) > 1 or order[key] < order[other]:
            prototypes[key] = other
    return prototypes


def skeleton(text: str, table: dict[str, str]) -> str:
    """TR39's skeleton with `table` as the prototypes (mirrors names._skeleton)."""
    decomposed = IGNORABLE.sub("", nfd(text))
    return nfd("".join(table.get(ch, ch) for ch in decomposed))


def key_with(text: str, table: dict[str, str]) -> str:
    """`name_key` with `table` as the confusables map (mirrors names.name_key)."""
    first = skeleton(unicodedata.normalize("NFKC", text), table)
    return unicodedata.normalize("NFC", skeleton(first.casefold(), table))


def fixed_point(text: str, table: dict[str, str]) -> str | None:
    for _ in range(10):
        nxt = key_with(text, table)
        if nxt == text:
            return text
        text = nxt
    return None


def reachable() -> set[str]:
    """Characters either skeleton pass of `name_key` can look up."""
    seen: set[str] = set()
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        first = nfd(unicodedata.normalize("NFKC", chr(cp)))
        seen.update(first)
        seen.update(nfd(first.casefold()))
    return seen


def build_table() -> dict[str, str]:
    raw_map = load_prototypes()
    raw_map.update(SUPPLEMENT)
    table: dict[str, str] = {}
    for source in sorted(reachable()):
        if not allowed_in_name(source) or IGNORABLE.match(source):
            continue
        target = fixed_point(source, raw_map)
        if target is None or target == fixed_point(source, {}):
            continue  # no fixed point (left alone), or case folding alone gives the same key
        assert IGNORABLE.search(target) is None, ascii(source)
        table[source] = nfd(target)
    return table


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
        '"""Confusable characters to their name-key skeleton: GENERATED, DO NOT EDIT.',
        "",
        f"Generated by scripts/gen_confusables.py from {PACKAGE}=={version}",
        "(Unicode confusables.txt, TR39 prototypes) plus ParrotChat's i -> l and w -> vv.",
        "Regenerate with:",
        "",
        "    uv run python scripts/gen_confusables.py",
        "",
        "Keys are single characters that may appear in a guest name and reach a lookup in",
        "name_key; values are NFD skeletons that name_key leaves unchanged.",
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
