"""Plans, retries and circuit breaking: one BackendTrafficPolicy per HTTPRoute (plus one per rule whose
operation-level policies change retries or circuit breaking; a rule-level policy replaces the
route-level one, so it repeats the rate limits).

Rate limits are per consumer: one rule per subscription, selecting the authenticated client by the
exact value of ``x-apictl-client-id`` (set by the SecurityPolicy after authentication), with the
limit of the plan the subscription names (environment overrides applied). ``shared: true`` makes
each rule one bucket for the whole policy target instead of one per route match. Environments with
``rateLimit: global`` get ``rateLimit.global`` (Envoy ratelimit service + Redis, counters shared by all
replicas), others ``rateLimit.local`` (a token bucket per Envoy replica, at most 16 rules).
"""

from __future__ import annotations

import json

from apictl.model.bundle import Document
from apictl.model.manifests import ApiKeySecurity, JwtSecurity, PlanSpec
from apictl.model.source import SourceLocation
from apictl.render.targets.envoy_gateway.gateway_api import CLIENT_ID_HEADER, EG_V1A1, MAX_UINT32, gateway_duration
from apictl.render.targets.envoy_gateway.scope import ApiScope
from apictl.render.targets.envoy_gateway.security import Subscriber
from apictl.render.targets.envoy_gateway.settings import Settings

UNITS = {"second": "Second", "minute": "Minute", "hour": "Hour", "day": "Day", "month": "Month"}
MAX_RULES = {"local": 16, "global": 256}
RETRY_TRIGGERS = ["connect-failure", "refused-stream", "reset", "retriable-status-codes"]


def _plan_location(scope: ApiScope, plan: str, plan_doc: Document, *path: str) -> SourceLocation:
    override = scope.ctx.environment.spec.overrides.plans.get(plan)
    if override is not None and getattr(override, _attr(path[0])) is not None:
        return scope.ctx.environment_doc.locate("spec", "overrides", "plans", plan, *path)
    return plan_doc.locate("spec", *path)


def _attr(camel: str) -> str:
    return {"rateLimit": "rate_limit", "quota": "quota"}[camel]


def _rule(application: str, requests: int, unit: str) -> dict:
    return {
        "clientSelectors": [{"headers": [{"name": CLIENT_ID_HEADER, "type": "Exact", "value": application}]}],
        "limit": {"requests": requests, "unit": unit},
        "shared": True,
    }


def rate_limit(scope: ApiScope, subs: list[Subscriber]) -> dict | None:
    gateway = scope.ctx.environment.spec.gateway
    mode = gateway.rate_limit if gateway is not None else "local"
    identified = isinstance(scope.api.spec.security, ApiKeySecurity | JwtSecurity)
    rules: list[dict] = []
    for sub in subs:
        found = scope.ctx.plan(sub.plan)
        if found is None:
            continue  # validation reports unknown plans
        plan, plan_doc = found
        if (plan.rate_limit or plan.quota) and not identified:
            scope.ctx.unsupported(
                "eg-rate-limit-anonymous",
                f"{scope.label} does not authenticate its clients, so the limits of plan {sub.plan!r} cannot be "
                f"applied to application {sub.application!r}",
                sub.subscription_doc.locate("spec", "plan"),
                "give the API spec.security (apiKey or jwt)",
            )
            continue
        rules += _plan_rules(scope, sub, plan, plan_doc, mode)
    seen: set[str] = set()
    unique = []
    for rule in rules:
        key = json.dumps(rule, sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append(rule)
    if len(unique) > MAX_RULES[mode]:
        scope.ctx.unsupported(
            "eg-too-many-rate-limits",
            f"{scope.label} needs {len(unique)} rate-limit rules (one per subscription and limit); Envoy Gateway "
            f"allows {MAX_RULES[mode]} {mode} rules per policy",
            scope.doc.locate("spec", "plans"),
            "use `rateLimit: global` in the environment (256 rules)" if mode == "local" else "",
        )
        unique = unique[: MAX_RULES[mode]]
    return {mode: {"rules": unique}} if unique else None


def _plan_rules(scope: ApiScope, sub: Subscriber, plan: PlanSpec, plan_doc: Document, mode: str) -> list[dict]:
    rules = []
    limit = plan.rate_limit
    if limit is not None:
        if limit.burst is not None and limit.burst != limit.requests:
            scope.ctx.unsupported(
                "eg-rate-limit-burst",
                f"plan {sub.plan!r}: a burst ({limit.burst}) different from the rate ({limit.requests} per "
                f"{limit.per}) cannot be expressed; Envoy Gateway allows bursts of exactly `requests` per unit",
                _plan_location(scope, sub.plan, plan_doc, "rateLimit", "burst"),
                "remove rateLimit.burst or set it equal to rateLimit.requests",
            )
        rules.append(_rule(sub.application, limit.requests, UNITS[limit.per]))
    quota = plan.quota
    if quota is not None:
        if mode == "global":
            rules.append(_rule(sub.application, quota.requests, UNITS[quota.per]))
        else:
            scope.ctx.unsupported(
                "eg-quota-needs-global-rate-limit",
                f"plan {sub.plan!r}: a quota ({quota.requests} per {quota.per}) needs the global rate limit service; "
                "local rate limits are per Envoy replica and are lost on restart",
                _plan_location(scope, sub.plan, plan_doc, "quota"),
                "set spec.gateway.rateLimit: global in the environment (Envoy Gateway with a Redis-backed rate "
                "limit service), or remove the quota",
            )
    return rules


def _duration(scope: ApiScope, text: str, where: SourceLocation) -> str | None:
    value = gateway_duration(text)
    if value is None:
        scope.ctx.unsupported(
            "eg-duration-too-long", f"{scope.label}: {text!r} is longer than Envoy Gateway durations allow", where
        )
    return value


def retry(scope: ApiScope, settings: Settings) -> dict | None:
    if settings.retries is None:
        return None
    retries, where = settings.retries.value, settings.retries.location
    result: dict = {"numRetries": retries.attempts}
    per: dict = {}
    if retries.per_try_timeout is not None:
        value = _duration(scope, retries.per_try_timeout, where)
        if value:
            per["timeout"] = value
    if retries.backoff is not None:
        value = _duration(scope, retries.backoff, where)
        if value:
            per["backOff"] = {"baseInterval": value}
    if per:
        result["perRetry"] = per
    if retries.on_status:
        result["retryOn"] = {"triggers": RETRY_TRIGGERS, "httpStatusCodes": sorted(set(retries.on_status))}
    return result


def circuit_breaker(scope: ApiScope, settings: Settings) -> dict | None:
    result = {}
    for key, sourced in sorted(settings.circuit_breaker.items()):
        if sourced.value > MAX_UINT32:
            scope.ctx.unsupported(
                "eg-value-too-large",
                f"{scope.label}: circuitBreaker.{key} {sourced.value} is larger than Envoy Gateway allows ({MAX_UINT32})",
                sourced.location,
            )
            continue
        result[key] = sourced.value
    return result or None


def traffic_spec(scope: ApiScope, settings: Settings, limits: dict | None) -> dict | None:
    spec: dict = {}
    if limits:
        spec["rateLimit"] = limits
    for key, value in (("retry", retry(scope, settings)), ("circuitBreaker", circuit_breaker(scope, settings))):
        if value:
            spec[key] = value
    return spec or None


def emit_traffic(scope: ApiScope, name: str, target: dict, spec: dict) -> None:
    scope.emit(
        {
            "apiVersion": EG_V1A1,
            "kind": "BackendTrafficPolicy",
            "metadata": scope.metadata(name),
            "spec": {"targetRefs": [target], **spec},
        }
    )
