"""The checks openapi-spec-validator makes beyond the JSON Schema, done in one quick pass.

Duplicate operationIds, path parameters that are not declared (or declared but not in the path),
duplicate parameters, duplicate tag names, `required` properties an `allOf` never defines, and
defaults that contradict their schema's type or enum.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from typing import Any

from apictl.model.definition_views import HTTP_METHODS
from apictl.model.source import FieldPath
from apictl.validate.json_refs import deref

Problem = tuple[FieldPath, str]
JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": Mapping}


def _params(document: Any, params: Any) -> list[Mapping[str, Any]]:
    if not isinstance(params, list):
        return []
    return [p for p in (deref(document, p) for p in params) if isinstance(p, Mapping)]


def _url_params(url: str) -> set[str]:
    try:
        return {field for _, field, _, _ in string.Formatter().parse(url) if field}
    except ValueError:
        return set()


def _operations(document: Mapping[str, Any]) -> Iterator[Problem]:
    seen_ids: set[str] = set()
    paths = document.get("paths")
    if not isinstance(paths, Mapping):
        return
    for url, item in paths.items():
        item = deref(document, item)
        if not isinstance(item, Mapping):
            continue
        path_params = _params(document, item.get("parameters"))
        yield from _duplicates(path_params, ("paths", url, "parameters"))
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, Mapping):
                continue
            at = ("paths", url, method)
            op_id = op.get("operationId")
            if op_id is not None:
                if op_id in seen_ids:
                    yield (*at, "operationId"), f"Operation ID '{op_id}' for '{method}' in '{url}' is not unique"
                seen_ids.add(op_id)
            op_params = _params(document, op.get("parameters"))
            yield from _duplicates(op_params, (*at, "parameters"))
            declared = {p.get("name") for p in (*op_params, *path_params) if p.get("in") == "path"}
            for name in sorted(_url_params(str(url)) ^ {d for d in declared if isinstance(d, str)}):
                yield at, f"Path parameter '{name}' for '{method}' operation in '{url}' was not resolved"


def _duplicates(params: list[Mapping[str, Any]], at: FieldPath) -> Iterator[Problem]:
    seen = set()
    for index, param in enumerate(params):
        key = (param.get("name"), param.get("in"))
        if key in seen:
            yield (*at, index), f"Duplicate parameter '{param.get('name')}'"
        seen.add(key)


def _tags(document: Mapping[str, Any]) -> Iterator[Problem]:
    seen = set()
    for index, tag in enumerate(document.get("tags") or []):
        name = tag.get("name") if isinstance(tag, Mapping) else None
        if name in seen:
            yield ("tags", index), f"Duplicate tag name '{name}'"
        seen.add(name)


def _properties(document: Any, schema: Any, depth: int = 0) -> set[str]:
    schema = deref(document, schema)
    if not isinstance(schema, Mapping) or depth > 16:
        return set()
    names = set(schema.get("properties") or {}) if isinstance(schema.get("properties"), Mapping) else set()
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(keyword) or []:
            names |= _properties(document, sub, depth + 1)
    for keyword in ("items", "not"):
        if keyword in schema:
            names |= _properties(document, schema[keyword], depth + 1)
    return names


def _default_ok(schema: Mapping[str, Any], value: Any) -> bool:
    if value is None and schema.get("nullable") is True:
        return True
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        return False
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
    if not kinds:
        return True
    for name in kinds:
        if name == "null" and value is None:
            return True
        expected = JSON_TYPES.get(name)
        if (
            expected is not None
            and isinstance(value, expected)
            and not (name in ("integer", "number") and isinstance(value, bool))
        ):
            return True
    return False


def _roots(document: Mapping[str, Any]) -> list[tuple[Any, FieldPath]]:
    """Where openapi-spec-validator looks for schemas: paths (following $refs), and in 3.x components.schemas."""
    roots: list[tuple[Any, FieldPath]] = [(document.get("paths"), ("paths",))]
    components = document.get("components")
    if "swagger" not in document and isinstance(components, Mapping):
        roots.append((components.get("schemas"), ("components", "schemas")))
    return roots


def _schemas(document: Mapping[str, Any]) -> Iterator[Problem]:
    """Walk every reachable schema object once (by identity) and check allOf/required and defaults."""
    stack: list[tuple[Any, FieldPath]] = _roots(document)
    visited: set[int] = set()
    while stack:
        node, at = stack.pop()
        if isinstance(node, Mapping):
            if id(node) in visited:
                continue
            visited.add(id(node))
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                target = deref(document, node)
                if target is not node:
                    stack.append((target, tuple(ref[2:].split("/"))))
                continue
            if "allOf" in node and isinstance(node.get("required"), list):
                defined = set(node.get("properties") or {}) | _properties(document, {"allOf": node["allOf"]})
                missing = [r for r in node["required"] if r not in defined]
                if missing:
                    yield at, f"Required list has not defined properties: {missing}"
            if "default" in node and ("type" in node or "enum" in node) and not _default_ok(node, node["default"]):
                yield (*at, "default"), f"{node['default']!r} is not a valid default for this schema"
            stack.extend(
                (value, (*at, key))
                for key, value in node.items()
                if key not in ("example", "examples", "enum", "default")
            )
        elif isinstance(node, list):
            stack.extend((value, (*at, index)) for index, value in enumerate(node))


def problems(document: Mapping[str, Any]) -> list[Problem]:
    return [*_operations(document), *_tags(document), *_schemas(document)]
