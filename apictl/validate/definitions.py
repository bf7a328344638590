"""Check each referenced definition once, and that its kind matches the API's type."""

from __future__ import annotations

from apictl.model.bundle import Bundle
from apictl.model.diagnostics import Diagnostic, error
from apictl.validate import asyncapi, openapi

EXPECTED = {"rest": ("openapi", "swagger"), "async": ("asyncapi",)}


def check(bundle: Bundle) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    checked: set[str] = set()
    for api, doc in bundle.apis():
        definition = bundle.definition_for(api)
        if definition is None:
            continue
        if definition.format not in EXPECTED[api.spec.type]:
            wanted = "an OpenAPI" if api.spec.type == "rest" else "an AsyncAPI"
            found.append(
                error(
                    "api-definition-mismatch",
                    f"API {api.metadata.name!r} is type {api.spec.type} but {definition.file} is not {wanted} document",
                    doc.locate("spec", "definition"),
                    "point spec.definition at the right file, or change spec.type",
                )
            )
            continue
        if definition.path in checked:
            continue
        checked.add(definition.path)
        found += asyncapi.check(definition) if definition.format == "asyncapi" else openapi.check(definition)
    return found
