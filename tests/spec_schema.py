"""Check JSON against the schemas of LINE's OpenAPI files in tests/specs.

OpenAPI's ``discriminator`` is not JSON Schema: each schema with one gets a twin
``<Name>__any`` that also applies the schema its ``type`` maps to, and every reference to
the base schema (except the ``allOf`` of its own subtypes) points at the twin, so a
``FlexBox`` inside a ``FlexBubble`` is checked as a box, not just as "a component".
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPECS = Path(__file__).parent / "specs"


@functools.cache
def _document(name: str) -> dict[str, Any]:
    spec = yaml.safe_load((SPECS / name).read_text(encoding="utf-8"))
    schemas: dict[str, Any] = copy.deepcopy(spec["components"]["schemas"])
    bases = {key for key, schema in schemas.items() if "discriminator" in schema}

    def rewrite(node: Any, in_all_of: bool = False) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not in_all_of:
                target = ref.rsplit("/", 1)[-1]
                if target in bases:
                    return {"$ref": f"#/components/schemas/{target}__any"}
            return {
                key: (
                    [rewrite(item, in_all_of=True) for item in value]
                    if key == "allOf"
                    else rewrite(value)
                )
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    rewritten = {key: rewrite(schema) for key, schema in schemas.items()}
    for base in bases:
        plain = {k: v for k, v in rewritten[base].items() if k != "discriminator"}
        mapping = schemas[base]["discriminator"]["mapping"]
        rewritten[base] = plain
        rewritten[f"{base}__any"] = {
            "allOf": [
                {"$ref": f"#/components/schemas/{base}"},
                *(
                    {
                        "if": {"properties": {"type": {"const": tag}}, "required": ["type"]},
                        "then": {"$ref": target},
                    }
                    for tag, target in mapping.items()
                ),
                {"properties": {"type": {"enum": sorted(mapping)}}},
            ]
        }
    return {"components": {"schemas": rewritten}}


def check(instance: Any, schema: str, *, spec: str = "messaging-api.yml") -> None:
    """Raise ``jsonschema.ValidationError`` unless ``instance`` fits the spec's ``schema``."""
    document = _document(spec)
    name = f"{schema}__any" if f"{schema}__any" in document["components"]["schemas"] else schema
    root = {**document, "$ref": f"#/components/schemas/{name}"}
    jsonschema.Draft202012Validator(root).validate(instance)
