"""OpenAPI 2.0 / 3.0 / 3.1 definitions: structure (openapi-spec-validator) and references."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from typing import Any

from apictl.model.bundle import Definition
from apictl.model.diagnostics import Diagnostic, error
from apictl.validate.definition_positions import DefinitionPositions
from apictl.validate.json_refs import iter_refs, resolve_pointer

MAX_ERRORS_PER_DOCUMENT = 50


def _validator_class(definition: Definition) -> Any:
    from openapi_spec_validator import (
        OpenAPIV2SpecValidator,
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
    )

    return {"2.0": OpenAPIV2SpecValidator, "3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator}.get(
        _schema_version(definition) or ""
    )


def _schema_version(definition: Definition) -> str | None:
    if definition.format == "swagger" and definition.version == "2.0":
        return "2.0"
    if definition.format == "openapi" and definition.version.startswith(("3.0.", "3.1.")):
        return definition.version[:3]
    return None


@functools.cache
def _fast_validator(version: str) -> Any:
    """The official OpenAPI schema (as shipped by openapi-spec-validator), compiled by jsonschema-rs."""
    import json
    from pathlib import Path

    import jsonschema_rs
    import openapi_spec_validator

    folder = {"2.0": "v2.0", "3.0": "v3.0", "3.1": "v3.1"}[version]
    schema_file = Path(openapi_spec_validator.__file__).parent / "resources" / "schemas" / folder / "schema.json"
    return jsonschema_rs.validator_for(json.loads(schema_file.read_text(encoding="utf-8")))


def careful_mode() -> bool:
    """APICTL_VALIDATION=careful runs openapi-spec-validator instead of the fast path."""
    return os.environ.get("APICTL_VALIDATION") == "careful"


def _message(err: Any) -> str:
    from apictl.validate.asyncapi import most_relevant

    text = most_relevant(err).message
    return text if len(text) <= 300 else text[:297] + "..."


def check_refs(definition: Definition, positions: DefinitionPositions) -> list[Diagnostic]:
    found = []
    for at, ref in iter_refs(definition.data):
        if ref.startswith("#"):
            ok, _ = resolve_pointer(definition.data, ref)
            if not ok:
                found.append(
                    error(
                        "definition-unresolved-ref",
                        f"$ref {ref!r} points to nothing in {definition.file}",
                        positions.locate((*at, "$ref")),
                        "fix the reference or add the component it names",
                    )
                )
        else:
            found.append(
                error(
                    "definition-external-ref",
                    f"$ref {ref!r} points outside this document; apictl needs self-contained definitions",
                    positions.locate((*at, "$ref")),
                    "bundle the definition into one file (e.g. `redocly bundle` or `swagger-cli bundle`)",
                )
            )
    return found


def check(definition: Definition) -> Iterable[Diagnostic]:
    positions = DefinitionPositions(definition)
    validator = _validator_class(definition)
    version_key = ("openapi",) if definition.format == "openapi" else ("swagger",)
    if validator is None:
        return [
            error(
                "openapi-unsupported-version",
                f"{definition.file} declares {definition.format} {definition.version!r}; "
                "apictl reads OpenAPI 2.0, 3.0.x and 3.1.x",
                positions.locate(version_key),
                "set `openapi: 3.1.0` (or 3.0.x / swagger: '2.0')",
            )
        ]
    ref_problems = check_refs(definition, positions)
    if ref_problems:
        return ref_problems  # the structural validators cannot run over dangling references
    if careful_mode():
        return _careful(definition, positions, validator, version_key)
    return _fast(definition, positions, validator, version_key)


def _fast(
    definition: Definition, positions: DefinitionPositions, validator: Any, version_key: tuple[str]
) -> list[Diagnostic]:
    """jsonschema-rs decides structural validity; an invalid document is reported by the careful path."""
    from apictl.validate.openapi_semantics import problems

    version = _schema_version(definition)
    assert version is not None
    if not _fast_validator(version).is_valid(dict(definition.data)):
        return _careful(definition, positions, validator, version_key)
    hint = "fix the definition so that it follows the OpenAPI specification"
    found = [error("openapi-invalid", message, positions.locate(at), hint) for at, message in problems(definition.data)]
    return found[:MAX_ERRORS_PER_DOCUMENT]


def _careful(
    definition: Definition, positions: DefinitionPositions, validator: Any, version_key: tuple[str]
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    try:
        for err in validator(dict(definition.data)).iter_errors():
            found.append(
                error(
                    "openapi-invalid",
                    _message(err),
                    positions.locate(tuple(err.absolute_path)),
                    "fix the definition so that it follows the OpenAPI specification",
                )
            )
            if len(found) >= MAX_ERRORS_PER_DOCUMENT:
                break
    except Exception as exc:  # the validator itself failed on this input
        found.append(
            error(
                "openapi-unreadable",
                f"the OpenAPI validator could not read this document ({type(exc).__name__}: {exc})",
                positions.locate(version_key),
                "check the document's structure and references",
            )
        )
    return found
