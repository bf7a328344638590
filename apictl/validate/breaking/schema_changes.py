"""What changed between two JSON Schemas (OpenAPI 2.0/3.0/3.1, AsyncAPI payloads), and where.

The comparison is neutral: it reports every change with the JSON pointer of the base and head
nodes. Callers decide what breaks, because that depends on who writes the data (a request, a
published message) and who reads it (a response, a consumed message). Local ``$ref``s are
followed, ``allOf`` is merged, and recursive schemas are compared once per pair of nodes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from apictl.model.source import FieldPath
from apictl.validate.json_refs import unescape

MAX_DEPTH = 48


def follow(document: Any, node: Any, pointer: FieldPath) -> tuple[Any, FieldPath]:
    """Follow a chain of local ``$ref``s; returns the target and its pointer (typed: list indexes are ints)."""
    for _ in range(32):
        ref = node.get("$ref") if isinstance(node, Mapping) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            return node, pointer
        current: Any = document
        path: list[str | int] = []
        for token in ref[2:].split("/") if ref.startswith("#/") else []:
            key = unescape(unquote(token))
            if isinstance(current, Mapping) and key in current:
                current = current[key]
                path.append(key)
            elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
                current = current[int(key)]
                path.append(int(key))
            else:
                return node, pointer
        node, pointer = current, tuple(path)
    return node, pointer


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def show(value: Any) -> str:
    return value if isinstance(value, str) else _key(value)


@dataclass
class SchemaView:
    """The facts of one schema that matter to compatibility, with ``allOf`` merged."""

    pointer: FieldPath
    types: frozenset[str] | None = None
    """Allowed types without 'null'; None means any type."""
    nullable: bool = False
    format: str | None = None
    enum: tuple[Any, ...] | None = None
    pattern: str | None = None
    bounds: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, tuple[Any, FieldPath]] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    items: tuple[Any, FieldPath] | None = None
    read_only: bool = False
    write_only: bool = False
    has_default: bool = False


BOUNDS = ("maximum", "minimum", "maxLength", "minLength", "maxItems", "minItems")


def view(document: Any, node: Any, pointer: FieldPath, depth: int = 0) -> SchemaView:
    node, pointer = follow(document, node, pointer)
    result = SchemaView(pointer)
    if not isinstance(node, Mapping):
        return result
    raw = node.get("type")
    types = {raw} if isinstance(raw, str) else {t for t in raw if isinstance(t, str)} if isinstance(raw, list) else None
    if types is None and isinstance(node.get("properties"), Mapping):
        types = {"object"}
    if types is None and "items" in node:
        types = {"array"}
    if types is not None:
        result.nullable = "null" in types
        types.discard("null")
        result.types = frozenset(types)
    if node.get("nullable") is True or node.get("x-nullable") is True:
        result.nullable = True
    if isinstance(node.get("format"), str):
        result.format = node["format"]
    if isinstance(node.get("enum"), list):
        values = node["enum"]
        result.nullable = result.nullable or None in values
        result.enum = tuple(v for v in values if v is not None)
    if isinstance(node.get("pattern"), str):
        result.pattern = node["pattern"]
    for name in BOUNDS:
        if isinstance(node.get(name), int | float) and not isinstance(node.get(name), bool):
            result.bounds[name] = node[name]
    for exclusive, plain in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
        value = node.get(exclusive)
        if isinstance(value, int | float) and not isinstance(value, bool) and plain not in result.bounds:
            result.bounds[plain] = value  # 3.1: a number; 3.0's boolean only qualifies maximum/minimum
    props = node.get("properties")
    if isinstance(props, Mapping):
        for name, child in props.items():
            result.properties[str(name)] = (child, (*pointer, "properties", name))
    if isinstance(node.get("required"), list):
        result.required |= {str(r) for r in node["required"]}
    if "items" in node and isinstance(node["items"], Mapping):
        result.items = (node["items"], (*pointer, "items"))
    result.read_only = node.get("readOnly") is True
    result.write_only = node.get("writeOnly") is True
    result.has_default = "default" in node
    members = node.get("allOf")
    if isinstance(members, list) and depth < 8:
        for index, member in enumerate(members):
            part = view(document, member, (*pointer, "allOf", index), depth + 1)
            if part.types is not None:
                result.types = part.types if result.types is None else (result.types & part.types or result.types)
            result.nullable = result.nullable and (part.nullable or part.types is None)
            for attr in ("format", "enum", "pattern", "items"):
                if getattr(result, attr) is None:
                    setattr(result, attr, getattr(part, attr))
            for name, value in part.bounds.items():
                result.bounds.setdefault(name, value)
            for name, value in part.properties.items():
                result.properties.setdefault(name, value)
            result.required |= part.required
    return result


def types_within(inner: frozenset[str] | None, outer: frozenset[str] | None) -> bool:
    """True when every value of type ``inner`` is also of type ``outer`` (integer is a number)."""
    if outer is None:
        return True
    if inner is None:
        return False
    return all(t in outer or (t == "integer" and "number" in outer) for t in inner)


def describe_types(types: frozenset[str] | None) -> str:
    return "any" if types is None else "/".join(sorted(types)) or "any"


@dataclass(frozen=True, slots=True)
class SchemaChange:
    kind: str
    """type-changed, format-changed, became-nullable, became-not-nullable, became-enum, enum-value-removed,
    enum-value-added, pattern-added, pattern-changed, <bound>-set|-increased|-decreased, property-removed,
    property-added, became-required, became-optional."""
    property: str
    """Dotted property path ('' for the schema itself; '[]' for array items)."""
    base: FieldPath | None
    head: FieldPath | None
    old: str = ""
    new: str = ""
    required: bool = False
    read_only: bool = False
    write_only: bool = False
    has_default: bool = False
    old_types: frozenset[str] | None = None
    new_types: frozenset[str] | None = None


def _join(prefix: str, name: str) -> str:
    return name if not prefix else f"{prefix}.{name}"


BOUND_NAMES = {
    "maximum": "max",
    "minimum": "min",
    "maxLength": "max-length",
    "minLength": "min-length",
    "maxItems": "max-items",
    "minItems": "min-items",
}


@dataclass
class SchemaComparison:
    base_document: Any
    head_document: Any

    def changes(self, base: tuple[Any, FieldPath], head: tuple[Any, FieldPath], prop: str = "") -> list[SchemaChange]:
        return list(self._compare(base, head, prop, frozenset(), 0))

    def _compare(
        self, base: tuple[Any, FieldPath], head: tuple[Any, FieldPath], prop: str, seen: frozenset, depth: int
    ) -> Iterator[SchemaChange]:
        b_node, b_ptr = follow(self.base_document, *base)
        h_node, h_ptr = follow(self.head_document, *head)
        pair = (id(b_node), id(h_node))
        if pair in seen or depth > MAX_DEPTH:
            return
        seen = seen | {pair}
        old = view(self.base_document, b_node, b_ptr)
        new = view(self.head_document, h_node, h_ptr)
        yield from self._scalars(old, new, prop)
        yield from self._properties(old, new, prop, seen, depth)
        if old.items is not None and new.items is not None:
            yield from self._compare(old.items, new.items, f"{prop}[]", seen, depth + 1)

    def _scalars(self, old: SchemaView, new: SchemaView, prop: str) -> Iterator[SchemaChange]:
        b, h = old.pointer, new.pointer
        if old.types != new.types and not (old.types is None and new.types is None):
            yield SchemaChange(
                "type-changed",
                prop,
                (*b, "type"),
                (*h, "type"),
                describe_types(old.types),
                describe_types(new.types),
                old_types=old.types,
                new_types=new.types,
            )
        if old.format != new.format:
            yield SchemaChange(
                "format-changed", prop, (*b, "format"), (*h, "format"), old.format or "", new.format or ""
            )
        if old.nullable != new.nullable:
            kind = "became-nullable" if new.nullable else "became-not-nullable"
            yield SchemaChange(kind, prop, b, h)
        if old.enum is None and new.enum is not None:
            yield SchemaChange("became-enum", prop, b, (*h, "enum"), new=", ".join(show(v) for v in new.enum))
        elif old.enum is not None and new.enum is not None:
            old_keys, new_keys = {_key(v): v for v in old.enum}, {_key(v): v for v in new.enum}
            removed = [show(old_keys[k]) for k in old_keys if k not in new_keys]
            added = [show(new_keys[k]) for k in new_keys if k not in old_keys]
            if removed:
                yield SchemaChange("enum-value-removed", prop, (*b, "enum"), (*h, "enum"), old=", ".join(removed))
            if added:
                yield SchemaChange("enum-value-added", prop, (*b, "enum"), (*h, "enum"), new=", ".join(added))
        if old.pattern is None and new.pattern is not None:
            yield SchemaChange("pattern-added", prop, b, (*h, "pattern"), new=new.pattern)
        elif old.pattern is not None and new.pattern is not None and old.pattern != new.pattern:
            yield SchemaChange("pattern-changed", prop, (*b, "pattern"), (*h, "pattern"), old.pattern, new.pattern)
        for bound, short in BOUND_NAMES.items():
            before, after = old.bounds.get(bound), new.bounds.get(bound)
            if before == after or after is None:
                continue
            direction = "set" if before is None else "increased" if after > before else "decreased"
            kind = f"{short}-{direction}"
            yield SchemaChange(
                kind, prop, (*b, bound), (*h, bound), show(before) if before is not None else "", show(after)
            )

    def _properties(
        self, old: SchemaView, new: SchemaView, prop: str, seen: frozenset, depth: int
    ) -> Iterator[SchemaChange]:
        for name, (node, pointer) in old.properties.items():
            child = _join(prop, name)
            if name not in new.properties:
                was = view(self.base_document, node, pointer)
                yield SchemaChange(
                    "property-removed",
                    child,
                    pointer,
                    new.pointer,
                    required=name in old.required,
                    read_only=was.read_only,
                    write_only=was.write_only,
                )
                continue
            head_node, head_pointer = new.properties[name]
            now = view(self.head_document, head_node, head_pointer)
            if name in old.required and name not in new.required:
                yield SchemaChange(
                    "became-optional", child, pointer, head_pointer, read_only=now.read_only, write_only=now.write_only
                )
            elif name not in old.required and name in new.required:
                yield SchemaChange(
                    "became-required",
                    child,
                    pointer,
                    head_pointer,
                    read_only=now.read_only,
                    write_only=now.write_only,
                    has_default=now.has_default,
                )
            yield from self._compare((node, pointer), (head_node, head_pointer), child, seen, depth + 1)
        for name, (node, pointer) in new.properties.items():
            if name not in old.properties:
                now = view(self.head_document, node, pointer)
                yield SchemaChange(
                    "property-added",
                    _join(prop, name),
                    old.pointer,
                    pointer,
                    required=name in new.required,
                    read_only=now.read_only,
                    write_only=now.write_only,
                    has_default=now.has_default,
                )
