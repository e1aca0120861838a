"""Write the AsyncAPI document, and a plain JSON Schema taken from it, for client generators.

    uv run python tools/export_asyncapi.py clients

writes clients/asyncapi.json, clients/asyncapi.yaml and clients/parrotchat.schema.json.
The JSON Schema is the document's `components.schemas` as `$defs` (refs rewritten), with the
AsyncAPI discriminator (a property name) turned into the OpenAPI form generators understand
(`propertyName` + `mapping`), and a root that accepts any client or server event.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.web.asyncapi import build_document, to_yaml

COMPONENTS = "#/components/schemas/"
DEFS = "#/$defs/"


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                DEFS + value.removeprefix(COMPONENTS)
                if key == "$ref" and isinstance(value, str)
                else _rewrite_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def _nullable_as_type_list(node: Any) -> Any:
    """`anyOf: [{type: T, ...constraints}, {type: null}]` as `{type: [T, null], ...}`.

    The same schema; written this way, generators give `T | None` with field constraints
    instead of a numbered wrapper class per field.
    """
    if isinstance(node, list):
        return [_nullable_as_type_list(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _nullable_as_type_list(value) for key, value in node.items()}
    options = node.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (other,) = [o for o in options if o != {"type": "null"}]
        if isinstance(other.get("type"), str) and "$ref" not in other:
            del node["anyOf"]
            node = {**other, **node, "type": [other["type"], "null"]}
    return node


def json_schema(document: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema (2020-12) of every event, from the AsyncAPI document's components."""
    defs: dict[str, Any] = _nullable_as_type_list(_rewrite_refs(document["components"]["schemas"]))
    for schema in defs.values():
        prop = schema.get("discriminator")
        if isinstance(prop, str):
            mapping = {}
            for option in schema["oneOf"]:
                ref = option["$ref"]
                tag = defs[ref.removeprefix(DEFS)]["properties"][prop]["const"]
                mapping[tag] = ref
            schema["discriminator"] = {"propertyName": prop, "mapping": mapping}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ParrotChatEvent",
        "description": (
            f"Every event of {document['info']['title']} {document['info']['version']}, "
            "generated from its AsyncAPI document."
        ),
        "anyOf": [{"$ref": DEFS + "ClientEvent"}, {"$ref": DEFS + "ServerEvent"}],
        "$defs": defs,
    }


def write(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    document = build_document()
    files = {
        out / "asyncapi.json": json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        out / "asyncapi.yaml": to_yaml(document),
        out / "parrotchat.schema.json": json.dumps(json_schema(document), indent=2) + "\n",
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out", type=Path, help="directory to write into")
    for path in write(parser.parse_args().out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
