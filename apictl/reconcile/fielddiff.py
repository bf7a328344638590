"""Per-field differences between two normalised objects, for people to review."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

PathItem = str | int


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""Marks the side of a change where the field does not exist."""


@dataclass(frozen=True, slots=True)
class FieldChange:
    path: tuple[PathItem, ...]
    before: Any = ABSENT
    after: Any = ABSENT

    @property
    def kind(self) -> str:
        if self.before is ABSENT:
            return "added"
        if self.after is ABSENT:
            return "removed"
        return "changed"

    @property
    def dotted(self) -> str:
        return format_path(self.path)


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_path(path: tuple[PathItem, ...]) -> str:
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        elif _PLAIN.match(item):
            out += f".{item}" if out else item
        else:
            out += f"[{item!r}]".replace("'", '"')
    return out


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(_walk((), before, after))


def _walk(path: tuple[PathItem, ...], before: Any, after: Any) -> Iterator[FieldChange]:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after), key=str):
            yield from _walk((*path, key), before.get(key, ABSENT), after.get(key, ABSENT))
        return
    if isinstance(before, list) and isinstance(after, list) and before != after:
        yield from _walk_list(path, before, after)
        return
    if before is ABSENT and after is ABSENT:
        return
    if before != after or type(before) is not type(after):
        yield FieldChange(path, before, after)


def _walk_list(path: tuple[PathItem, ...], before: list, after: list) -> Iterator[FieldChange]:
    names_before, names_after = _names(before), _names(after)
    if names_before is not None and names_after is not None:  # pair items by name, like a list-map
        by_name = dict(zip(names_before, before, strict=True))
        for index, (name, item) in enumerate(zip(names_after, after, strict=True)):
            yield from _walk((*path, index), by_name.get(name, ABSENT), item)
        gone = set(names_before) - set(names_after)
        for name, item in zip(names_before, before, strict=True):
            if name in gone:
                yield FieldChange((*path, f"name={name}"), item, ABSENT)
        return
    for index in range(max(len(before), len(after))):
        yield from _walk(
            (*path, index),
            before[index] if index < len(before) else ABSENT,
            after[index] if index < len(after) else ABSENT,
        )


def _names(items: list) -> list[str] | None:
    if not items or not all(isinstance(i, Mapping) and isinstance(i.get("name"), str) for i in items):
        return None
    names = [i["name"] for i in items]
    return names if len(set(names)) == len(names) else None
