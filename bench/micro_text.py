"""Micro-benchmark of the text policies on the event-loop hot path (512-character worst
cases): profanity check (target <= 0.2 ms) and Markdown render (target <= 1 ms).

Run: uv run python bench/micro_text.py [--repeat N]

Each case is timed call by call with time.perf_counter_ns; the table shows the median and
p99 in milliseconds. For comparison it also times, once per case, better-profanity's own
censor() on the same profanity input and markdown-it-py's emphasis-only parseInline on the
same Markdown input (the approach this project measured and did not use).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

from better_profanity import profanity  # type: ignore[import-untyped]  # ships no type hints
from markdown_it import MarkdownIt

from app.adapters.wordlists import build_profanity_filter
from app.domain.policies.markdown import render_html
from app.domain.policies.profanity_fold import forget_folds

LIMIT = 512


def fill(unit: str) -> str:
    """Repeat `unit` to exactly 512 code points."""
    return (unit * (LIMIT // len(unit) + 1))[:LIMIT]


PROFANITY_CASES: dict[str, str] = {
    "clean ASCII prose": fill("The quick brown fox jumps over the lazy dog. "),
    "all profane": fill("fuck shit cunt "),
    "deny term at the end": fill("hello there ")[: LIMIT - 7] + " nigger",
    "near-miss heavy": fill("Scunthorpe assassin cocktail classic therapist Essex "),
    "leetspeak heavy": fill("sh1t $hit a$$ b!tch 5h17 p0rn "),
    "symbol padded": fill("@ss!! $h!t!! +!+ "),
    "stretched": fill("fuuuuck shiiiit "),
    "one-letter tokens": fill("a "),
    "spaced letters": fill("f u c k "),
    "multi-word terms": fill("blow job mother fucker "),
    "zero-width inside words": fill("f\u200bu\u200bc\u200bk "),
    "combining marks": fill("fu\u0301ck\u0301 "),
    "fullwidth": fill("\uff46\uff55\uff43\uff4b "),
    "emoji": fill("\U0001f600"),
    "emoji ZWJ sequences": fill("\U0001f469\u200d\U0001f4bb\ufe0f "),
    "CJK": fill("\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8"),
}

MARKDOWN_CASES: dict[str, str] = {
    '"*_" * 256': "*_" * 256,
    '"*" * 512': "*" * LIMIT,
    '"_" * 512': "_" * LIMIT,
    '"*a" * 256': "*a" * 256,
    "deep nesting": "*" * 128 + "_" * 128 + "a" + "_" * 127 + "*" * 128,
    "many open spans": fill("*a _b "),
    "bold words": fill("*bold* _it_ "),
    "script tags": fill("<script>alert(1)</script>"),
    "entities": fill("&lt;script&gt;&#x3C;img&#x3E;"),
    "link and image": fill("[x](javascript:alert(1)) ![x](data:text/html,x) "),
    "item 30 mix": fill("*b* _i_ **s** # h `c` - l > q "),
    "plain ASCII": fill("plain text without markup "),
}


def measure(func: Callable[[str], object], text: str, repeat: int) -> tuple[float, float]:
    """(median, p99) in milliseconds over `repeat` individually timed calls."""
    for _ in range(50):
        func(text)
    samples: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(repeat):
        start = clock()
        func(text)
        samples.append(clock() - start)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return statistics.median(samples) / 1e6, p99 / 1e6


def once(func: Callable[[str], object], text: str) -> float:
    start = time.perf_counter_ns()
    func(text)
    return (time.perf_counter_ns() - start) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5000)
    args = parser.parse_args()
    repeat: int = args.repeat

    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    start = time.perf_counter()
    policy = build_profanity_filter()
    print(f"profanity filter build: {(time.perf_counter() - start) * 1e3:.1f} ms (once)")
    profanity.load_censor_words()
    markdown_it = MarkdownIt("zero").enable("emphasis")

    print("\nProfanity check, 512 code points (target <= 0.2 ms)")
    print("| case | median ms | p99 ms | cold-cache ms | better-profanity censor() ms |")
    print("|---|---:|---:|---:|---:|")
    for name, text in PROFANITY_CASES.items():
        assert len(text) == LIMIT, name
        median, p99 = measure(policy.check, text, repeat)
        forget_folds()  # first sight of every character in this message
        cold = once(policy.check, text)
        censor = once(profanity.censor, text)
        print(f"| {name} | {median:.4f} | {p99:.4f} | {cold:.3f} | {censor:.1f} |")

    print("\nMarkdown render, <= 512 code points (target <= 1 ms)")
    print("| case | median ms | p99 ms | markdown-it-py parseInline median ms |")
    print("|---|---:|---:|---:|")
    for name, text in MARKDOWN_CASES.items():
        assert len(text) <= LIMIT, name
        median, p99 = measure(render_html, text, repeat)
        reference, _ = measure(markdown_it.parseInline, text, max(repeat // 20, 50))
        print(f"| {name} | {median:.4f} | {p99:.4f} | {reference:.3f} |")


if __name__ == "__main__":
    main()
