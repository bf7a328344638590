"""AsyncAPI 2.x / 3.0 definitions: the official JSON Schemas when installed, plus semantic checks.

The schemas come from the npm package ``@asyncapi/specs`` (see docs/asyncapi-schemas.md); they are
never vendored. Without them, the semantic checks still run and one info diagnostic says how to
enable the schema check.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apictl.load.asyncapi_schemas import cache_dir
from apictl.model.bundle import Definition
from apictl.model.definition_views import PLACEHOLDER, event_channels
from apictl.model.diagnostics import Diagnostic, Severity, error
from apictl.validate.definition_positions import DefinitionPositions
from apictl.validate.json_refs import resolve_pointer
from apictl.validate.openapi import check_refs

SUPPORTED = ("2.0.0", "2.1.0", "2.2.0", "2.3.0", "2.4.0", "2.5.0", "2.6.0", "3.0.0")
FORBIDDEN_IN_VALUES = set("./*#>+ ")


def schema_dirs() -> list[Path]:
    roots = [Path(p) for p in [os.environ.get("APICTL_ASYNCAPI_SCHEMAS")] if p]
    roots.append(cache_dir() / "package")
    dirs = []
    for root in roots:
        dirs += [root / "schemas", root / "package" / "schemas", root / "node_modules/@asyncapi/specs/schemas", root]
    return dirs


@functools.cache
def _schema(version: str) -> Any:
    import json

    for directory in schema_dirs():
        candidate = directory / f"{version}.json"
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    return None


@functools.cache
def _fast_validator(version: str) -> Any:
    """jsonschema-rs: decides validity quickly; its messages are not used."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema(version))


@functools.cache
def _schema_validator(version: str) -> Any:
    """python-jsonschema: precise messages (oneOf branches), used for invalid documents."""
    schema = _schema(version)
    if schema is None:
        return None
    from jsonschema import Draft7Validator

    return Draft7Validator(schema)


def schemas_available(version: str = "3.0.0") -> bool:
    return _schema_validator(version) is not None


def _dereferenced(document: Any) -> Any:
    """A copy with local $refs replaced by their targets.

    Cyclic references stay as $ref, and so do references into ``#/channels/``: AsyncAPI 3.0
    requires operation channels and messages to be Reference objects.
    """

    def walk(node: Any, active: tuple[str, ...]) -> Any:
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#") and not ref.startswith("#/channels/") and ref not in active:
                found, target = resolve_pointer(document, ref)
                if found:
                    return walk(target, (*active, ref))
            return {key: walk(value, active) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(value, active) for value in node]
        return node

    return walk(document, ())


def most_relevant(err: Any) -> Any:
    """The deepest useful error of a oneOf/anyOf, ignoring the "it could also be a $ref" branch."""
    from jsonschema.exceptions import best_match

    while err.context:
        branches = [e for e in err.context if not (e.validator == "required" and "'$ref'" in e.message)]
        err = best_match(branches or err.context)
    return err


def _schema_errors(definition: Definition, positions: DefinitionPositions) -> list[Diagnostic]:
    validator = _schema_validator(definition.version)
    if validator is None:
        return [
            Diagnostic(
                "asyncapi-schema-unavailable",
                Severity.INFO,
                f"the official AsyncAPI {definition.version} JSON Schema is not installed; "
                "only apictl's semantic checks ran",
                positions.locate(("asyncapi",)),
                "run `apictl asyncapi-schemas fetch` (uses npm) or set APICTL_ASYNCAPI_SCHEMAS",
            )
        ]
    document = _dereferenced(definition.data)
    if os.environ.get("APICTL_VALIDATION") != "careful" and _fast_validator(definition.version).is_valid(document):
        return []
    found = []
    for err in validator.iter_errors(document):
        shown = most_relevant(err)
        path = tuple(shown.absolute_path) or tuple(err.absolute_path)
        text = shown.message if len(shown.message) < 300 else shown.message[:297] + "..."
        found.append(
            error(
                "asyncapi-invalid",
                text,
                positions.locate(path),
                f"fix the document so that it follows AsyncAPI {definition.version}",
            )
        )
    return found[:50]


def _semantic_errors(definition: Definition, positions: DefinitionPositions) -> list[Diagnostic]:
    found = []
    for channel in event_channels(definition):
        declared = {p.name for p in channel.parameters}
        used = channel.placeholders
        for name in used:
            if name not in declared:
                found.append(
                    error(
                        "asyncapi-parameter-undeclared",
                        f"channel {channel.key!r}: address {channel.address!r} uses {{{name}}} "
                        "but the channel declares no such parameter",
                        positions.locate(channel.pointer),
                        f"add `{name}` under the channel's parameters",
                    )
                )
        for parameter in channel.parameters:
            if parameter.name not in used:
                found.append(
                    error(
                        "asyncapi-parameter-unused",
                        f"channel {channel.key!r}: parameter {parameter.name!r} does not appear in "
                        f"address {channel.address!r}",
                        positions.locate(parameter.pointer),
                        f"remove it, or add {{{parameter.name}}} to the address",
                    )
                )
            for value in parameter.enum or ():
                bad = sorted(FORBIDDEN_IN_VALUES & set(value))
                if bad:
                    found.append(
                        error(
                            "asyncapi-parameter-value-unsafe",
                            f"channel {channel.key!r}: parameter {parameter.name!r} allows {value!r}, which contains "
                            f"{' '.join(repr(c) for c in bad)}: that breaks topic, routing-key and subject syntax",
                            positions.locate(parameter.pointer),
                            "use values made of letters, digits, '-' and '_'",
                        )
                    )
        if PLACEHOLDER.sub("", channel.address).count("{") or "}" in PLACEHOLDER.sub("", channel.address):
            found.append(
                error(
                    "asyncapi-address-invalid",
                    f"channel {channel.key!r}: unbalanced braces in address {channel.address!r}",
                    positions.locate(channel.pointer),
                    "write parameters as {name}",
                )
            )
    operations = definition.data.get("operations")
    if definition.version.startswith("3.") and isinstance(operations, Mapping):
        for op_id, op in operations.items():
            if isinstance(op, Mapping) and not isinstance(op.get("channel"), Mapping):
                found.append(
                    error(
                        "asyncapi-operation-no-channel",
                        f"operation {op_id!r} names no channel",
                        positions.locate(("operations", op_id)),
                        "add `channel: {$ref: '#/channels/<name>'}`",
                    )
                )
    return found


def check(definition: Definition) -> list[Diagnostic]:
    positions = DefinitionPositions(definition)
    if definition.version not in SUPPORTED:
        return [
            error(
                "asyncapi-unsupported-version",
                f"{definition.file} declares AsyncAPI {definition.version!r}; apictl reads 2.0.0-2.6.0 and 3.0.0",
                positions.locate(("asyncapi",)),
                "set `asyncapi: 3.0.0` (or a 2.x version)",
            )
        ]
    ref_problems = check_refs(definition, positions)
    if ref_problems:
        return ref_problems
    return _semantic_errors(definition, positions) + _schema_errors(definition, positions)
