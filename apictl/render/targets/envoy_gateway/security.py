"""Authentication and access control: one SecurityPolicy per HTTPRoute (plus one per rule whose
operation-level policies change the IP filter; a rule-level policy replaces the route-level one).

- apiKey: ``apiKeyAuth`` with the credential Secrets of the applications subscribed to the API in
  this environment. Each Secret maps a client id to a key; the client id must be the application's
  name (it is forwarded in ``x-apictl-client-id`` and rate limits key on it).
- jwt: one provider (issuer, audiences, remote JWKS); the client-id claim is copied to
  ``x-apictl-client-id``, and ``authorization`` only allows tokens whose client-id claim names a
  subscribed application.
- no subscribers: nobody gets in -- ``authorization`` with no rules and ``defaultAction: Deny``
  (403 for every request; ``apiKeyAuth`` is left out, since it needs at least one key to mean anything).
- ipFilter: ``authorization`` rules: Deny for ``deny`` CIDRs first, Allow for ``allow`` CIDRs
  (combined with the subscriber check), default Deny when an allow list exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from apictl.model.bundle import Document
from apictl.model.manifests import ApiKeySecurity, JwtSecurity
from apictl.render.naming import object_name
from apictl.render.targets.envoy_gateway.gateway_api import CLIENT_ID_HEADER, EG_GROUP, EG_V1A1, GATEWAY_V1
from apictl.render.targets.envoy_gateway.scope import ApiScope
from apictl.render.targets.envoy_gateway.settings import Settings

MAX_CLAIM_VALUES = 128
MAX_AUDIENCES = 8


@dataclass(frozen=True)
class Subscriber:
    application: str
    plan: str
    secret: str | None
    secret_namespace: str | None
    subscription_doc: Document


def subscribers(scope: ApiScope) -> list[Subscriber]:
    """Applications subscribed to this API in this environment, in subscription-name order."""
    found: list[Subscriber] = []
    for sub, doc in scope.ctx.subscriptions(scope.api):
        app = scope.ctx.application(sub.spec.application)
        if app is None:
            continue  # validation reports unknown applications
        ref = app[0].spec.credentials.get(scope.ctx.env_name)
        found.append(
            Subscriber(
                sub.spec.application,
                sub.spec.plan,
                ref.name if ref else None,
                ref.namespace if ref else None,
                doc,
            )
        )
    return found


def _provider_name(scope: ApiScope) -> str:
    return object_name(scope.api.metadata.name, "idp")


def _authentication(scope: ApiScope, subs: list[Subscriber]) -> tuple[dict, list[dict]]:
    """(spec fields, Allow principals) for the API's security; an empty principal list = nobody."""
    security = scope.api.spec.security
    spec: dict = {}
    if isinstance(security, ApiKeySecurity):
        refs = []
        seen: set[tuple[str, str]] = set()
        for sub in subs:
            if sub.secret is None:
                scope.ctx.problem(
                    "eg-credentials-missing",
                    f"application {sub.application!r} subscribes to {scope.label} but has no credentials Secret "
                    f"for environment {scope.ctx.env_name!r}",
                    sub.subscription_doc.locate("spec", "application"),
                    f"add spec.credentials.{scope.ctx.env_name} to Application {sub.application!r}",
                )
                continue
            ref = {"group": "", "kind": "Secret", "name": sub.secret}
            if sub.secret_namespace and sub.secret_namespace != scope.namespace:
                ref["namespace"] = sub.secret_namespace
            key = (ref.get("namespace", ""), sub.secret)
            if key not in seen:
                seen.add(key)
                refs.append(ref)
        if refs:
            spec["apiKeyAuth"] = {
                "credentialRefs": refs,
                "extractFrom": [{"headers": [security.header]}],
                "forwardClientIDHeader": CLIENT_ID_HEADER,
                "sanitize": True,
            }
            return spec, [{}]
        return spec, []
    if isinstance(security, JwtSecurity):
        where = scope.doc.locate("spec", "security")
        provider: dict = {"name": _provider_name(scope), "issuer": security.issuer}
        if len(security.issuer) > 253 or len(security.jwks_uri) > 253:
            scope.ctx.unsupported(
                "eg-jwt-too-long",
                f"{scope.label}: the JWT issuer and JWKS URI may have at most 253 characters in Envoy Gateway",
                where,
            )
        audiences = list(dict.fromkeys(security.audiences))
        if len(audiences) > MAX_AUDIENCES:
            scope.ctx.unsupported(
                "eg-jwt-audiences",
                f"{scope.label} accepts {len(audiences)} audiences; Envoy Gateway allows {MAX_AUDIENCES}",
                scope.doc.locate("spec", "security", "audiences"),
            )
            audiences = audiences[:MAX_AUDIENCES]
        if audiences:
            provider["audiences"] = audiences
        provider["remoteJWKS"] = {"uri": security.jwks_uri}
        provider["claimToHeaders"] = [{"claim": security.client_id_claim, "header": CLIENT_ID_HEADER}]
        spec["jwt"] = {"providers": [provider]}
        apps = list(dict.fromkeys(s.application for s in subs))
        chunks = [apps[i : i + MAX_CLAIM_VALUES] for i in range(0, len(apps), MAX_CLAIM_VALUES)]
        principals = [
            {
                "jwt": {
                    "provider": provider["name"],
                    "claims": [{"name": security.client_id_claim, "valueType": "String", "values": chunk}],
                }
            }
            for chunk in chunks
        ]
        return spec, principals
    return spec, [{}]


def security_spec(scope: ApiScope, settings: Settings, subs: list[Subscriber]) -> dict | None:
    spec, principals = _authentication(scope, subs)
    rules: list[dict] = []
    ip = settings.ip_filter.value if settings.ip_filter else None
    if ip is not None and ip.deny:
        rules.append({"name": "ip-deny", "action": "Deny", "principal": {"clientCIDRs": list(ip.deny)}})
    restricted = principals != [{}]
    if ip is not None and ip.allow:
        principals = [{"clientCIDRs": list(ip.allow), **p} for p in principals]
        restricted = True
    if restricted:
        for i, principal in enumerate(principals, start=1):
            name = "allow" if len(principals) == 1 else f"allow-{i}"
            rules.append({"name": name, "action": "Allow", "principal": principal})
    if rules or restricted:
        authorization: dict = {"defaultAction": "Deny" if restricted else "Allow"}
        if rules:
            authorization["rules"] = rules
        spec["authorization"] = authorization
    return spec or None


def emit_security(scope: ApiScope, name: str, target: dict, spec: dict) -> None:
    scope.emit(
        {
            "apiVersion": EG_V1A1,
            "kind": "SecurityPolicy",
            "metadata": scope.metadata(name),
            "spec": {"targetRefs": [target], **spec},
        }
    )


def secret_grants(scope: ApiScope, subs: list[Subscriber]) -> None:
    """A ReferenceGrant in each other namespace that holds subscribers' credential Secrets."""
    if not isinstance(scope.api.spec.security, ApiKeySecurity):
        return
    by_namespace: dict[str, list[str]] = {}
    for sub in subs:
        if sub.secret and sub.secret_namespace and sub.secret_namespace != scope.namespace:
            names = by_namespace.setdefault(sub.secret_namespace, [])
            if sub.secret not in names:
                names.append(sub.secret)
    for namespace in sorted(by_namespace):
        names = sorted(by_namespace[namespace])
        chunks = [names[i : i + 16] for i in range(0, len(names), 16)]
        for i, chunk in enumerate(chunks, start=1):
            suffix = [] if i == 1 else [str(i)]
            scope.emit(
                {
                    "apiVersion": GATEWAY_V1,
                    "kind": "ReferenceGrant",
                    "metadata": scope.metadata(
                        object_name(scope.name, "credentials-from", scope.namespace, *suffix), namespace
                    ),
                    "spec": {
                        "from": [{"group": EG_GROUP, "kind": "SecurityPolicy", "namespace": scope.namespace}],
                        "to": [{"group": "", "kind": "Secret", "name": n} for n in chunk],
                    },
                }
            )
