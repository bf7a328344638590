"""JSON Schemas of the manifest kinds, generated from the pydantic models."""

from __future__ import annotations

import json

from apictl.model.manifests import KINDS

SCHEMA_BASE = "https://apictl.io/schemas/v1alpha1"


def kind_schemas() -> dict[str, str]:
    result = {}
    for kind, model in sorted(KINDS.items()):
        schema = model.model_json_schema(by_alias=True, mode="validation")
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{SCHEMA_BASE}/{kind}.json",
            **schema,
        }
        result[kind] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return result
