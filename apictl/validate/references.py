"""Cross-references between manifests, and between manifests and their definitions."""

from __future__ import annotations

import re

from apictl.load.manifest_schema import did_you_mean
from apictl.model.bundle import Bundle, Document
from apictl.model.definition_views import event_channels, rest_operations
from apictl.model.diagnostics import Diagnostic, error
from apictl.model.manifests import API, Application, Environment, Plan, Policy, Subscription
from apictl.validate.asyncapi import FORBIDDEN_IN_VALUES


def _missing(what: str, name: str, known: set[str], doc: Document, *path: str | int) -> Diagnostic:
    hint = (
        did_you_mean(name, known)
        if known
        else f"add {'an' if what[0] in 'AEIOU' else 'a'} {what} manifest named {name!r}"
    )
    return error(f"ref-unknown-{what.lower()}", f"{what} {name!r} does not exist", doc.locate(*path), hint)


class _Index:
    def __init__(self, bundle: Bundle) -> None:
        self.apis = {(a.metadata.name, a.spec.version): a for a, _ in bundle.apis()}
        self.api_names = {a.metadata.name for a, _ in bundle.apis()}
        self.applications = bundle.by_name(Application)
        self.plans = bundle.by_name(Plan)
        self.policies = bundle.by_name(Policy)
        self.environments = bundle.by_name(Environment)
        self.rejected = bundle.rejected

    def missing(self, what: str, name: str, known: set[str], doc: Document, *path: str | int) -> list[Diagnostic]:
        """An unknown-reference error, unless the named manifest exists but was rejected (already reported)."""
        if (what, name) in self.rejected:
            return []
        return [_missing(what, name, known, doc, *path)]


def _check_api(api: API, doc: Document, bundle: Bundle, ix: _Index) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    spec = api.spec
    for i, plan in enumerate(spec.plans):
        if plan not in ix.plans:
            found += ix.missing("Plan", plan, set(ix.plans), doc, "spec", "plans", i)
    for i, policy in enumerate(spec.policies):
        if policy not in ix.policies:
            found += ix.missing("Policy", policy, set(ix.policies), doc, "spec", "policies", i)
    for i, env in enumerate(spec.environments):
        if env not in ix.environments:
            found += ix.missing("Environment", env, set(ix.environments), doc, "spec", "environments", i)
    for i, app in enumerate(spec.publishers):
        if app not in ix.applications:
            found += ix.missing("Application", app, set(ix.applications), doc, "spec", "publishers", i)
    if spec.type == "rest":
        if spec.backend is None:
            found.append(
                error(
                    "api-backend-missing",
                    f"REST API {api.metadata.name!r} has no backend",
                    doc.locate("spec"),
                    "add spec.backend.service (name, port) or spec.backend.url",
                )
            )
        if spec.base_path is None:
            found.append(
                error(
                    "api-base-path-missing",
                    f"REST API {api.metadata.name!r} has no basePath",
                    doc.locate("spec"),
                    "add spec.basePath, e.g. /assets",
                )
            )
        if spec.security is None:
            found.append(
                error(
                    "api-security-missing",
                    f"REST API {api.metadata.name!r} declares no security",
                    doc.locate("spec"),
                    "add spec.security with type apiKey or jwt, or `type: none` to publish it openly on purpose",
                )
            )
        if spec.publishers:
            found.append(
                error(
                    "api-publishers-not-async",
                    "spec.publishers applies only to event (async) APIs",
                    doc.locate("spec", "publishers"),
                    "remove spec.publishers",
                )
            )
    else:
        not_async = {
            "backend": "the broker target decides delivery",
            "basePath": "event APIs have channels, not paths",
            "security": "broker users authenticate with their application's credentials Secret",
            "policies": "HTTP policies (CORS, headers, timeouts, ...) do not apply to a broker",
            "operations": "operation policies apply to REST operations only",
        }
        present = {
            "backend": spec.backend,
            "basePath": spec.base_path,
            "security": spec.security,
            "policies": spec.policies,
            "operations": spec.operations,
        }
        for shown, why in not_async.items():
            if present[shown]:
                found.append(
                    error(
                        "api-field-not-async",
                        f"spec.{shown} does not apply to event (async) APIs",
                        doc.locate("spec", shown),
                        f"remove spec.{shown}: {why}",
                    )
                )
    definition = bundle.definition_for(api)
    if definition is not None and spec.type == "rest" and spec.operations:
        known = {op.operation_id for op in rest_operations(definition) if op.operation_id}
        for op_id in spec.operations:
            if op_id not in known:
                found.append(
                    error(
                        "ref-unknown-operation",
                        f"operation {op_id!r} is not an operationId in {definition.file}",
                        doc.locate("spec", "operations", op_id, key=True),
                        did_you_mean(op_id, known),
                    )
                )
    for op_id, settings in spec.operations.items():
        for i, policy in enumerate(settings.policies):
            if policy not in ix.policies:
                found += ix.missing("Policy", policy, set(ix.policies), doc, "spec", "operations", op_id, "policies", i)
    return found


def _check_restrictions(sub: Subscription, api: API, doc: Document, bundle: Bundle) -> list[Diagnostic]:
    definition = bundle.definition_for(api)
    if definition is None or definition.format != "asyncapi":
        return []
    parameters = {p.name: p for channel in event_channels(definition) for p in channel.parameters}
    found = []
    for name, values in sub.spec.restrictions.items():
        parameter = parameters.get(name)
        if parameter is None:
            found.append(
                error(
                    "restriction-unknown-parameter",
                    f"restriction on {name!r}: no channel of {api.metadata.name!r} has that parameter",
                    doc.locate("spec", "restrictions", name, key=True),
                    did_you_mean(name, parameters),
                )
            )
            continue
        for i, value in enumerate(values):
            where = doc.locate("spec", "restrictions", name, i)
            bad = sorted(FORBIDDEN_IN_VALUES & set(value))
            if bad or not value:
                found.append(
                    error(
                        "restriction-value-unsafe",
                        f"restriction value {value!r} for {name!r} contains "
                        f"{' '.join(repr(c) for c in bad) or 'nothing'}, which would break topic or routing-key syntax",
                        where,
                        "use letters, digits, '-' and '_' only",
                    )
                )
            elif parameter.enum is not None and value not in parameter.enum:
                found.append(
                    error(
                        "restriction-value-not-allowed",
                        f"{value!r} is not an allowed value of {name!r} ({', '.join(parameter.enum)})",
                        where,
                        did_you_mean(value, parameter.enum),
                    )
                )
            elif parameter.pattern is not None:
                try:
                    ok = re.search(parameter.pattern, value) is not None
                except re.error:
                    ok = True
                if not ok:
                    found.append(
                        error(
                            "restriction-value-not-allowed",
                            f"{value!r} does not match the pattern {parameter.pattern!r} of {name!r}",
                            where,
                            "use a value the channel parameter allows",
                        )
                    )
    return found


def _check_subscription(sub: Subscription, doc: Document, bundle: Bundle, ix: _Index) -> list[Diagnostic]:
    spec = sub.spec
    found: list[Diagnostic] = []
    app = ix.applications.get(spec.application)
    if app is None:
        found += ix.missing("Application", spec.application, set(ix.applications), doc, "spec", "application")
    api = ix.apis.get((spec.api.name, spec.api.version))
    if api is None:
        if spec.api.name in ix.api_names:
            versions = sorted(v for (n, v) in ix.apis if n == spec.api.name)
            found.append(
                error(
                    "ref-unknown-api-version",
                    f"API {spec.api.name!r} has no version {spec.api.version!r}",
                    doc.locate("spec", "api", "version"),
                    f"available versions: {', '.join(versions)}",
                )
            )
        else:
            found += ix.missing("API", spec.api.name, ix.api_names, doc, "spec", "api", "name")
    if spec.plan not in ix.plans:
        found += ix.missing("Plan", spec.plan, set(ix.plans), doc, "spec", "plan")
    elif api is not None and spec.plan not in api.spec.plans:
        found.append(
            error(
                "subscription-plan-not-offered",
                f"API {api.metadata.name!r} {api.spec.version} does not offer plan {spec.plan!r}",
                doc.locate("spec", "plan"),
                f"offered plans: {', '.join(api.spec.plans) or 'none'}; or add it to the API's spec.plans",
            )
        )
    for i, env in enumerate(spec.environments):
        if env not in ix.environments:
            found += ix.missing("Environment", env, set(ix.environments), doc, "spec", "environments", i)
        elif api is not None and env not in api.spec.environments:
            found.append(
                error(
                    "subscription-environment-not-deployed",
                    f"API {api.metadata.name!r} is not deployed to environment {env!r}",
                    doc.locate("spec", "environments", i),
                    "add the environment to the API's spec.environments",
                )
            )
        if app is not None and env not in app.spec.credentials and _needs_credentials(api):
            found.append(
                error(
                    "application-credentials-missing",
                    f"application {app.metadata.name!r} has no credentials Secret for environment {env!r}",
                    doc.locate("spec", "environments", i),
                    f"add spec.credentials.{env}: {{name: <secret-name>}} to Application {app.metadata.name!r}",
                )
            )
    if api is not None and api.spec.type == "rest":
        for field in ("restrictions", "qos"):
            if getattr(spec, field):
                found.append(
                    error(
                        "subscription-field-not-rest",
                        f"spec.{field} applies only to event (async) APIs",
                        doc.locate("spec", field),
                        f"remove spec.{field}",
                    )
                )
    elif api is not None:
        found += _check_restrictions(sub, api, doc, bundle)
    return found


def _needs_credentials(api: API | None) -> bool:
    if api is None:
        return False
    return api.spec.type == "async" or (api.spec.security is not None and api.spec.security.type == "apiKey")


def _check_environment(env: Environment, doc: Document, ix: _Index) -> list[Diagnostic]:
    found = []
    for name in env.spec.overrides.apis:
        if name not in ix.api_names:
            found += ix.missing("API", name, ix.api_names, doc, "spec", "overrides", "apis", name)
    for name in env.spec.overrides.plans:
        if name not in ix.plans:
            found += ix.missing("Plan", name, set(ix.plans), doc, "spec", "overrides", "plans", name)
    return found


def check(bundle: Bundle) -> list[Diagnostic]:
    ix = _Index(bundle)
    found: list[Diagnostic] = []
    for api, doc in bundle.apis():
        found += _check_api(api, doc, bundle, ix)
    for sub, doc in bundle.subscriptions():
        found += _check_subscription(sub, doc, bundle, ix)
    for env, doc in bundle.environments():
        found += _check_environment(env, doc, ix)
    for app, doc in bundle.applications():
        for env in app.spec.credentials:
            if env not in ix.environments:
                found += ix.missing("Environment", env, set(ix.environments), doc, "spec", "credentials", env)
    return found
