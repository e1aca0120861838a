"""The base of every server → client model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class ServerModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Fields that are always on the wire are required in the schema.

        `encode` leaves out only None, so a field with a non-None default (the `type` tag,
        `SystemOut.data`) is always sent; pydantic would mark it optional because it has a
        default. Only the schema changes, not how the model validates.
        """
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        always = [
            name
            for name, field in cls.model_fields.items()
            if field.default_factory is not None or field.default is not None
        ]
        if always and "properties" in target:
            required = target.setdefault("required", [])
            required.extend(name for name in always if name not in required)
        return schema
