"""The HTTPRoute of a REST API: rules from the OpenAPI operations under the basePath.

Every operation becomes a match (path + method). A path without templates is an ``Exact`` match of
basePath + path; a templated path (``/assets/{assetId}``) is a ``RegularExpression`` match in which
each ``{param}`` matches one non-empty path segment (``^/assets/assets/[^/]+$``). Operations that
carry operation-level policies get their own rule (one per distinct list of policies) so that
filters, timeouts and rule-level policies (``sectionName``) apply to them only; every other
operation shares the rule ``default``. When CORS applies, each path also gets an OPTIONS match for
preflight requests.

Gateway API allows 16 rules, 64 matches per rule and 128 per route. When the precise form is too
big, the route falls back, in steps: (1) one method-less match per path; (2) the ``default`` rule
becomes a single PathPrefix match on the basePath (operation-level rules keep their matches and
win, as Envoy Gateway orders Exact > RegularExpression > PathPrefix).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from apictl.model.definition_views import RestOperation, rest_operations
from apictl.render.naming import object_name
from apictl.render.targets.envoy_gateway.backends import re2_escape
from apictl.render.targets.envoy_gateway.gateway_api import (
    GATEWAY_GROUP,
    GATEWAY_V1,
    HEADER_NAME,
    HEADER_VALUE,
    MAX_HEADER_CHANGES,
    MAX_HOSTNAMES,
    MAX_MATCHES_PER_ROUTE,
    MAX_MATCHES_PER_RULE,
    MAX_RULES,
    gateway_duration,
    kebab,
)
from apictl.render.targets.envoy_gateway.scope import ApiScope
from apictl.render.targets.envoy_gateway.settings import HeaderChange, Settings
from apictl.validate.conflicts import effective_hostnames

_PLACEHOLDER = re.compile(r"\{[^{}/]*\}")
_EXACT_OK = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")
_CORS_ORIGIN = re.compile(r"(^\*$)|(^(http(s)?):\/\/(((\*\.)?([a-zA-Z0-9\-]+\.)*[a-zA-Z0-9-]+|\*)(:([0-9]{1,5}))?)$)")
DEFAULT_RULE = "default"


@dataclass
class RuleGroup:
    """Operations that share one HTTPRoute rule, and the settings that apply to them."""

    name: str
    policies: tuple[str, ...]
    operations: list[RestOperation]
    settings: Settings
    matches: list[dict] = field(default_factory=list)


def group_operations(scope: ApiScope, api_settings: Settings) -> list[RuleGroup]:
    from apictl.render.targets.envoy_gateway.settings import apply_policies

    definition = scope.ctx.bundle.definition_for(scope.api)
    operations = rest_operations(definition) if definition is not None else []
    groups: dict[tuple[str, ...], RuleGroup] = {(): RuleGroup(DEFAULT_RULE, (), [], api_settings)}
    for op in operations:
        settings = scope.api.spec.operations.get(op.operation_id or "")
        key = tuple(settings.policies) if settings is not None else ()
        if key not in groups:
            groups[key] = RuleGroup("", key, [], apply_policies(scope.ctx, api_settings, key))
        groups[key].operations.append(op)
    used = {DEFAULT_RULE}
    for group in list(groups.values())[1:]:
        ids = [op.operation_id for op in group.operations if op.operation_id]
        stem = kebab(ids[0]) if len(ids) == 1 else object_name("policies", *group.policies)
        name, n = stem, 1
        while name in used:
            n += 1
            name = object_name(stem, str(n))
        used.add(name)
        group.name = name
    found = list(groups.values())
    if not found[0].operations and len(found) > 1:
        found = found[1:]
    return found


def _path_match(scope: ApiScope, path: str) -> dict:
    full = (scope.base_path or "/") if path == "/" else scope.base_path + path  # `/` is the basePath itself
    if not _PLACEHOLDER.search(path) and _EXACT_OK.match(full) and "//" not in full:
        return {"type": "Exact", "value": full}
    pieces = _PLACEHOLDER.split(full)
    return {"type": "RegularExpression", "value": "^" + "[^/]+".join(re2_escape(p) for p in pieces) + "$"}


def _preflight_owner(scope: ApiScope, path: str, holders: list[RuleGroup]) -> RuleGroup | None:
    """The rule that answers CORS preflight (OPTIONS) requests for ``path``: one URL has one preflight answer."""
    with_cors = [g for g in holders if g.settings.cors is not None]
    for other in with_cors[1:]:
        assert other.settings.cors is not None and with_cors[0].settings.cors is not None
        if other.settings.cors.value != with_cors[0].settings.cors.value:
            scope.ctx.unsupported(
                "eg-cors-conflict",
                f"{scope.label}: operations on {path} have different CORS settings; a browser's preflight request "
                f"for that path can only get one answer (rule {with_cors[0].name!r} gives it)",
                other.settings.cors.location,
                "give every operation of a path the same CORS policy",
            )
    return with_cors[0] if with_cors else None


def build_matches(scope: ApiScope, groups: list[RuleGroup]) -> None:
    """Fill ``group.matches``, falling back to broader matches when Gateway API limits are exceeded."""
    declared = {(op.path, op.method) for g in groups for op in g.operations}
    rules_of_path: dict[str, list[RuleGroup]] = {}
    for group in groups:
        for op in group.operations:
            holders = rules_of_path.setdefault(op.path, [])
            if group not in holders:
                holders.append(group)
    preflight_owner = {path: _preflight_owner(scope, path, holders) for path, holders in rules_of_path.items()}

    def precise(group: RuleGroup, per_path: bool) -> list[dict]:
        found: list[dict] = []
        seen: set[tuple[str, str | None]] = set()

        def add(path: str, method: str | None) -> None:
            if (path, method) not in seen:
                seen.add((path, method))
                match: dict = {"path": _path_match(scope, path)}
                if method:
                    match["method"] = method
                found.append(match)

        for op in group.operations:
            keep_method = not per_path or len(rules_of_path[op.path]) > 1
            add(op.path, op.method if keep_method else None)
            if keep_method and preflight_owner[op.path] is group and (op.path, "OPTIONS") not in declared:
                add(op.path, "OPTIONS")
        return found

    def fits() -> bool:
        total = sum(len(g.matches) for g in groups)
        return all(len(g.matches) <= MAX_MATCHES_PER_RULE for g in groups) and total <= MAX_MATCHES_PER_ROUTE

    prefix = [{"path": {"type": "PathPrefix", "value": scope.base_path or "/"}}]
    for step in ("precise", "per-path", "prefix"):
        for group in groups:
            if (step == "prefix" and group.name == DEFAULT_RULE) or not group.operations:
                group.matches = list(prefix)
            else:
                group.matches = precise(group, per_path=step != "precise")
        if fits():
            if step != "precise":
                scope.info(
                    "eg-route-broadened",
                    f"{scope.label} has more operations than one HTTPRoute can match one by one; it is matched "
                    + (
                        "by path, for any method"
                        if step == "per-path"
                        else f"by the path prefix {scope.base_path or '/'}"
                    ),
                    scope.doc.locate("spec", "definition"),
                    "split the API, or accept that the gateway forwards requests the definition does not declare",
                )
            return
    scope.ctx.unsupported(
        "eg-route-too-big",
        f"{scope.label}: the operations with operation-level policies need more than {MAX_MATCHES_PER_ROUTE} "
        "HTTPRoute matches",
        scope.doc.locate("spec", "operations"),
        "attach fewer operation-level policies, or give several operations the same list of policies",
    )


def check_rule_count(scope: ApiScope, groups: list[RuleGroup]) -> bool:
    if len(groups) <= MAX_RULES:
        return True
    scope.ctx.unsupported(
        "eg-route-too-many-rules",
        f"{scope.label} has {len(groups) - 1} distinct lists of operation-level policies; an HTTPRoute holds at "
        f"most {MAX_RULES} rules",
        scope.doc.locate("spec", "operations"),
        f"use at most {MAX_RULES - 1} distinct lists of operation-level policies",
    )
    return False


def _header_modifier(scope: ApiScope, changes: dict[str, HeaderChange]) -> dict | None:
    result: dict[str, list] = {}
    for key in sorted(changes):
        change = changes[key]
        if not HEADER_NAME.match(change.name):
            continue  # the manifest schema already rejects these
        if change.action == "remove":
            result.setdefault("remove", []).append(change.name)
            continue
        if not change.value or len(change.value) > 4096 or not HEADER_VALUE.match(change.value):
            scope.ctx.unsupported(
                "eg-header-value",
                f"{scope.label}: header {change.name!r} value {change.value!r} cannot be expressed by a Gateway API "
                "header modifier (printable ASCII, single spaces, 1-4096 characters)",
                change.location,
                "remove leading, trailing or repeated spaces and non-ASCII characters",
            )
            continue
        result.setdefault(change.action, []).append({"name": change.name, "value": change.value})
    for action, items in result.items():
        if len(items) > MAX_HEADER_CHANGES:
            first = next(c for c in changes.values() if c.action == action)
            scope.ctx.unsupported(
                "eg-too-many-headers",
                f"{scope.label}: {len(items)} headers to {action}; Gateway API allows {MAX_HEADER_CHANGES}",
                first.location,
                "combine the header changes or drop some",
            )
            result[action] = items[:MAX_HEADER_CHANGES]
    return {k: result[k] for k in ("add", "set", "remove") if k in result} or None


def _collapse_star(values: list[str]) -> list[str]:
    unique = list(dict.fromkeys(values))
    return ["*"] if "*" in unique else unique


def _cors(scope: ApiScope, settings: Settings) -> dict | None:
    if settings.cors is None:
        return None
    cors, where = settings.cors.value, settings.cors.location
    origins = _collapse_star(cors.allow_origins)
    bad = [o for o in origins if not _CORS_ORIGIN.match(o) or len(o) > 253]
    if bad:
        scope.ctx.unsupported(
            "eg-cors-origin",
            f"{scope.label}: CORS origin(s) {', '.join(repr(b) for b in bad)} cannot be expressed by the Gateway API "
            "CORS filter (http(s)://host[:port], '*' or a '*.' wildcard host)",
            where,
            "write origins like https://portal.example.com",
        )
        origins = [o for o in origins if o not in bad]
        if not origins:
            return None
    result: dict = {"allowOrigins": origins}
    if cors.allow_methods:
        result["allowMethods"] = _collapse_star(list(cors.allow_methods))
    for key, values in (("allowHeaders", cors.allow_headers), ("exposeHeaders", cors.expose_headers)):
        values = _collapse_star(values) if key == "allowHeaders" else list(dict.fromkeys(values))
        wrong = [v for v in values if v != "*" and not HEADER_NAME.match(v)]
        if wrong:
            scope.ctx.unsupported(
                "eg-cors-header",
                f"{scope.label}: CORS {key} {', '.join(repr(w) for w in wrong)} are not header names",
                where,
                "list header names only",
            )
            values = [v for v in values if v not in wrong]
        if values:
            result[key] = values[:64]
    if cors.allow_credentials:
        result["allowCredentials"] = True
    if cors.max_age is not None:
        from apictl.model.fields import duration_ms

        result["maxAge"] = max(1, math.ceil(duration_ms(cors.max_age) / 1000))
    return result


def _timeouts(scope: ApiScope, settings: Settings) -> dict | None:
    result: dict = {}
    for key, sourced in (("request", settings.timeout_request), ("backendRequest", settings.timeout_backend)):
        if sourced is None:
            continue
        value = gateway_duration(sourced.value)
        if value is None:
            scope.ctx.unsupported(
                "eg-duration-too-long",
                f"{scope.label}: timeout {sourced.value!r} is longer than Gateway API durations allow",
                sourced.location,
                "use at most 99999h",
            )
            continue
        result[key] = value
    request, backend = settings.timeout_request, settings.timeout_backend
    if "request" in result and "backendRequest" in result and request and backend:
        from apictl.model.fields import duration_ms

        if duration_ms(request.value) != 0 and duration_ms(backend.value) > duration_ms(request.value):
            scope.ctx.problem(
                "eg-timeouts-inconsistent",
                f"{scope.label}: timeouts.backendRequest ({backend.value}) is longer than timeouts.request "
                f"({request.value})",
                backend.location,
                "make backendRequest at most as long as request",
            )
            del result["backendRequest"]
    return result or None


def build_rule(
    scope: ApiScope, group: RuleGroup, backend_ref: dict | None, rewrite: dict | None, lifecycle: list[HeaderChange]
) -> dict:
    rule: dict = {"name": group.name, "matches": group.matches}
    filters: list[dict] = []
    cors = _cors(scope, group.settings)
    if cors:
        filters.append({"type": "CORS", "cors": cors})
    request = _header_modifier(scope, group.settings.request_headers)
    if request:
        filters.append({"type": "RequestHeaderModifier", "requestHeaderModifier": request})
    response_changes = dict(group.settings.response_headers)
    for change in lifecycle:
        response_changes[change.name.lower()] = change
    response = _header_modifier(scope, response_changes)
    if response:
        filters.append({"type": "ResponseHeaderModifier", "responseHeaderModifier": response})
    if rewrite:
        filters.append(rewrite)
    if filters:
        rule["filters"] = filters
    if backend_ref is not None:
        rule["backendRefs"] = [backend_ref]
    timeouts = _timeouts(scope, group.settings)
    if timeouts:
        rule["timeouts"] = timeouts
    return rule


def route_body(scope: ApiScope, rules: list[dict]) -> dict:
    env = scope.ctx.environment
    gateway = env.spec.gateway
    assert gateway is not None
    ref = gateway.gateway_ref
    parent: dict = {
        "group": GATEWAY_GROUP,
        "kind": "Gateway",
        "name": ref.name,
        "namespace": ref.namespace or scope.namespace,
    }
    if ref.section_name:
        parent["sectionName"] = ref.section_name
    spec: dict = {"parentRefs": [parent]}
    hostnames = list(dict.fromkeys(effective_hostnames(scope.api, env)))
    if len(hostnames) > MAX_HOSTNAMES:
        override = env.spec.overrides.apis.get(scope.api.metadata.name)
        where = (
            scope.ctx.environment_doc.locate("spec", "overrides", "apis", scope.api.metadata.name, "hostnames")
            if override is not None and override.hostnames is not None
            else scope.doc.locate("spec", "hostnames")
            if scope.api.spec.hostnames
            else scope.ctx.environment_doc.locate("spec", "hostnames")
        )
        scope.ctx.unsupported(
            "eg-too-many-hostnames",
            f"{scope.label} has {len(hostnames)} hostnames; an HTTPRoute holds at most {MAX_HOSTNAMES}",
            where,
            "use a wildcard hostname such as *.example.com",
        )
        hostnames = hostnames[:MAX_HOSTNAMES]
    if hostnames:
        spec["hostnames"] = hostnames
    spec["rules"] = rules
    return {"apiVersion": GATEWAY_V1, "kind": "HTTPRoute", "metadata": scope.metadata(scope.name), "spec": spec}
