"""Breaking changes in the manifests: plans, API lifecycle, security and routing, subscriptions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from apictl.model.bundle import Bundle, Document
from apictl.model.diagnostics import Severity
from apictl.model.fields import duration_ms
from apictl.model.manifests import API, Environment, Plan, Subscription
from apictl.model.source import SourceLocation
from apictl.validate.breaking.findings import Affected, Finding, affected_of, finding
from apictl.validate.breaking.impact import Impact
from apictl.validate.breaking.pairing import Side, paired_apis

ERR, WARN = Severity.ERROR, Severity.WARNING
SECONDS = {"second": 1, "minute": 60, "hour": 3600}
DAYS = {"day": 1, "month": 30}


# --- plans ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limit:
    """One enforceable limit of a plan in one environment: a comparable amount and how to show it."""

    field: str
    amount: float
    text: str
    applies_to: str
    """rest or async: the kind of API the limit is enforced on."""
    path: tuple[str, ...]
    """Where it is written, inside the plan spec (or the environment's override of the plan)."""


def _limits(spec: object) -> dict[str, Limit]:
    found: dict[str, Limit] = {}
    rate = getattr(spec, "rate_limit", None)
    if rate is not None:
        found["rateLimit"] = Limit(
            "rateLimit", rate.requests / SECONDS[rate.per], f"{rate.requests}/{rate.per}", "rest", ("rateLimit",)
        )
        if rate.burst is not None:
            found["rateLimit.burst"] = Limit(
                "rateLimit.burst", rate.burst, str(rate.burst), "rest", ("rateLimit", "burst")
            )
    quota = getattr(spec, "quota", None)
    if quota is not None:
        found["quota"] = Limit(
            "quota", quota.requests / DAYS[quota.per], f"{quota.requests}/{quota.per}", "rest", ("quota",)
        )
    events = getattr(spec, "events", None)
    if events is not None:
        for attr, name in (
            ("max_connections", "maxConnections"),
            ("max_subscriptions", "maxSubscriptions"),
            ("publish_rate", "publishRate"),
        ):
            value = getattr(events, attr)
            if value is not None:
                found[f"events.{name}"] = Limit(f"events.{name}", value, str(value), "async", ("events", name))
        if events.queue is not None:
            for name in ("messages", "bytes"):
                value = getattr(events.queue, name)
                if value is not None:
                    found[f"events.queue.{name}"] = Limit(
                        f"events.queue.{name}", value, str(value), "async", ("events", "queue", name)
                    )
        if events.message_ttl is not None:
            found["events.messageTtl"] = Limit(
                "events.messageTtl",
                duration_ms(events.message_ttl),
                events.message_ttl,
                "async",
                ("events", "messageTtl"),
            )
    return found


@dataclass(frozen=True, slots=True)
class Effective:
    """A plan's limits in one environment, and where each is written."""

    limits: dict[str, Limit]
    written: dict[str, SourceLocation]


def _effective(plan: Plan, plan_doc: Document, env: Environment | None, env_doc: Document | None) -> Effective:
    override = env.spec.overrides.plans.get(plan.metadata.name) if env is not None else None
    limits = _limits(plan.spec)
    written = {name: plan_doc.locate("spec", *limit.path) for name, limit in limits.items()}
    if override is not None and env_doc is not None:
        for group in ("rateLimit", "quota", "events"):
            attr = {"rateLimit": "rate_limit", "quota": "quota", "events": "events"}[group]
            if getattr(override, attr) is None:
                continue  # the plan's own value stays
            for name in [n for n in limits if n.split(".")[0] == group]:
                del limits[name]
                del written[name]
            for name, limit in _limits(override).items():
                if name.split(".")[0] == group:
                    limits[name] = limit
                    written[name] = env_doc.locate("spec", "overrides", "plans", plan.metadata.name, *limit.path)
    return Effective(limits, written)


def _plans(base: Bundle, head: Bundle, impact: Impact) -> Iterator[Finding]:
    head_plans = {p.metadata.name: (p, d) for p, d in head.plans()}
    base_envs = {e.metadata.name: (e, d) for e, d in base.environments()}
    head_envs = {e.metadata.name: (e, d) for e, d in head.environments()}
    for plan, doc in base.plans():
        name = plan.metadata.name
        if name not in head_plans:
            affected = impact.on_plan(name)
            if affected:
                yield finding(
                    "plan-removed-while-subscribed",
                    ERR,
                    f"plan '{name}' was removed while applications subscribe with it",
                    doc.locate("metadata", "name"),
                    affected=affected,
                    hint="move the subscriptions to another plan first, and remove the plan in a later change",
                )
            continue
        head_plan, head_doc = head_plans[name]
        lowered: dict[tuple[str, str, str, SourceLocation], dict[str, set[str]]] = {}
        for env_name in sorted(base_envs):
            before = _effective(plan, doc, *base_envs[env_name])
            after = _effective(head_plan, head_doc, *head_envs.get(env_name, (None, None)))
            for field, limit in after.limits.items():
                old = before.limits.get(field)
                if old is not None and limit.amount >= old.amount:
                    continue
                apps = impact.on_plan(name, env_name, limit.applies_to)
                if not apps:
                    continue
                key = (field, old.text if old else "unlimited", limit.text, after.written[field])
                for env, names in apps:
                    lowered.setdefault(key, {}).setdefault(env, set()).update(names)
        for (field, old_text, new_text, where), by_env in lowered.items():
            envs = ", ".join(sorted(by_env))
            yield finding(
                "plan-limit-lowered",
                ERR,
                f"plan '{name}': {field} lowered from {old_text} to {new_text} in {envs}",
                where,
                affected=affected_of(by_env),
                hint="subscribers above the new limit will be throttled or rejected; tell them before merging",
            )


# --- APIs -------------------------------------------------------------------------------------------


def _hostnames(
    api: API, env: Environment | None, env_doc: Document | None, doc: Document
) -> tuple[set[str], SourceLocation | None]:
    name = api.metadata.name
    if env is not None:
        override = env.spec.overrides.apis.get(name)
        if override is not None and override.hostnames is not None:
            return set(override.hostnames), env_doc.locate(
                "spec", "overrides", "apis", name, "hostnames"
            ) if env_doc else None
    if api.spec.hostnames:
        return set(api.spec.hostnames), doc.locate("spec", "hostnames")
    if env is not None:
        return set(env.spec.hostnames), env_doc.locate("spec", "hostnames") if env_doc else None
    return set(), None


def _security_settings(api: API) -> dict[str, str]:
    security = api.spec.security
    if security is None or security.type == "none":
        return {}
    if security.type == "apiKey":
        return {"header": security.header}
    return {"issuer": security.issuer, "clientIdClaim": security.client_id_claim}


def _api(old: Side, new: Side, base: Bundle, head: Bundle, impact: Impact) -> Iterator[Finding]:
    subscribers = impact.subscribers(old.name, old.version)
    label = old.label
    spec, now = old.api.spec, new.api.spec
    state_before, state_after = spec.lifecycle.state, now.lifecycle.state
    if subscribers and state_after == "retired" and state_before != "retired":
        yield finding(
            "api-retired-while-subscribed",
            ERR,
            f"API {label} is retired (answers 410 Gone) while applications subscribe to it",
            new.doc.locate("spec", "lifecycle", "state"),
            api=label,
            affected=subscribers,
            hint="deprecate it with a sunset date first, and retire it once the subscriptions are gone",
        )
    elif subscribers and state_after == "deprecated" and state_before not in ("deprecated", "retired"):
        sunset = f" (sunset {now.lifecycle.sunset})" if now.lifecycle.sunset else ""
        yield finding(
            "api-deprecated-while-subscribed",
            WARN,
            f"API {label} was deprecated{sunset} while applications subscribe to it",
            new.doc.locate("spec", "lifecycle", "state"),
            api=label,
            affected=subscribers,
            hint="tell the subscribers and point them to a successor",
        )
    if spec.lifecycle.sunset and now.lifecycle.sunset and now.lifecycle.sunset < spec.lifecycle.sunset and subscribers:
        yield finding(
            "api-sunset-moved-earlier",
            ERR,
            f"API {label}: the sunset date moved earlier, from {spec.lifecycle.sunset} to {now.lifecycle.sunset}",
            new.doc.locate("spec", "lifecycle", "sunset"),
            api=label,
            affected=subscribers,
            hint="subscribers planned their migration for the announced date; keep it or move it later",
        )
    if spec.type == now.type == "rest" and subscribers:
        yield from _rest_api(old, new, base, head, label, subscribers, impact)
    for plan in spec.plans:
        if plan not in now.plans:
            users = impact.subscribers(old.name, old.version, lambda sub, plan=plan: sub.spec.plan == plan)
            if users:
                yield finding(
                    "api-plan-withdrawn-while-subscribed",
                    ERR,
                    f"API {label} no longer offers plan '{plan}' while applications subscribe with it",
                    new.doc.locate("spec", "plans"),
                    api=label,
                    affected=users,
                )


def _rest_api(
    old: Side, new: Side, base: Bundle, head: Bundle, label: str, subscribers: Affected, impact: Impact
) -> Iterator[Finding]:
    spec, now = old.api.spec, new.api.spec
    before_type = spec.security.type if spec.security else "none"
    after_type = now.security.type if now.security else "none"
    if before_type != after_type and after_type != "none":
        yield finding(
            "api-security-type-changed",
            ERR,
            f"API {label}: security changed from {before_type} to {after_type}; subscribers' credentials stop working",
            new.doc.locate("spec", "security", "type"),
            api=label,
            affected=subscribers,
        )
    elif before_type == after_type:
        before, after = _security_settings(old.api), _security_settings(new.api)
        changed = [k for k in before if before[k] != after.get(k)]
        removed_audiences = (
            sorted(set(spec.security.audiences) - set(now.security.audiences))  # type: ignore[union-attr]
            if before_type == "jwt"
            else []
        )
        if changed or removed_audiences:
            parts = [f"{k} {before[k]!r} -> {after.get(k)!r}" for k in changed]
            if removed_audiences:
                parts.append(f"audiences no longer accepted: {', '.join(removed_audiences)}")
            field = (
                "audiences"
                if removed_audiences and not changed
                else {"header": "header", "issuer": "issuer", "clientIdClaim": "clientIdClaim"}[changed[0]]
            )
            yield finding(
                "api-security-settings-changed",
                ERR,
                f"API {label}: {before_type} settings changed ({'; '.join(parts)})",
                new.doc.locate("spec", "security", field),
                api=label,
                affected=subscribers,
            )
    if spec.base_path and now.base_path and spec.base_path.rstrip("/") != now.base_path.rstrip("/"):
        yield finding(
            "api-base-path-changed",
            ERR,
            f"API {label}: base path changed from {spec.base_path} to {now.base_path}; every consumer URL changes",
            new.doc.locate("spec", "basePath"),
            api=label,
            affected=subscribers,
            hint="serve both paths for a while (a second API version on the new path), then retire the old one",
        )
    base_envs = {e.metadata.name: (e, d) for e, d in base.environments()}
    head_envs = {e.metadata.name: (e, d) for e, d in head.environments()}
    grouped: dict[tuple[tuple[str, ...], SourceLocation | None], set[str]] = {}
    for env_name in spec.environments:
        if env_name not in now.environments:
            continue
        before, _ = _hostnames(old.api, *base_envs.get(env_name, (None, None)), old.doc)
        after, where = _hostnames(new.api, *head_envs.get(env_name, (None, None)), new.doc)
        removed = tuple(sorted(before - after))
        if removed:
            grouped.setdefault((removed, where), set()).add(env_name)
    for (removed, where), envs in grouped.items():
        affected = tuple((env, apps) for env, apps in subscribers if env in envs)
        if affected:
            yield finding(
                "api-hostname-removed",
                ERR,
                f"API {label} is no longer served on {', '.join(removed)} in {', '.join(sorted(envs))}",
                where,
                api=label,
                affected=affected,
            )


# --- subscriptions ---------------------------------------------------------------------------------


def _subscriptions(base: Bundle, head: Bundle, impact: Impact) -> Iterator[Finding]:
    head_subs: dict[str, tuple[Subscription, Document]] = {s.metadata.name: (s, d) for s, d in head.subscriptions()}
    for sub, _ in base.subscriptions():
        if sub.metadata.name not in head_subs:
            continue
        new, doc = head_subs[sub.metadata.name]
        envs = [e for e in sub.spec.environments if e in new.spec.environments]
        affected = impact.of_subscription(sub, envs)
        if not affected:
            continue
        api = f"{sub.spec.api.name}@{sub.spec.api.version}"
        for parameter, values in new.spec.restrictions.items():
            before = sub.spec.restrictions.get(parameter)
            lost = sorted(set(before) - set(values)) if before is not None else None
            if before is None or lost:
                what = "every value" if before is None else ", ".join(lost or [])
                yield finding(
                    "subscription-restriction-narrowed",
                    ERR,
                    f"subscription '{sub.metadata.name}' of {sub.spec.application}: {parameter} narrowed to "
                    f"{', '.join(values)}; it stops receiving {what}",
                    doc.locate("spec", "restrictions", parameter),
                    api=api,
                    affected=affected,
                )
        if sub.spec.qos == "guaranteed" and new.spec.qos != "guaranteed":
            yield finding(
                "subscription-qos-downgraded",
                WARN,
                f"subscription '{sub.metadata.name}' of {sub.spec.application}: delivery downgraded from guaranteed "
                f"to {new.spec.qos or 'the default'}; events sent while it is offline are lost",
                doc.locate("spec", "qos"),
                api=api,
                affected=affected,
            )


def compare(base: Bundle, head: Bundle, impact: Impact) -> list[Finding]:
    found = list(_plans(base, head, impact))
    for old, new in paired_apis(base, head):
        if new is None:
            subscribers = impact.subscribers(old.name, old.version)
            if subscribers:
                found.append(
                    finding(
                        "api-removed-while-subscribed",
                        ERR,
                        f"API {old.label} was removed while applications subscribe to it",
                        old.doc.locate("metadata", "name"),
                        api=old.label,
                        affected=subscribers,
                        hint="deprecate and retire it first; remove it once no subscription names it",
                    )
                )
            continue
        found += _api(old, new, base, head, impact)
    found += _subscriptions(base, head, impact)
    return found
