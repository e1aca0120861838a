"""Word lists for the profanity policy: the packaged defaults and operator-supplied files.

Defaults:
- redact: better-profanity 0.7.0's `profanity_wordlist.txt`, read as package data (the
  library itself is never called: its `censor()` takes 100+ ms per message);
- deny: `data/deny_default.txt`, the slurs of that list whose dominant meaning is the slur;
- allow: `data/allow_default.txt`, identity terms and known false positives.

Files given by the operator replace the matching default; `extra_*` terms add to it.
Terms are deduplicated after normalisation by the filter itself (the better-profanity
list already spells many words in leetspeak, which fold to one term).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from app.domain.policies.profanity import ProfanityFilter

__all__ = [
    "build_profanity_filter",
    "default_allow",
    "default_deny",
    "default_redact",
    "load_wordlist",
    "parse_wordlist",
]

_DATA = resources.files("app.adapters") / "data"


def parse_wordlist(lines: Iterable[str]) -> list[str]:
    """One term per line; blank lines and `#` comments are skipped; order kept, exact
    duplicates dropped."""
    terms: dict[str, None] = {}
    for line in lines:
        term = line.strip()
        if term and not term.startswith("#"):
            terms[term] = None
    return list(terms)


def load_wordlist(path: str | Path) -> list[str]:
    """Read a UTF-8 word list file (see `parse_wordlist` for the format)."""
    return parse_wordlist(Path(path).read_text(encoding="utf-8").splitlines())


def default_redact() -> list[str]:
    """better-profanity 0.7.0's packaged word list (before removing allowed terms)."""
    data = resources.files("better_profanity") / "profanity_wordlist.txt"
    return parse_wordlist(data.read_text(encoding="utf-8").splitlines())


def default_deny() -> list[str]:
    return parse_wordlist((_DATA / "deny_default.txt").read_text(encoding="utf-8").splitlines())


def default_allow() -> list[str]:
    return parse_wordlist((_DATA / "allow_default.txt").read_text(encoding="utf-8").splitlines())


def build_profanity_filter(
    *,
    deny_file: str | None = None,
    redact_file: str | None = None,
    allow_file: str | None = None,
    extra_deny: Sequence[str] = (),
    extra_redact: Sequence[str] = (),
) -> ProfanityFilter:
    """The filter the composition root installs. A file replaces its default list; extra
    terms are added. The allow-list wins over both other lists."""
    deny = load_wordlist(deny_file) if deny_file else default_deny()
    redact = load_wordlist(redact_file) if redact_file else default_redact()
    allow = load_wordlist(allow_file) if allow_file else default_allow()
    return ProfanityFilter(
        deny=[*deny, *extra_deny],
        redact=[*redact, *extra_redact],
        allow=allow,
    )
