"""The fast path (jsonschema-rs + semantic checks) and the careful path (openapi-spec-validator,
python-jsonschema) reach the same verdict on the same valid and invalid documents."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from apictl_cli import EXAMPLE

from apictl.model.bundle import Definition
from apictl.validate import asyncapi, openapi

Mutation = Callable[[dict[str, Any]], None]

SWAGGER = {
    "swagger": "2.0",
    "info": {"title": "Pets", "version": "1.0.0"},
    "tags": [{"name": "pets"}],
    "paths": {
        "/pets/{petId}": {
            "get": {
                "operationId": "getPet",
                "parameters": [{"name": "petId", "in": "path", "required": True, "type": "string"}],
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}}},
            }
        }
    },
    "definitions": {
        "Pet": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "default": "x"}}}
    },
}


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLE / "definitions" / name).read_text(encoding="utf-8"))


def _first_op(doc: dict[str, Any]) -> dict[str, Any]:
    path = next(p for p in doc["paths"] if "{" in p)
    return doc["paths"][path]["get"]


def _set(*path: Any, value: Any) -> Mutation:
    def mutate(doc: dict[str, Any]) -> None:
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


OPENAPI_MUTATIONS: dict[str, Mutation | None] = {
    "valid": None,
    "duplicate-operation-id": lambda d: d["paths"].__setitem__(
        "/dup", {"get": {"operationId": _first_op(d)["operationId"], "responses": {"200": {"description": "ok"}}}}
    ),
    "path-param-undeclared": lambda d: _first_op(d).__setitem__("parameters", []),
    "path-param-not-in-url": lambda d: _first_op(d)["parameters"].append(
        {"name": "ghost", "in": "path", "required": True, "schema": {"type": "string"}, "type": "string"}
    ),
    "duplicate-parameter": lambda d: _first_op(d)["parameters"].append(copy.deepcopy(_first_op(d)["parameters"][0])),
    "duplicate-tag": lambda d: d.__setitem__("tags", [{"name": "a"}, {"name": "a"}]),
    "allof-required-undefined": lambda d: _add_response_schema(
        d, {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}}], "required": ["b"]}
    ),
    "bad-default": lambda d: _used_schema(d).update({"properties": {"count": {"type": "integer", "default": "many"}}}),
    "default-not-in-enum": lambda d: _used_schema(d).update(
        {"properties": {"c": {"type": "string", "enum": ["red"], "default": "blue"}}}
    ),
    "responses-not-object": lambda d: _first_op(d).__setitem__("responses", "ok"),
    "missing-info": lambda d: d.pop("info"),
    "bad-parameter-location": lambda d: _first_op(d)["parameters"][0].__setitem__("in", "cookiejar"),
    "unknown-top-level": lambda d: d.__setitem__("servers2", []),
    "path-without-slash": lambda d: d["paths"].__setitem__("pets", {}),
}


def _add_response_schema(doc: dict[str, Any], schema: dict[str, Any]) -> None:
    """A new schema, referenced directly (not nested) by a new operation's response."""
    v2 = "swagger" in doc
    (doc["definitions"] if v2 else doc["components"]["schemas"])["Combined"] = schema
    ref = {"$ref": "#/definitions/Combined" if v2 else "#/components/schemas/Combined"}
    response = (
        {"description": "ok", "schema": ref}
        if v2
        else {"description": "ok", "content": {"application/json": {"schema": ref}}}
    )
    doc["paths"]["/combined"] = {"get": {"operationId": "getCombined", "responses": {"200": response}}}


def _used_schema(doc: dict[str, Any]) -> dict[str, Any]:
    """A schema that an operation references (so every validator walks it)."""
    schemas = doc["definitions"] if "swagger" in doc else doc["components"]["schemas"]
    return schemas[sorted(schemas)[0]]


BASES = {
    "openapi-3.0": lambda: _load("assets.openapi.yaml"),
    "openapi-3.1": lambda: _load("maintenance.openapi.yaml"),
    "swagger-2.0": lambda: copy.deepcopy(SWAGGER),
}


def _definition(doc: dict[str, Any]) -> Definition:
    text = yaml.safe_dump(doc, sort_keys=False)
    fmt, version = ("swagger", "2.0") if "swagger" in doc else ("openapi", str(doc.get("openapi")))
    if "asyncapi" in doc:
        fmt, version = "asyncapi", str(doc["asyncapi"])
    return Definition("doc.yaml", "doc.yaml", doc, text, fmt, version)  # type: ignore[arg-type]


def _verdicts(
    check: Callable[[Definition], Any], definition: Definition, monkeypatch: pytest.MonkeyPatch
) -> tuple[bool, bool]:
    monkeypatch.delenv("APICTL_VALIDATION", raising=False)
    fast = [d for d in check(definition) if d.severity == "error"]
    monkeypatch.setenv("APICTL_VALIDATION", "careful")
    careful = [d for d in check(definition) if d.severity == "error"]
    return bool(fast), bool(careful)


@pytest.mark.parametrize("base", sorted(BASES))
@pytest.mark.parametrize("mutation", sorted(OPENAPI_MUTATIONS))
def test_openapi_fast_and_careful_agree(base: str, mutation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = BASES[base]()
    mutate = OPENAPI_MUTATIONS[mutation]
    if mutate is not None:
        mutate(doc)
    fast, careful = _verdicts(openapi.check, _definition(doc), monkeypatch)
    assert fast == careful
    assert fast == (mutation != "valid")


ASYNCAPI_MUTATIONS: dict[str, Mutation | None] = {
    "valid": None,
    "bad-action": _set("operations", "publishAssetEvent", "action", value="publish"),
    "missing-info": lambda d: d.pop("info"),
    "address-not-string": _set("channels", "assetEvents", "address", value=42),
    "server-without-protocol": lambda d: d["servers"]["broker"].pop("protocol"),
    "unknown-root-field": lambda d: d.__setitem__("channelz", {}),
    "payload-type-invalid": _set("components", "messages", "AssetEvent", "payload", "type", value="objekt"),
}


@pytest.mark.parametrize("mutation", sorted(ASYNCAPI_MUTATIONS))
def test_asyncapi_fast_and_careful_agree(mutation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert asyncapi.schemas_available("3.0.0"), "run `apictl asyncapi-schemas fetch` (scripts/test does)"
    doc = _load("asset-events.asyncapi.yaml")
    mutate = ASYNCAPI_MUTATIONS[mutation]
    if mutate is not None:
        mutate(doc)
    fast, careful = _verdicts(asyncapi.check, _definition(doc), monkeypatch)
    assert fast == careful
    assert fast == (mutation != "valid")


def test_diagnostics_of_both_paths_name_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = BASES["openapi-3.0"]()
    OPENAPI_MUTATIONS["duplicate-operation-id"](doc)  # type: ignore[misc]
    definition = _definition(doc)
    monkeypatch.delenv("APICTL_VALIDATION", raising=False)
    (fast,) = openapi.check(definition)
    monkeypatch.setenv("APICTL_VALIDATION", "careful")
    (careful,) = openapi.check(definition)
    assert fast.message == careful.message
    assert fast.location is not None and fast.location.line > 1


def test_documented_difference_allof_required_on_nested_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """openapi-spec-validator skips the allOf/required check when it first meets the schema nested
    (e.g. as array items): its visit dedupe then never checks it top-level. apictl always checks."""
    doc = BASES["openapi-3.0"]()
    doc["components"]["schemas"]["Asset"].update({"allOf": [{"type": "object"}], "required": ["ghost"]})
    fast, careful = _verdicts(openapi.check, _definition(doc), monkeypatch)
    assert (fast, careful) == (True, False)
