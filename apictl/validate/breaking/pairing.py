"""Which API of the base revision became which API of the head revision."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from apictl.model.bundle import Bundle, Document
from apictl.model.manifests import API


@dataclass(frozen=True, slots=True)
class Side:
    api: API
    doc: Document

    @property
    def name(self) -> str:
        return self.api.metadata.name

    @property
    def version(self) -> str:
        return self.api.spec.version

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.\-+]", version))


def paired_apis(base: Bundle, head: Bundle) -> Iterator[tuple[Side, Side | None]]:
    """Each base API with its head counterpart: the same name and version, or else the newest new
    version of the same name (a version bump), or None when the API is gone."""
    head_sides = [Side(api, doc) for api, doc in head.apis()]
    base_sides = [Side(api, doc) for api, doc in base.apis()]
    base_keys = {(s.name, s.version) for s in base_sides}
    exact = {(s.name, s.version): s for s in head_sides}
    taken: set[tuple[str, str]] = set()
    for side in base_sides:
        match = exact.get((side.name, side.version))
        if match is None:
            bumps = [
                s
                for s in head_sides
                if s.name == side.name and (s.name, s.version) not in base_keys and (s.name, s.version) not in taken
            ]
            match = max(bumps, key=lambda s: _version_key(s.version), default=None)
        if match is not None:
            taken.add((match.name, match.version))
        yield side, match
