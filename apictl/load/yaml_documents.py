"""YAML parsing with libyaml, with positions, duplicate-key detection and hostile-input limits.

Documents are composed into nodes by libyaml (C), checked, then constructed. Positions are taken
from node marks only when asked for; definitions skip that and are located on demand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from apictl.model.source import FieldPath, SourceMap

MAX_EXPANDED_NODES = 2_000_000
MAX_DEPTH = 256


class JsonCompatibleLoader(yaml.CSafeLoader):
    """YAML 1.1 safe loading, minus timestamps: values stay JSON types (dates remain strings).

    Duplicate keys are detected while mappings are built, at almost no cost.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping = super().construct_mapping(node, deep=deep)
        if len(mapping) < len(node.value) and not any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
            _check_duplicate_keys(node)
        return mapping


JsonCompatibleLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True, slots=True)
class YamlProblem(Exception):
    code: str
    message: str
    line: int
    column: int
    hint: str = ""


@dataclass(frozen=True, slots=True)
class YamlDocument:
    data: Any
    source: SourceMap | None
    start: tuple[int, int]


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _check(root: yaml.Node) -> None:
    """Reject alias bombs, over-deep nesting and duplicate keys, without expanding aliases."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if id(node) in sizes and not done:
            continue
        if not done and id(node) in open_nodes:
            raise YamlProblem(
                "yaml-recursive-alias",
                "a YAML alias refers to the collection that contains it",
                *_mark(node),
                hint="remove the recursive anchor (&) and alias (*)",
            )
        if depth > MAX_DEPTH:
            raise YamlProblem(
                "yaml-too-deep",
                f"the document nests deeper than {MAX_DEPTH} levels",
                *_mark(node),
                hint="flatten the structure; apictl refuses documents this deep",
            )
        children = _children(node)
        if done:
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > MAX_EXPANDED_NODES:
                raise YamlProblem(
                    "yaml-alias-bomb",
                    f"YAML aliases expand this document to more than {MAX_EXPANDED_NODES:,} nodes",
                    *_mark(node),
                    hint="remove the recursive anchors (&) and aliases (*)",
                )
            sizes[id(node)] = total
            open_nodes.discard(id(node))
            continue
        if isinstance(node, yaml.MappingNode):
            _check_duplicate_keys(node)
        open_nodes.add(id(node))
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_duplicate_keys(node: yaml.MappingNode) -> None:
    seen: dict[str, yaml.Node] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
            continue
        if key.value in seen:
            first = seen[key.value]
            raise YamlProblem(
                "yaml-duplicate-key",
                f"duplicate key {key.value!r} (first defined on line {first.start_mark.line + 1})",
                *_mark(key),
                hint="remove one of the two entries; YAML would silently keep only the last",
            )
        seen[key.value] = key


STR, INT, NULL, BOOL, MERGE = (
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:merge",
)
TRUE = {"yes", "true", "on"}


class _Builder:
    """Builds Python values (and, if asked, positions) from composed nodes in one pass.

    libyaml has already resolved each node's tag; common tags are converted here directly, and
    anything unusual (floats, binary, merge keys, explicit tags) goes to PyYAML's constructor, so
    results are identical to ``yaml.load`` with the same loader.
    """

    def __init__(self, loader: JsonCompatibleLoader, file: str, positions: bool) -> None:
        self.loader = loader
        self.file = file
        self.values: dict[FieldPath, tuple[int, int]] | None = {} if positions else None
        self.keys: dict[FieldPath, tuple[int, int]] = {}
        self.done: dict[int, Any] = {}

    def build(self, node: yaml.Node, path: FieldPath, depth: int = 0) -> Any:
        if self.values is not None:
            self.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if depth > MAX_DEPTH:
            raise YamlProblem(
                "yaml-too-deep",
                f"the document nests deeper than {MAX_DEPTH} levels",
                *_mark(node),
                hint="flatten the structure; apictl refuses documents this deep",
            )
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.done and self.values is None:
            return self.done[id(node)]
        if isinstance(node, yaml.SequenceNode) and node.tag == "tag:yaml.org,2002:seq":
            result: Any = [self.build(child, (*path, i), depth + 1) for i, child in enumerate(node.value)]
        elif (
            isinstance(node, yaml.MappingNode)
            and node.tag == "tag:yaml.org,2002:map"
            and not any(k.tag == MERGE for k, _ in node.value)
        ):
            result = {}
            for key_node, value_node in node.value:
                key = (
                    self._scalar(key_node)
                    if isinstance(key_node, yaml.ScalarNode)
                    else self.loader.construct_object(key_node, deep=True)
                )
                if key in result:
                    _check_duplicate_keys(node)
                if self.values is not None and isinstance(key_node, yaml.ScalarNode):
                    self.keys[(*path, key)] = _mark(key_node)
                result[key] = self.build(value_node, (*path, key), depth + 1)
        else:
            result = self.loader.construct_object(node, deep=True)
            if self.values is not None and isinstance(node, yaml.MappingNode | yaml.SequenceNode):
                _collect_positions(node, path, self.values, self.keys)
        self.done[id(node)] = result
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == STR:
            return value
        if tag == INT and value.isdigit():
            return int(value)
        if tag == NULL:
            return None
        if tag == BOOL:
            return value.lower() in TRUE
        return self.loader.construct_object(node, deep=True)

    def source(self, root: yaml.Node) -> SourceMap | None:
        if self.values is None:
            return None
        return SourceMap(self.file, _mark(root), self.values, self.keys)


def _collect_positions(
    root: yaml.Node, at: FieldPath, values: dict[FieldPath, tuple[int, int]], keys: dict[FieldPath, tuple[int, int]]
) -> None:
    stack: list[tuple[yaml.Node, FieldPath]] = [(root, at)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    sub = (*path, key.value)
                    keys[sub] = _mark(key)
                    values[sub] = _mark(value)
                    stack.append((value, sub))
        elif isinstance(node, yaml.SequenceNode):
            for index, value in enumerate(node.value):
                values[(*path, index)] = _mark(value)
                stack.append((value, (*path, index)))


def _problem_from(exc: yaml.YAMLError) -> YamlProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    text = f"{context}, {problem}" if context else problem
    return YamlProblem(
        "yaml-syntax", f"invalid YAML: {text}", line, column, hint="fix the YAML syntax at this position"
    )


ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]")


def parse_documents(text: str, file: str, *, positions: bool) -> Iterator[YamlDocument]:
    """Parse every document of a YAML stream. Raises YamlProblem at the first broken one.

    The node graph is walked (alias expansion, depth, duplicate keys) only when positions are
    wanted or the text uses aliases; otherwise construction itself catches duplicate keys.
    """
    walk = ALIAS.search(text) is not None
    loader = JsonCompatibleLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            if walk:
                _check(node)
            builder = _Builder(loader, file, positions)
            try:
                data = builder.build(node, ())
            except RecursionError:
                raise YamlProblem("yaml-too-deep", "the document is too deeply nested", *_mark(node)) from None
            yield YamlDocument(data, builder.source(node), _mark(node))
    except yaml.YAMLError as exc:
        raise _problem_from(exc) from None
    finally:
        loader.dispose()


def locate_pointer(text: str, file: str, path: FieldPath, document_index: int = 0) -> tuple[int, int]:
    """Line and column of ``path`` in a document, found by re-reading it with positions."""
    for index, doc in enumerate(parse_documents(text, file, positions=True)):
        if index == document_index and doc.source is not None:
            location = doc.source.locate(path)
            return location.line, location.column
    return 1, 1
