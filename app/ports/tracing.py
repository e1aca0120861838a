"""Tracing: the port and the null tracer beside it."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Protocol

AttributeValue = str | int | float | bool


class Span(Protocol):
    """The part of a tracing span the services use."""

    def set_attribute(self, key: str, value: AttributeValue) -> None: ...


class Tracer(Protocol):
    """Spans around use cases; the adapter decides whether they are recorded and exported."""

    def span(
        self, name: str, attributes: Mapping[str, AttributeValue] | None = None
    ) -> AbstractContextManager[Span]:
        """A span, current while the `with` block runs (children nest under it)."""
        ...

    def annotate(self, **attributes: AttributeValue) -> None:
        """Add attributes to the current span (nothing when no span records)."""
        ...


class _NoSpan:
    """A span that records nothing; entering and leaving it costs one method call each."""

    __slots__ = ()

    def __enter__(self) -> _NoSpan:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        pass


_NO_SPAN = _NoSpan()


class NullTracer:
    """The tracer when tracing is off: no allocation, no context switch, nothing exported.
    It lives beside the port so that services can default to it without importing adapters."""

    def span(
        self, name: str, attributes: Mapping[str, AttributeValue] | None = None
    ) -> AbstractContextManager[Span]:
        return _NO_SPAN

    def annotate(self, **attributes: AttributeValue) -> None:
        pass


NULL_TRACER: Tracer = NullTracer()
