"""Where a value came from: file, line and column (1-based)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PathItem = str | int
FieldPath = tuple[PathItem, ...]


@dataclass(frozen=True, slots=True, order=True)
class SourceLocation:
    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Positions of every key and value of one YAML document.

    ``values[path]`` is where the value at ``path`` starts, ``keys[path]`` where its key starts.
    ``locate`` falls back to the longest known prefix, so a path into a missing field still points
    at the mapping that should hold it.
    """

    file: str
    start: tuple[int, int]
    values: Mapping[FieldPath, tuple[int, int]] = field(default_factory=dict)
    keys: Mapping[FieldPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: FieldPath, *, key: bool = False) -> SourceLocation:
        probe = tuple(path)
        while probe:
            if key and probe in self.keys:
                return SourceLocation(self.file, *self.keys[probe])
            if probe in self.values:
                return SourceLocation(self.file, *self.values[probe])
            probe = probe[:-1]
        return SourceLocation(self.file, *self.start)
