"""`@traced`: a span around a use case, costing one plain call when tracing is off."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from app.ports import NULL_TRACER, Tracer

__all__ = ["NULL_TRACER", "Tracer", "traced"]

P = ParamSpec("P")
R = TypeVar("R")


class HasTracer(Protocol):
    _tracer: Tracer


S = TypeVar("S", bound=HasTracer)


def traced(
    name: str,
) -> Callable[
    [Callable[Concatenate[S, P], Coroutine[Any, Any, R]]],
    Callable[Concatenate[S, P], Awaitable[R]],
]:
    """Run the decorated async method inside a span called `name` (its body may add
    attributes with `self._tracer.annotate(...)`). With the NullTracer the method's own
    coroutine is returned as it is: no extra frame, no context manager."""

    def decorate(
        method: Callable[Concatenate[S, P], Coroutine[Any, Any, R]],
    ) -> Callable[Concatenate[S, P], Awaitable[R]]:
        async def in_span(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            with self._tracer.span(name):
                return await method(self, *args, **kwargs)

        def call(self: S, /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[R]:
            if self._tracer is NULL_TRACER:
                return method(self, *args, **kwargs)
            return in_span(self, *args, **kwargs)

        functools.update_wrapper(call, method)
        return call

    return decorate
