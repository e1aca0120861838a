"""Every field of every domain event reaches its wire model, and the wire model has no field the
domain cannot fill: a field added on one side and silently dropped on the other fails here."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, get_args, get_origin

import pytest
from pydantic import BaseModel

from app.domain import events as domain
from app.domain.attachments import Attachment
from app.domain.history import Message
from app.web import wire
from app.web.wire.server import MODEL_FOR

# Nested domain views and their wire models (reached through the events' fields).
NESTED: dict[type[Any], type[BaseModel]] = {
    domain.Limits: wire.LimitsOut,
    domain.MemberView: wire.MemberOut,
    domain.YouView: wire.YouOut,
    domain.RecentView: wire.RecentOut,
    Message: wire.MessageOut,
    Attachment: wire.AttachmentOut,
}
# Wire-only fields: the tag, and the ref the encoder adds to direct replies.
WIRE_ONLY = {"type", "ref"}


def _dataclass_args(annotation: Any) -> list[type[Any]]:
    """Dataclasses inside an annotation such as `list[MemberView]` or `Kicked | None`."""
    found: list[type[Any]] = []
    if dataclasses.is_dataclass(annotation) and isinstance(annotation, type):
        found.append(annotation)
    if get_origin(annotation) is not None or isinstance(annotation, types.UnionType):
        for arg in get_args(annotation):
            found += _dataclass_args(arg)
    return found


def _pairs() -> list[tuple[type[Any], type[BaseModel]]]:
    return [*MODEL_FOR.items(), *NESTED.items()]


def test_every_server_event_has_a_wire_model() -> None:
    assert set(get_args(domain.ServerEvent)) - {domain.Eviction} == set(MODEL_FOR)


@pytest.mark.parametrize(("event", "model"), _pairs(), ids=lambda x: x.__name__)
def test_the_domain_and_wire_fields_are_the_same(event: type[Any], model: type[BaseModel]) -> None:
    domain_fields = {f.name for f in dataclasses.fields(event)}
    wire_fields = set(model.model_fields) - WIRE_ONLY
    assert domain_fields == wire_fields


@pytest.mark.parametrize(("event", "model"), _pairs(), ids=lambda x: x.__name__)
def test_nested_domain_views_have_wire_models(event: type[Any], model: type[BaseModel]) -> None:
    hints = typing.get_type_hints(event)
    nested = [cls for name in hints for cls in _dataclass_args(hints[name])]
    assert [cls.__name__ for cls in nested if cls not in NESTED] == []
