"""Find file:line:column inside a definition on demand (definitions are parsed without positions)."""

from __future__ import annotations

from dataclasses import dataclass, field

from apictl.load.yaml_documents import YamlProblem, parse_documents
from apictl.model.bundle import Definition
from apictl.model.source import FieldPath, SourceLocation, SourceMap


@dataclass
class DefinitionPositions:
    definition: Definition
    _map: SourceMap | None = field(default=None, init=False)

    def locate(self, path: FieldPath) -> SourceLocation:
        if self._map is None:
            try:
                doc = next(parse_documents(self.definition.text, self.definition.file, positions=True))
                self._map = doc.source
            except (StopIteration, YamlProblem):
                self._map = SourceMap(self.definition.file, (1, 1))
        assert self._map is not None
        return self._map.locate(path, key=True)
