"""The rules a declared and an uploaded file must pass (app/domain/attachments.py)."""

from __future__ import annotations

import pytest

from app.domain.attachments import (
    NAME_MAX_CHARS,
    ContentCheck,
    check_size,
    normalize_content_type,
    sanitize_name,
)
from app.domain.codes import ErrorCode
from app.domain.errors import ChatError

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("plan.png", "plan.png", id="plain"),
        pytest.param("  notes.txt  ", "notes.txt", id="trimmed"),
        pytest.param('a"b<c>d|e*f?g:h.pdf', "a_b_c_d_e_f_g_h.pdf", id="header-and-fs-characters"),
        pytest.param("Cafe\u0301.png", "Caf\u00e9.png", id="nfc"),
        pytest.param("résumé 2026.pdf", "résumé 2026.pdf", id="unicode-kept"),
        pytest.param(
            "x" * 150 + ".jpeg", "x" * (NAME_MAX_CHARS - 5) + ".jpeg", id="long-keeps-ext"
        ),
    ],
)
def test_names_are_sanitised(raw: str, shown: str) -> None:
    assert sanitize_name(raw) == shown


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("../../etc/passwd", id="dotdot-slash"),
        pytest.param("..\\..\\boot.ini", id="dotdot-backslash"),
        pytest.param("/etc/passwd", id="absolute"),
        pytest.param("a/b.png", id="slash"),
        pytest.param(".htaccess", id="leading-dot"),
        pytest.param("..", id="dotdot"),
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("evil\x00.png", id="nul"),
        pytest.param("a\nb.txt", id="newline"),
        pytest.param("invoice\u202egnp.exe", id="bidi-override"),
        pytest.param("a\u200bb.png", id="zero-width"),
    ],
)
def test_names_with_paths_or_invisible_characters_are_refused(raw: str) -> None:
    with pytest.raises(ChatError) as refused:
        sanitize_name(raw)
    assert refused.value.code is ErrorCode.ATTACHMENT_INVALID


@pytest.mark.parametrize(
    ("raw", "media"),
    [
        ("image/png", "image/png"),
        ("Image/JPEG", "image/jpeg"),
        ("text/plain; charset=utf-8", "text/plain"),
        ("application/pdf", "application/pdf"),
        ("image/webp", "image/webp"),
    ],
)
def test_allowed_types(raw: str, media: str) -> None:
    assert normalize_content_type(raw) == media


@pytest.mark.parametrize(
    "raw",
    ["text/html", "image/svg+xml", "application/xhtml+xml", "application/javascript", "", "*/*"],
)
def test_other_types_are_refused(raw: str) -> None:
    with pytest.raises(ChatError) as refused:
        normalize_content_type(raw)
    assert refused.value.code is ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED


def test_sizes() -> None:
    check_size(1, 10)
    check_size(10, 10)
    for size, code in ((0, ErrorCode.ATTACHMENT_INVALID), (11, ErrorCode.ATTACHMENT_TOO_LARGE)):
        with pytest.raises(ChatError) as refused:
            check_size(size, 10)
        assert refused.value.code is code


def _check(content_type: str, *chunks: bytes) -> None:
    check = ContentCheck(content_type)
    for chunk in chunks:
        check.feed(chunk)
    check.finish()


@pytest.mark.parametrize(
    ("content_type", "chunks"),
    [
        pytest.param("image/png", (PNG + b"rest",), id="png"),
        pytest.param("image/png", (PNG[:3], PNG[3:], b"x"), id="png-in-pieces"),
        pytest.param("image/jpeg", (b"\xff\xd8\xff\xe0" + b"\x00" * 20,), id="jpeg"),
        pytest.param("image/gif", (b"GIF89a" + b"\x00" * 10,), id="gif"),
        pytest.param("image/webp", (b"RIFF\x00\x00\x00\x00WEBPVP8 ",), id="webp"),
        pytest.param("application/pdf", (b"%PDF-1.7\n" + b"\x00" * 5,), id="pdf"),
        pytest.param(
            "text/plain", ("h\u00e9llo".encode()[:2], "h\u00e9llo".encode()[2:]), id="utf8"
        ),
    ],
)
def test_content_of_the_declared_type_passes(content_type: str, chunks: tuple[bytes, ...]) -> None:
    _check(content_type, *chunks)


@pytest.mark.parametrize(
    ("content_type", "chunks"),
    [
        pytest.param("image/png", (b"<html><script>alert(1)</script>",), id="html-as-png"),
        pytest.param("image/jpeg", (PNG,), id="png-as-jpeg"),
        pytest.param("image/gif", (b"GIF8",), id="short-gif"),
        pytest.param("application/pdf", (b"<!doctype html>",), id="html-as-pdf"),
        pytest.param("image/webp", (b"RIFF\x00\x00\x00\x00AVI LIST",), id="avi-as-webp"),
        pytest.param("text/plain", (b"\xff\xfe\x00\x00",), id="not-utf8"),
        pytest.param("text/plain", (b"abc\x00def",), id="nul-in-text"),
        pytest.param("text/plain", (b"truncated \xe2\x82",), id="cut-utf8"),
    ],
)
def test_content_of_another_type_is_refused(content_type: str, chunks: tuple[bytes, ...]) -> None:
    with pytest.raises(ChatError) as refused:
        _check(content_type, *chunks)
    assert refused.value.code is ErrorCode.ATTACHMENT_TYPE_NOT_ALLOWED
