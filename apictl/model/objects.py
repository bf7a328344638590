"""Kubernetes objects as apictl sees them: identity keys, rendered (desired) and live objects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apictl.model.source import SourceLocation


@dataclass(frozen=True, slots=True, order=True)
class GroupKind:
    group: str
    kind: str

    def __str__(self) -> str:
        return f"{self.kind}.{self.group}" if self.group else self.kind


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


@dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    """Version-less identity of an object: group, kind, namespace ("" = cluster-scoped), name."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> ObjectKey:
        group, _ = split_api_version(str(body.get("apiVersion", "")))
        meta = body.get("metadata") or {}
        return cls(group, str(body.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name", "")))

    @property
    def group_kind(self) -> GroupKind:
        return GroupKind(self.group, self.kind)

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.group_kind}/{where}{self.name}"


@dataclass(frozen=True, slots=True)
class RenderedObject:
    """A desired object: the complete body apictl will apply, and the manifest it came from."""

    key: ObjectKey
    body: Mapping[str, Any]
    origin: SourceLocation
    target: str

    @classmethod
    def of(cls, body: Mapping[str, Any], origin: SourceLocation, target: str) -> RenderedObject:
        return cls(ObjectKey.of(body), body, origin, target)
