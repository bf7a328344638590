"""Breaking changes between two OpenAPI documents (2.0, 3.0, 3.1), named with oasdiff's rule ids.

Operations are matched by method and path template (parameter names ignored). Request parts are
checked as written by the consumer (narrowing breaks), response parts as read by it (widening breaks).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from apictl.model.bundle import Definition
from apictl.model.diagnostics import Severity
from apictl.model.source import FieldPath, SourceLocation
from apictl.validate.breaking.findings import Affected, Finding, finding
from apictl.validate.breaking.schema_changes import SchemaChange, SchemaComparison, follow, types_within
from apictl.validate.definition_positions import DefinitionPositions

ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")

Schema = tuple[Any, FieldPath]


@dataclass
class Parameter:
    name: str
    where: str
    required: bool
    deprecated: bool
    schema: Schema | None
    pointer: FieldPath


@dataclass
class Body:
    required: bool
    content: dict[str, Schema]
    pointer: FieldPath


@dataclass
class Header:
    name: str
    required: bool
    pointer: FieldPath


@dataclass
class Response:
    status: str
    content: dict[str, Schema]
    headers: dict[str, Header]
    pointer: FieldPath


@dataclass
class Operation:
    path: str
    method: str
    pointer: FieldPath
    deprecated: bool
    sunset: str | None
    parameters: dict[tuple[str, str], Parameter] = field(default_factory=dict)
    body: Body | None = None
    responses: dict[str, Response] = field(default_factory=dict)
    security: list[Any] | None = None

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass
class OpenApi:
    data: Mapping[str, Any]
    operations: dict[tuple[str, str], Operation]
    paths: dict[str, tuple[str, FieldPath]]
    security: list[Any] | None
    schemes: dict[str, tuple[str, FieldPath]]


def _template(path: str) -> str:
    return PLACEHOLDER.sub("{}", path)


def _parameter(doc: Any, node: Any, pointer: FieldPath, swagger: bool, path: str) -> Parameter | None:
    node, pointer = follow(doc, node, pointer)
    if not isinstance(node, Mapping) or not isinstance(node.get("name"), str) or not isinstance(node.get("in"), str):
        return None
    where = node["in"]
    schema: Schema | None
    if swagger:
        schema = (node, pointer)
    elif isinstance(node.get("schema"), Mapping):
        schema = (node["schema"], (*pointer, "schema"))
    elif isinstance(node.get("content"), Mapping) and node["content"]:
        media, value = next(iter(node["content"].items()))
        schema = (value.get("schema"), (*pointer, "content", media, "schema")) if isinstance(value, Mapping) else None
    else:
        schema = None
    return Parameter(node["name"], where, node.get("required") is True, node.get("deprecated") is True, schema, pointer)


def _key(param: Parameter, path: str) -> tuple[str, str]:
    if param.where == "path":
        names = [p[1:-1] for p in PLACEHOLDER.findall(path)]
        return ("path", str(names.index(param.name)) if param.name in names else param.name)
    if param.where == "header":
        return ("header", param.name.lower())
    return (param.where, param.name)


def _content(doc: Any, node: Mapping, pointer: FieldPath) -> dict[str, Schema]:
    content = node.get("content")
    if not isinstance(content, Mapping):
        return {}
    return {
        str(media): (
            value.get("schema") if isinstance(value, Mapping) else None,
            (*pointer, "content", media, "schema"),
        )
        for media, value in content.items()
    }


def _operation(doc: Mapping, path: str, item: Mapping, item_ptr: FieldPath, method: str, swagger: bool) -> Operation:
    node = item[method]
    pointer = (*item_ptr, method)
    sunset = node.get("x-sunset")
    op = Operation(
        path,
        method,
        pointer,
        node.get("deprecated") is True,
        str(sunset) if sunset is not None else None,
        security=node.get("security") if isinstance(node.get("security"), list) else None,
    )
    consumes = node.get("consumes") or doc.get("consumes") or ["application/json"]
    produces = node.get("produces") or doc.get("produces") or ["application/json"]
    raw_params: list[tuple[Any, FieldPath]] = []
    for owner, owner_ptr in ((item, item_ptr), (node, pointer)):
        if isinstance(owner.get("parameters"), list):
            raw_params += [(p, (*owner_ptr, "parameters", i)) for i, p in enumerate(owner["parameters"])]
    for raw, raw_ptr in raw_params:
        param = _parameter(doc, raw, raw_ptr, swagger, path)
        if param is None:
            continue
        if swagger and param.where == "body":
            body_node, body_ptr = follow(doc, raw, raw_ptr)
            schema = (body_node.get("schema"), (*body_ptr, "schema"))
            op.body = Body(param.required, {str(m): schema for m in consumes}, body_ptr)
            continue
        op.parameters[_key(param, path)] = param  # operation-level parameters override path-level ones
    if not swagger and "requestBody" in node:
        body, body_ptr = follow(doc, node["requestBody"], (*pointer, "requestBody"))
        if isinstance(body, Mapping):
            op.body = Body(body.get("required") is True, _content(doc, body, body_ptr), body_ptr)
    responses = node.get("responses")
    if isinstance(responses, Mapping):
        for status, raw in responses.items():
            response, response_ptr = follow(doc, raw, (*pointer, "responses", status))
            if not isinstance(response, Mapping):
                continue
            if swagger:
                content = (
                    {str(m): (response["schema"], (*response_ptr, "schema")) for m in produces}
                    if "schema" in response
                    else {}
                )
            else:
                content = _content(doc, response, response_ptr)
            headers: dict[str, Header] = {}
            if isinstance(response.get("headers"), Mapping):
                for name, header in response["headers"].items():
                    header, header_ptr = follow(doc, header, (*response_ptr, "headers", name))
                    required = isinstance(header, Mapping) and header.get("required") is True
                    headers[str(name).lower()] = Header(str(name), required, header_ptr)
            op.responses[str(status)] = Response(str(status), content, headers, response_ptr)
    return op


def read(definition: Definition) -> OpenApi:
    doc = definition.data
    swagger = definition.format == "swagger"
    operations: dict[tuple[str, str], Operation] = {}
    paths: dict[str, tuple[str, FieldPath]] = {}
    raw_paths = doc.get("paths") if isinstance(doc.get("paths"), Mapping) else {}
    for path, raw in raw_paths.items():
        item, item_ptr = follow(doc, raw, ("paths", path))
        if not isinstance(item, Mapping):
            continue
        paths[_template(str(path))] = (str(path), ("paths", path))
        for method in METHODS:
            if isinstance(item.get(method), Mapping):
                operations[(_template(str(path)), method)] = _operation(doc, str(path), item, item_ptr, method, swagger)
    schemes: dict[str, tuple[str, FieldPath]] = {}
    holder, holder_ptr = (
        (doc.get("securityDefinitions"), ("securityDefinitions",))
        if swagger
        else ((doc.get("components") or {}).get("securitySchemes"), ("components", "securitySchemes"))
    )
    if isinstance(holder, Mapping):
        for name, raw in holder.items():
            scheme, scheme_ptr = follow(doc, raw, (*holder_ptr, name))
            if isinstance(scheme, Mapping):
                kind = str(scheme.get("type", ""))
                if kind == "http" and isinstance(scheme.get("scheme"), str):
                    kind = f"http {scheme['scheme'].lower()}"
                if kind == "apiKey":
                    kind = f"apiKey in {scheme.get('in')} {scheme.get('name')}"
                schemes[str(name)] = (kind, scheme_ptr)
    security = doc.get("security") if isinstance(doc.get("security"), list) else None
    return OpenApi(doc, operations, paths, security, schemes)


def _sunset_in_future(sunset: str | None) -> bool:
    if not sunset:
        return False
    try:
        return dt.date.fromisoformat(sunset[:10]) > dt.date.today()
    except ValueError:
        return False


def _is_success(status: str) -> bool:
    return status.startswith("2")


# --- schema changes -> oasdiff rule ids -----------------------------------------------------------

REQUEST_BOUNDS = {
    "max-decreased": ("max-decreased", ERR, "the max was decreased from {old} to {new}"),
    "max-set": ("max-set", WARN, "the max was set to {new}"),
    "min-increased": ("min-increased", ERR, "the min was increased from {old} to {new}"),
    "min-set": ("min-set", WARN, "the min was set to {new}"),
    "max-length-decreased": ("max-length-decreased", ERR, "the maxLength was decreased from {old} to {new}"),
    "max-length-set": ("max-length-set", WARN, "the maxLength was set to {new}"),
    "min-length-increased": ("min-length-increased", ERR, "the minLength was increased from {old} to {new}"),
    "min-items-increased": ("min-items-increased", ERR, "the minItems was increased from {old} to {new}"),
    "min-items-set": ("min-items-set", WARN, "the minItems was set to {new}"),
    "max-items-decreased": ("max-items-decreased", ERR, "the maxItems was decreased from {old} to {new}"),
}
RESPONSE_BOUNDS = {
    "max-increased": ("max-increased", "the max was increased from {old} to {new}"),
    "min-decreased": ("min-decreased", "the min was decreased from {old} to {new}"),
    "max-length-increased": ("max-length-increased", "the maxLength was increased from {old} to {new}"),
    "min-length-decreased": ("min-length-decreased", "the minLength was decreased from {old} to {new}"),
    "min-items-decreased": ("min-items-decreased", "the minItems was decreased from {old} to {new}"),
}


def request_rule(change: SchemaChange, name: str) -> tuple[str, Severity, str] | None:
    """(id suffix, level, text) for a change in data the consumer writes; ``name`` says what changed."""
    kind = change.kind
    if change.read_only and kind in ("property-removed", "property-added", "became-required"):
        return None
    if kind == "property-removed":
        return "removed", WARN, f"removed {name}"
    if kind == "property-added":
        if not change.required:
            return "new-optional-property", INFO, f"added {name} (optional)"
        if change.has_default:
            return "new-required-property-with-default", INFO, f"added {name} (required, with a default value)"
        return "new-required-property", ERR, f"added {name} (required)"
    if kind == "became-required":
        if change.has_default:
            return "became-required-with-default", INFO, f"{name} (with a default value) became required"
        return "became-required", ERR, f"{name} became required"
    if kind == "type-changed":
        if types_within(change.old_types, change.new_types):
            return None
        return "type-changed", ERR, f"the type of {name} changed from {change.old} to {change.new}"
    if kind == "format-changed":
        if not change.new:
            return None
        return "type-changed", ERR, f"the format of {name} changed from {change.old or 'none'} to {change.new}"
    if kind == "became-not-nullable":
        return "became-not-nullable", ERR, f"{name} became not nullable"
    if kind == "became-enum":
        return "became-enum", ERR, f"{name} was restricted to a list of enum values ({change.new})"
    if kind == "enum-value-removed":
        return "enum-value-removed", ERR, f"removed the enum value(s) {change.old} of {name}"
    if kind == "pattern-added":
        return "pattern-added", WARN, f"added the pattern '{change.new}' to {name}"
    if kind == "pattern-changed":
        return "pattern-changed", WARN, f"changed the pattern of {name} from '{change.old}' to '{change.new}'"
    if kind in REQUEST_BOUNDS:
        suffix, level, text = REQUEST_BOUNDS[kind]
        return suffix, level, f"for {name}, " + text.format(old=change.old, new=change.new)
    return None


BODY_SUFFIXES = frozenset(
    {
        "type-changed",
        "became-not-nullable",
        "became-enum",
        "enum-value-removed",
        "max-decreased",
        "max-set",
        "min-increased",
        "min-set",
        "max-length-decreased",
        "max-length-set",
        "min-length-increased",
        "min-items-increased",
        "min-items-set",
        "max-items-decreased",
    }
)


def request_body_id(suffix: str, root: bool) -> str:
    """oasdiff's id for a request-body change: request-body-* for the body itself, request-property-* inside."""
    if suffix.startswith("new-"):
        return suffix.replace("-property", "-request-property", 1)
    return f"request-{'body' if root and suffix in BODY_SUFFIXES else 'property'}-{suffix}"


def response_rule(change: SchemaChange, status: str) -> tuple[str, Severity, str] | None:
    """(id, level, text) for a change in data the consumer reads."""
    name = f"'{change.property}'" if change.property else "the body"
    subject = "property" if change.property else "body"
    kind = change.kind
    if change.write_only:
        return None
    if kind == "property-removed":
        if change.required:
            return (
                "response-required-property-removed",
                ERR,
                f"removed the required property {name} from the {status} response",
            )
        return (
            "response-optional-property-removed",
            WARN,
            f"removed the optional property {name} from the {status} response",
        )
    if kind == "became-optional":
        return (
            "response-property-became-optional",
            ERR,
            f"the response property {name} became optional for the status {status}",
        )
    if kind == "type-changed":
        if types_within(change.new_types, change.old_types):
            return None
        return (
            f"response-{subject}-type-changed",
            ERR,
            f"the type of {name} in the {status} response changed from {change.old} to {change.new}",
        )
    if kind == "format-changed" and change.old:
        return (
            f"response-{subject}-type-changed",
            ERR,
            f"the format of {name} in the {status} response changed from {change.old} to {change.new or 'none'}",
        )
    if kind == "became-nullable":
        return f"response-{subject}-became-nullable", ERR, f"{name} became nullable in the {status} response"
    if kind == "enum-value-added":
        return (
            "response-property-enum-value-added",
            WARN,
            f"added the enum value(s) {change.new} to {name} in the {status} response",
        )
    if kind in RESPONSE_BOUNDS:
        suffix, text = RESPONSE_BOUNDS[kind]
        return (
            f"response-{subject}-{suffix}",
            ERR,
            f"for {name} in the {status} response, " + text.format(old=change.old, new=change.new),
        )
    return None


# --- the comparison -------------------------------------------------------------------------------


class OpenApiComparison:
    def __init__(self, base: Definition, head: Definition, api: str, affected: Affected) -> None:
        self.base, self.head = read(base), read(head)
        self.base_positions, self.head_positions = DefinitionPositions(base), DefinitionPositions(head)
        self.schemas = SchemaComparison(base.data, head.data)
        self.api, self.affected = api, affected
        self.found: dict[tuple[str, Severity, SourceLocation, str], list[str]] = {}

    def _at(self, head: FieldPath | None, base: FieldPath | None = None) -> SourceLocation:
        if head is not None:
            return self.head_positions.locate(head)
        return self.base_positions.locate(base or ())

    def _add(self, id: str, level: Severity, text: str, location: SourceLocation, op: Operation | None = None) -> None:
        ops = self.found.setdefault((id, level, location, text), [])
        if op is not None and op.label not in ops:
            ops.append(op.label)

    def findings(self) -> list[Finding]:
        self._paths_and_operations()
        self._global_security()
        self._security_schemes()
        result = []
        for (id, level, location, text), ops in self.found.items():
            message = f"{', '.join(ops)}: {text}" if ops else text
            result.append(
                finding(id, level, f"API {self.api}: {message}", location, api=self.api, affected=self.affected)
            )
        return result

    def _paths_and_operations(self) -> None:
        for template, (raw, pointer) in self.base.paths.items():
            if template in self.head.paths:
                continue
            ops = [op for (t, _), op in self.base.operations.items() if t == template]
            where = self._at(None, pointer)
            if any(_sunset_in_future(op.sunset) for op in ops):
                sunset = min(op.sunset for op in ops if op.sunset)
                self._add(
                    "api-path-removed-before-sunset",
                    ERR,
                    f"api path {raw} removed before the sunset date {sunset}",
                    where,
                )
            elif ops and all(op.deprecated for op in ops):
                self._add("api-path-removed-with-deprecation", INFO, f"api path {raw} removed with deprecation", where)
            else:
                self._add(
                    "api-path-removed-without-deprecation", ERR, f"api path {raw} removed without deprecation", where
                )
        for key, old in self.base.operations.items():
            if key[0] not in self.head.paths:
                continue
            new = self.head.operations.get(key)
            if new is None:
                where = self._at(None, old.pointer)
                if _sunset_in_future(old.sunset):
                    self._add(
                        "api-removed-before-sunset",
                        ERR,
                        f"{old.label} removed before the sunset date {old.sunset}",
                        where,
                    )
                elif old.deprecated:
                    self._add("api-removed-with-deprecation", INFO, f"{old.label} removed with deprecation", where)
                else:
                    self._add("api-removed-without-deprecation", ERR, f"{old.label} removed without deprecation", where)
                continue
            self._parameters(old, new)
            self._body(old, new)
            self._responses(old, new)
            self._operation_security(old, new)

    def _parameters(self, old: Operation, new: Operation) -> None:
        for key, param in old.parameters.items():
            if key not in new.parameters:
                if key[0] == "path":
                    continue  # a path template change is a removed path
                if param.deprecated:
                    self._add(
                        "request-parameter-removed-with-deprecation",
                        INFO,
                        f"deleted the {param.where} request parameter '{param.name}' with deprecation",
                        self._at(None, param.pointer),
                        new,
                    )
                else:
                    self._add(
                        "request-parameter-removed",
                        WARN,
                        f"deleted the {param.where} request parameter '{param.name}'",
                        self._at(None, param.pointer),
                        new,
                    )
                continue
            now = new.parameters[key]
            label = f"the {now.where} request parameter '{now.name}'"
            if now.required and not param.required:
                self._add(
                    "request-parameter-became-required", ERR, f"{label} became required", self._at(now.pointer), new
                )
            if param.schema is None or now.schema is None:
                continue
            for change in self.schemas.changes(param.schema, now.schema):
                if change.property not in ("", "[]"):
                    continue  # the properties of an object parameter are not compared
                rule = request_rule(change, label if not change.property else f"the items of {label}")
                if rule is None:
                    continue
                suffix, level, text = rule
                self._add(f"request-parameter-{suffix}", level, text, self._at(change.head or now.pointer), new)
        for key, now in new.parameters.items():
            if key in old.parameters or key[0] == "path":
                continue
            if now.required:
                self._add(
                    "new-required-request-parameter",
                    ERR,
                    f"added the new required {now.where} request parameter '{now.name}'",
                    self._at(now.pointer),
                    new,
                )
            else:
                self._add(
                    "new-optional-request-parameter",
                    INFO,
                    f"added the new optional {now.where} request parameter '{now.name}'",
                    self._at(now.pointer),
                    new,
                )

    def _body(self, old: Operation, new: Operation) -> None:
        if new.body is None:
            return
        if old.body is None:
            if new.body.required:
                self._add(
                    "request-body-added-required", ERR, "added required request body", self._at(new.body.pointer), new
                )
            return
        if new.body.required and not old.body.required:
            self._add(
                "request-body-became-required", ERR, "request body became required", self._at(new.body.pointer), new
            )
        for media, schema in old.body.content.items():
            if media not in new.body.content:
                self._add(
                    "request-body-media-type-removed",
                    ERR,
                    f"removed the media type {media} from the request body",
                    self._at(None, (*schema[1][:-1],)),
                    new,
                )
                continue
            head_schema = new.body.content[media]
            if schema[0] is None or head_schema[0] is None:
                continue
            for change in self.schemas.changes(schema, head_schema):
                name = f"the request property '{change.property}'" if change.property else "the request body"
                rule = request_rule(change, name)
                if rule is None:
                    continue
                suffix, level, text = rule
                location = self._at(change.head) if change.kind != "property-removed" else self._at(None, change.base)
                self._add(request_body_id(suffix, root=not change.property), level, text, location, new)

    def _responses(self, old: Operation, new: Operation) -> None:
        for status, response in old.responses.items():
            now = new.responses.get(status)
            if now is None:
                if _is_success(status):
                    self._add(
                        "response-success-status-removed",
                        ERR,
                        f"removed the success response with the status {status}",
                        self._at(None, response.pointer),
                        new,
                    )
                continue
            for media, schema in response.content.items():
                if media not in now.content:
                    self._add(
                        "response-media-type-removed",
                        ERR,
                        f"removed the media type {media} for the response with the status {status}",
                        self._at(None, schema[1][:-1]),
                        new,
                    )
                    continue
                head_schema = now.content[media]
                if schema[0] is None or head_schema[0] is None:
                    continue
                for change in self.schemas.changes(schema, head_schema):
                    rule = response_rule(change, status)
                    if rule is None:
                        continue
                    id, level, text = rule
                    location = (
                        self._at(None, change.base) if change.kind == "property-removed" else self._at(change.head)
                    )
                    self._add(id, level, text, location, new)
            for name, header in response.headers.items():
                head_header = now.headers.get(name)
                if head_header is None:
                    if header.required:
                        self._add(
                            "required-response-header-removed",
                            ERR,
                            f"the mandatory response header {header.name} removed for the status {status}",
                            self._at(None, header.pointer),
                            new,
                        )
                    else:
                        self._add(
                            "optional-response-header-removed",
                            WARN,
                            f"the optional response header {header.name} removed for the status {status}",
                            self._at(None, header.pointer),
                            new,
                        )
                elif header.required and not head_header.required:
                    self._add(
                        "response-header-became-optional",
                        ERR,
                        f"the response header {header.name} became optional for the status {status}",
                        self._at(head_header.pointer),
                        new,
                    )

    # --- security ---------------------------------------------------------------------------------

    @staticmethod
    def _alternatives(requirements: list[Any] | None) -> dict[frozenset[str], dict[str, set[str]]]:
        found: dict[frozenset[str], dict[str, set[str]]] = {}
        for requirement in requirements or []:
            if isinstance(requirement, Mapping):
                found[frozenset(map(str, requirement))] = {
                    str(k): {str(s) for s in v} if isinstance(v, list) else set() for k, v in requirement.items()
                }
        return found

    def _compare_security(
        self,
        old: list[Any] | None,
        new: list[Any] | None,
        prefix: str,
        where_head: FieldPath,
        where_base: FieldPath,
        op: Operation | None,
    ) -> None:
        before, after = self._alternatives(old), self._alternatives(new)
        open_before = not before or frozenset() in before
        open_after = not after or frozenset() in after
        for schemes, scopes in after.items():
            if not schemes:
                continue
            names = ", ".join(sorted(schemes))
            if schemes not in before:
                level = ERR if open_before else INFO
                what = "is now required" if open_before else "was added as an alternative"
                self._add(f"{prefix}-added", level, f"the security scheme {names} {what}", self._at(where_head), op)
                continue
            for scheme, wanted in scopes.items():
                added = wanted - before[schemes].get(scheme, set())
                if added:
                    self._add(
                        f"{prefix}-scope-added",
                        ERR,
                        f"the security scope(s) {', '.join(sorted(added))} were added to the security scheme {scheme}",
                        self._at(where_head),
                        op,
                    )
        for schemes in before:
            if schemes and schemes not in after:
                level = INFO if open_after else ERR
                self._add(
                    f"{prefix}-removed",
                    level,
                    f"the security scheme {', '.join(sorted(schemes))} was removed",
                    self._at(where_head) if new else self._at(None, where_base),
                    op,
                )

    def _operation_security(self, old: Operation, new: Operation) -> None:
        if old.security is None and new.security is None:
            return  # both inherit the global requirement: compared once, globally
        effective_old = old.security if old.security is not None else self.base.security
        effective_new = new.security if new.security is not None else self.head.security
        self._compare_security(
            effective_old,
            effective_new,
            "api-security",
            (*new.pointer, "security") if new.security is not None else new.pointer,
            (*old.pointer, "security"),
            new,
        )

    def _global_security(self) -> None:
        if not any(op.security is None for op in self.head.operations.values()):
            return
        self._compare_security(
            self.base.security, self.head.security, "api-global-security", ("security",), ("security",), None
        )

    def _security_schemes(self) -> None:
        for name, (kind, _) in self.base.schemes.items():
            now = self.head.schemes.get(name)
            if now is not None and now[0] != kind:
                self._add(
                    "api-security-component-type-changed",
                    ERR,
                    f"the security scheme {name} changed from {kind} to {now[0]}",
                    self._at(now[1]),
                )


def compare(base: Definition, head: Definition, api: str, affected: Affected) -> list[Finding]:
    return OpenApiComparison(base, head, api, affected).findings()
