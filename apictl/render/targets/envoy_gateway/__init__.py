"""The `envoy-gateway` target: Gateway API HTTPRoutes plus Envoy Gateway v1.9 policies.

Per REST API deployed to the environment (drafts are never rendered), in the environment's namespace:

- HTTPRoute ``<api>-v<major>`` (routes.py), with a URL-rewrite HTTPRouteFilter when the basePath
  must be replaced on the way to the backend (backends.py);
- a ReferenceGrant in the Service's namespace when the backend Service lives elsewhere, or an EG
  Backend for an external URL (backends.py);
- a SecurityPolicy (security.py) and a BackendTrafficPolicy (traffic.py), each targeting the whole
  route, and rule-level ones (``sectionName``) where operation-level policies need them;
- retired APIs get only an HTTPRoute whose one rule answers 410 through an HTTPRouteFilter (lifecycle.py).

The mapping, with what cannot be expressed, is documented in docs/targets/envoy-gateway.md.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from apictl.model.objects import GroupKind
from apictl.render.naming import object_name, version_label
from apictl.render.target import RenderContext, Role
from apictl.render.targets.envoy_gateway.backends import render_rewrite, resolve_backend
from apictl.render.targets.envoy_gateway.gateway_api import KINDS
from apictl.render.targets.envoy_gateway.lifecycle import lifecycle_headers, retired_rules
from apictl.render.targets.envoy_gateway.routes import (
    build_matches,
    build_rule,
    check_rule_count,
    group_operations,
    route_body,
)
from apictl.render.targets.envoy_gateway.scope import ApiScope
from apictl.render.targets.envoy_gateway.security import emit_security, secret_grants, security_spec, subscribers
from apictl.render.targets.envoy_gateway.settings import Settings, apply_policies
from apictl.render.targets.envoy_gateway.traffic import emit_traffic, rate_limit, traffic_spec


def render_api(scope: ApiScope) -> None:
    if scope.api.spec.lifecycle.state == "retired":
        scope.emit(route_body(scope, retired_rules(scope)))
        return
    api_settings = apply_policies(scope.ctx, Settings(), scope.api.spec.policies)
    groups = group_operations(scope, api_settings)
    if not check_rule_count(scope, groups):
        return
    build_matches(scope, groups)
    target = resolve_backend(scope)
    rewrite = render_rewrite(scope, target) if target is not None else None
    lifecycle = lifecycle_headers(scope)
    rules = [build_rule(scope, g, target.ref if target else None, rewrite, lifecycle) for g in groups]
    scope.emit(route_body(scope, rules))

    subs = subscribers(scope)
    secret_grants(scope, subs)
    limits = rate_limit(scope, subs)
    route_security = security_spec(scope, api_settings, subs)
    if route_security:
        emit_security(scope, scope.name, scope.route_ref(), route_security)
    route_traffic = traffic_spec(scope, api_settings, limits)
    if route_traffic:
        emit_traffic(scope, scope.name, scope.route_ref(), route_traffic)
    for group in groups:
        if not group.policies:
            continue
        name, section = object_name(scope.name, group.name), scope.route_ref(group.name)
        if group.settings.security != api_settings.security:
            spec = security_spec(scope, group.settings, subs)
            if spec:
                emit_security(scope, name, section, spec)
        if group.settings.traffic != api_settings.traffic:
            spec = traffic_spec(scope, group.settings, limits)
            if spec:
                emit_traffic(scope, name, section, spec)


def route_names(ctx: RenderContext) -> dict[tuple[str, str], str]:
    """``<api>-v<major>``; the full version when two versions of an API share a major version here."""
    apis = [api for api, _ in ctx.apis("rest")]
    majors = Counter((a.metadata.name, version_label(a.spec.version)) for a in apis)
    names = {}
    for api in apis:
        key = (api.metadata.name, version_label(api.spec.version))
        suffix = key[1] if majors[key] == 1 else "v" + api.spec.version
        names[(api.metadata.name, api.spec.version)] = object_name(api.metadata.name, suffix)
    return names


@dataclass(frozen=True)
class _Target:
    name: str = "envoy-gateway"
    role: Role = "gateway"
    kinds: frozenset[GroupKind] = KINDS

    def render(self, ctx: RenderContext) -> None:
        if ctx.environment.spec.gateway is None:
            return
        names = route_names(ctx)
        for api, doc in ctx.apis("rest"):
            render_api(ApiScope(ctx, api, doc, names[(api.metadata.name, api.spec.version)]))


TARGET = _Target()
