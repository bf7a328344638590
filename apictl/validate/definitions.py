"""Check each referenced definition once, and that its kind matches the API's type."""

from __future__ import annotations

from apictl.load.parallel_map import parallel_map
from apictl.model.bundle import Bundle, Definition
from apictl.model.diagnostics import Diagnostic, error
from apictl.validate import asyncapi, openapi

EXPECTED = {"rest": ("openapi", "swagger"), "async": ("asyncapi",)}


PARALLEL_BYTES = 1_000_000


def check_one(definition: Definition) -> list[Diagnostic]:
    return list(asyncapi.check(definition) if definition.format == "asyncapi" else openapi.check(definition))


def check(bundle: Bundle) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    checked: set[str] = set()
    to_check: list[Definition] = []
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
        to_check.append(definition)
    weights = [len(d.text) for d in to_check]
    for diagnostics in parallel_map(check_one, to_check, weights, min_weight=PARALLEL_BYTES):
        found += diagnostics
    return found
