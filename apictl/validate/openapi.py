"""OpenAPI 2.0 / 3.0 / 3.1 definitions: structure (openapi-spec-validator) and references."""

from __future__ import annotations

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

    if definition.format == "swagger" and definition.version == "2.0":
        return OpenAPIV2SpecValidator
    if definition.format == "openapi" and definition.version.startswith("3.0."):
        return OpenAPIV30SpecValidator
    if definition.format == "openapi" and definition.version.startswith("3.1."):
        return OpenAPIV31SpecValidator
    return None


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
    where = positions.locate(("openapi",) if definition.format == "openapi" else ("swagger",))
    if validator is None:
        return [
            error(
                "openapi-unsupported-version",
                f"{definition.file} declares {definition.format} {definition.version!r}; "
                "apictl reads OpenAPI 2.0, 3.0.x and 3.1.x",
                where,
                "set `openapi: 3.1.0` (or 3.0.x / swagger: '2.0')",
            )
        ]
    ref_problems = check_refs(definition, positions)
    if ref_problems:
        return ref_problems  # the structural validator cannot run over dangling references
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
                where,
                "check the document's structure and references",
            )
        )
    return found
