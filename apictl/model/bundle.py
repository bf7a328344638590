"""A loaded repository: typed manifests with their source maps, and the definitions they point to."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from apictl.model.config import RepoConfig
from apictl.model.diagnostics import Diagnostic
from apictl.model.manifests import (
    API,
    AnyManifest,
    Application,
    Environment,
    Plan,
    Policy,
    Subscription,
)
from apictl.model.source import FieldPath, SourceLocation, SourceMap

M = TypeVar("M", bound=AnyManifest)


@dataclass(frozen=True, slots=True)
class Document:
    """One typed manifest and where each of its fields was written."""

    manifest: AnyManifest
    source: SourceMap
    path: str
    """Repository-relative POSIX path of the file that holds it."""

    @property
    def kind(self) -> str:
        return self.manifest.kind

    @property
    def name(self) -> str:
        return self.manifest.metadata.name

    @property
    def location(self) -> SourceLocation:
        return SourceLocation(self.source.file, *self.source.start)

    def locate(self, *path: str | int, key: bool = True) -> SourceLocation:
        return self.source.locate(tuple(path), key=key)


DefinitionFormat = Literal["openapi", "swagger", "asyncapi", "unknown"]


@dataclass(frozen=True, slots=True)
class Definition:
    """An OpenAPI or AsyncAPI document referenced by an API manifest.

    ``text`` is kept so that positions can be found on demand: definitions are parsed without
    position tracking, which is several times faster for large documents.
    """

    path: str
    file: str
    data: Mapping[str, Any]
    text: str
    format: DefinitionFormat
    version: str


@dataclass(frozen=True, slots=True)
class Bundle:
    root: str
    revision: str | None
    documents: tuple[Document, ...]
    definitions: Mapping[str, Definition]
    config: RepoConfig
    problems: tuple[Diagnostic, ...] = ()
    definition_of: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(API name, version) -> repository-relative path of its definition."""
    rejected: frozenset[tuple[str, str]] = frozenset()
    """(kind, name) of manifests that failed schema validation: references to them are not reported again."""
    file_commits: Mapping[str, str] = field(default_factory=dict)
    """Repository-relative path -> the last git commit that changed it (when the root is in git)."""
    _by_kind: Mapping[str, tuple[Document, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_kind: dict[str, list[Document]] = {}
        for doc in self.documents:
            by_kind.setdefault(doc.kind, []).append(doc)
        object.__setattr__(self, "_by_kind", {kind: tuple(docs) for kind, docs in by_kind.items()})

    def of_kind(self, cls: type[M]) -> Iterator[tuple[M, Document]]:
        for doc in self._by_kind.get(cls.__name__, ()):
            yield doc.manifest, doc  # type: ignore[misc]

    def apis(self) -> Iterator[tuple[API, Document]]:
        return self.of_kind(API)

    def applications(self) -> Iterator[tuple[Application, Document]]:
        return self.of_kind(Application)

    def subscriptions(self) -> Iterator[tuple[Subscription, Document]]:
        return self.of_kind(Subscription)

    def plans(self) -> Iterator[tuple[Plan, Document]]:
        return self.of_kind(Plan)

    def policies(self) -> Iterator[tuple[Policy, Document]]:
        return self.of_kind(Policy)

    def environments(self) -> Iterator[tuple[Environment, Document]]:
        return self.of_kind(Environment)

    def by_name(self, cls: type[M]) -> dict[str, M]:
        return {m.metadata.name: m for m, _ in self.of_kind(cls)}

    def api(self, name: str, version: str) -> API | None:
        return next((a for a, _ in self.apis() if a.metadata.name == name and a.spec.version == version), None)

    def definition_for(self, api: API) -> Definition | None:
        path = self.definition_of.get((api.metadata.name, api.spec.version))
        return self.definitions.get(path) if path else None


__all__ = ["Bundle", "Definition", "Document", "FieldPath"]
