"""Markdown rendering (docs/security.md rows 26-30): only <strong>/<em>, everything else literal
and escaped, always well-formed."""

from __future__ import annotations

import random
import re
from html import unescape
from html.parser import HTMLParser

import pytest

from app.domain.policies.markdown import render_html

ALLOWED_TAGS = frozenset({"strong", "em"})


class _TagChecker(HTMLParser):
    """Records every tag; fails on attributes, other tags or bad nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.seen: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in ALLOWED_TAGS, tag
        assert attrs == [], attrs
        assert tag not in self.stack, f"<{tag}> nested in itself"
        self.stack.append(tag)
        self.seen.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"stray </{tag}>"
        assert self.stack.pop() == tag, f"</{tag}> closes the wrong element"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        raise AssertionError(f"self-closing <{tag}>")

    def handle_comment(self, data: str) -> None:
        raise AssertionError("comment in output")

    def handle_decl(self, decl: str) -> None:
        raise AssertionError("declaration in output")


def assert_well_formed(html: str) -> list[str]:
    """Only bare <strong>/<em>, balanced and properly nested; returns the tags seen."""
    checker = _TagChecker()
    checker.feed(html)
    checker.close()
    assert checker.stack == [], f"unclosed {checker.stack}"
    bare = re.sub(r"</?(strong|em)>", "", html)
    assert not set(bare) & set("<>\"'"), "a markup character arrived unescaped"
    return checker.seen


def _without_delimiters(text: str) -> str:
    return text.replace("*", "").replace("_", "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # item 26: raw HTML is escaped, no tag
        pytest.param(
            "<script>alert(1)</script>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            id="26-script",
        ),
        pytest.param(
            "<img src=x onerror=alert(1)>",
            "&lt;img src=x onerror=alert(1)&gt;",
            id="26-img-onerror",
        ),
        # item 27: links, autolinks and images are literal text
        pytest.param(
            "[x](javascript:alert(1))", "[x](javascript:alert(1))", id="27-javascript-link"
        ),
        pytest.param("<javascript:alert(1)>", "&lt;javascript:alert(1)&gt;", id="27-autolink"),
        pytest.param(
            "![x](data:text/html,<script>alert(1)</script>)",
            "![x](data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;)",
            id="27-data-image",
        ),
        pytest.param("https://example.com", "https://example.com", id="27-bare-url"),
        # item 28: entities are shown literally, never decoded
        pytest.param("&lt;script&gt;", "&amp;lt;script&amp;gt;", id="28-named-entities"),
        pytest.param("&#x3C;img&#x3E;", "&amp;#x3C;img&amp;#x3E;", id="28-numeric-entities"),
        pytest.param("&amp; \"q\" 'a'", "&amp;amp; &quot;q&quot; &#x27;a&#x27;", id="28-quotes"),
        # item 30: only bold and italic
        pytest.param(
            "*b* _i_ **s** # h `c` - l > q",
            "<strong>b</strong> <em>i</em> <strong>s</strong> # h `c` - l &gt; q",
            id="30-mixed",
        ),
        pytest.param("# heading", "# heading", id="30-heading"),
        pytest.param("- item\n1. item", "- item\n1. item", id="30-lists"),
        pytest.param("> quote", "&gt; quote", id="30-blockquote"),
        pytest.param("`code` ```fence```", "`code` ```fence```", id="30-code"),
        pytest.param("a  \nb\\\nc", "a  \nb\\\nc", id="30-hard-breaks-literal"),
        pytest.param("\\*not\\*", "\\<strong>not\\</strong>", id="30-backslash-is-literal"),
        pytest.param("---", "---", id="30-thematic-break"),
        # the emphasis rules themselves
        pytest.param("*bold*", "<strong>bold</strong>", id="bold"),
        pytest.param("_it_", "<em>it</em>", id="italic"),
        pytest.param("**s** __u__", "<strong>s</strong> <em>u</em>", id="doubled-runs"),
        pytest.param("*_a_*", "<strong><em>a</em></strong>", id="em-in-strong"),
        pytest.param("_*a*_", "<em><strong>a</strong></em>", id="strong-in-em"),
        pytest.param("un*believ*able", "un<strong>believ</strong>able", id="intraword-star"),
        pytest.param("snake_case_name", "snake_case_name", id="no-intraword-underscore"),
        pytest.param("* a *", "* a *", id="spaces-inside-delimiters"),
        pytest.param("**", "**", id="empty-span"),
        pytest.param("*a *b*", "*a <strong>b</strong>", id="nearest-opener-wins"),
        pytest.param("*a _b* c_", "<strong>a _b</strong> c_", id="crossing-spans"),
        pytest.param("a\nb *c\nd*", "a\nb <strong>c\nd</strong>", id="newlines-literal"),
        pytest.param("*<b>*", "<strong>&lt;b&gt;</strong>", id="escaped-inside-span"),
        pytest.param("", "", id="empty"),
    ],
)
def test_render(text: str, expected: str) -> None:
    html = render_html(text)
    assert html == expected
    assert_well_formed(html)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("*_" * 256, id="29-star-underscore-flood"),
        pytest.param("*" * 512, id="29-star-flood"),
        pytest.param("_" * 512, id="29-underscore-flood"),
        pytest.param("*a" * 256, id="29-star-a"),
        pytest.param("*_a" * 170, id="29-star-underscore-a"),
        pytest.param("*" * 128 + "_" * 128 + "a" + "_" * 128 + "*" * 128, id="29-deep"),
        pytest.param(("*a _b " * 100)[:512], id="29-many-open-spans"),
        pytest.param("<*>" * 170, id="29-escapes-and-stars"),
    ],
)
def test_worst_cases_are_well_formed(text: str) -> None:
    html = render_html(text)
    assert_well_formed(html)
    assert _without_delimiters(unescape(re.sub(r"</?(strong|em)>", "", html))) == (
        _without_delimiters(text)
    )


def test_random_inputs_are_well_formed_and_lose_no_text() -> None:
    rng = random.Random(20261129)
    alphabet = "**__ ab<>&\n\"'#`[]()!"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        html = render_html(text)
        assert_well_formed(html)
        plain = unescape(re.sub(r"</?(strong|em)>", "", html))
        assert _without_delimiters(plain) == _without_delimiters(text), text
