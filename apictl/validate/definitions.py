"""Check each referenced definition once, and that its kind matches the API's type."""

from __future__ import annotations

from collections.abc import Callable

from apictl.load import result_cache
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
    schemas = "asyncapi-schemas" if asyncapi.schemas_available() else "no-asyncapi-schemas"
    keys = [result_cache.key(f"definition-check {schemas}", d.file, d.text) for d in to_check]
    for diagnostics in result_cache.cached_map("definition-check", check_one, to_check, keys, _on_all_cores):
        found += diagnostics
    return found


def _on_all_cores(
    function: Callable[[Definition], list[Diagnostic]], items: list[Definition]
) -> list[list[Diagnostic]]:
    return parallel_map(function, items, [len(d.text) for d in items], min_weight=PARALLEL_BYTES)
