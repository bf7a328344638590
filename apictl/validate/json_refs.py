"""Local JSON references ($ref) inside one definition: find them, resolve them, report dangling ones."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from apictl.model.source import FieldPath


def iter_refs(node: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str]]:
    """Every ``$ref`` string with the path of the object that holds it (iterative, cycle-free input)."""
    stack: list[tuple[Any, FieldPath]] = [(node, path)]
    while stack:
        current, at = stack.pop()
        if isinstance(current, Mapping):
            ref = current.get("$ref")
            if isinstance(ref, str):
                yield at, ref
            stack.extend((value, (*at, key)) for key, value in current.items() if key != "$ref")
        elif isinstance(current, list):
            stack.extend((value, (*at, index)) for index, value in enumerate(current))


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def resolve_pointer(document: Any, ref: str) -> tuple[bool, Any]:
    """Resolve a local reference ``#/a/b``. Returns (found, value)."""
    if not ref.startswith("#"):
        return False, None
    pointer = ref[1:]
    if pointer == "":
        return True, document
    if not pointer.startswith("/"):
        return False, None
    current = document
    from urllib.parse import unquote

    for token in pointer[1:].split("/"):
        key = unescape(unquote(token))
        if isinstance(current, Mapping) and key in current:
            current = current[key]
        elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
            current = current[int(key)]
        else:
            return False, None
    return True, current


def deref(document: Any, node: Any, limit: int = 32) -> Any:
    """Follow ``$ref`` chains of ``node`` (local references only)."""
    for _ in range(limit):
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            found, value = resolve_pointer(document, node["$ref"])
            if not found:
                return node
            node = value
        else:
            return node
    return node
