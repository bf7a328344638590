"""Where requests go: a Service (ReferenceGrant when it lives elsewhere) or an external URL (EG Backend).

The gateway publishes an API at its basePath; the backend receives the path of the OpenAPI
definition, so the basePath is replaced by the backend URL's own path (if any) through an EG
HTTPRouteFilter ``urlRewrite``. For URL backends the Host header is rewritten to the backend's host.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from apictl.model.manifests import Backend
from apictl.model.source import SourceLocation
from apictl.render.naming import object_name
from apictl.render.targets.envoy_gateway.gateway_api import EG_GROUP, EG_V1A1, GATEWAY_GROUP, GATEWAY_V1
from apictl.render.targets.envoy_gateway.scope import ApiScope

_FQDN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?$")
_RE2_SPECIAL = set("\\.^$|?*+()[]{}")


def re2_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in _RE2_SPECIAL else c for c in text)


@dataclass(frozen=True)
class Target:
    """The resolved backend of one API in one environment."""

    ref: dict
    """The HTTPRoute backendRef."""
    path_prefix: str = ""
    """Path of a URL backend, without a trailing slash ("" for none)."""
    rewrite_host: bool = False


def effective_backend(scope: ApiScope) -> tuple[Backend, SourceLocation] | None:
    """The backend in this environment (an override wins) and where its ``url`` or ``service`` was written."""
    override = scope.ctx.environment.spec.overrides.apis.get(scope.api.metadata.name)
    if override is not None and override.backend is not None:
        backend, doc = override.backend, scope.ctx.environment_doc
        path: tuple[str, ...] = ("spec", "overrides", "apis", scope.api.metadata.name, "backend")
    elif scope.api.spec.backend is not None:
        backend, doc, path = scope.api.spec.backend, scope.doc, ("spec", "backend")
    else:
        return None
    return backend, doc.locate(*path, "url" if backend.url is not None else "service")


def resolve_backend(scope: ApiScope) -> Target | None:
    """Emit what the backend needs (ReferenceGrant or Backend) and return the backendRef."""
    found = effective_backend(scope)
    if found is None:
        scope.ctx.problem(
            "eg-backend-missing",
            f"{scope.label} has no backend",
            scope.doc.locate("spec"),
            "add spec.backend.service or spec.backend.url",
        )
        return None
    backend, where = found
    if backend.service is not None:
        return Target(_service(scope, backend))
    return _url(scope, backend.url or "", where)


def _service(scope: ApiScope, backend: Backend) -> dict:
    service = backend.service
    assert service is not None
    ref: dict = {"group": "", "kind": "Service", "name": service.name, "port": service.port}
    namespace = service.namespace or scope.namespace
    if namespace != scope.namespace:
        ref["namespace"] = namespace
        scope.emit(
            {
                "apiVersion": GATEWAY_V1,
                "kind": "ReferenceGrant",
                "metadata": scope.metadata(object_name(scope.name, "from", scope.namespace), namespace),
                "spec": {
                    "from": [{"group": GATEWAY_GROUP, "kind": "HTTPRoute", "namespace": scope.namespace}],
                    "to": [{"group": "", "kind": "Service", "name": service.name}],
                },
            }
        )
    return ref


def _url(scope: ApiScope, url: str, where: SourceLocation) -> Target | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = 0
    if parts.query or parts.fragment or parts.username or parts.password:
        scope.ctx.unsupported(
            "eg-backend-url",
            f"{scope.label}: backend URL {url!r} has a query, fragment or user info, which an Envoy Gateway "
            "Backend cannot express",
            where,
            "give the URL as scheme://host[:port][/path]",
        )
        return None
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        ip = None
    if (ip is None and not _FQDN.match(host)) or not 0 < port < 65536:
        scope.ctx.problem(
            "eg-backend-url",
            f"{scope.label}: backend URL {url!r} has no valid host name or port",
            where,
            "use a DNS name such as partner.example.net",
        )
        return None
    endpoint = {"ip": {"address": str(ip), "port": port}} if ip else {"fqdn": {"hostname": host, "port": port}}
    spec: dict = {"endpoints": [endpoint]}
    if parts.scheme == "https":
        spec["tls"] = (
            {"wellKnownCACertificates": "System"} if ip else {"sni": host, "wellKnownCACertificates": "System"}
        )
    name = scope.name
    scope.emit({"apiVersion": EG_V1A1, "kind": "Backend", "metadata": scope.metadata(name), "spec": spec})
    ref = {"group": EG_GROUP, "kind": "Backend", "name": name, "port": port}
    return Target(ref, parts.path.rstrip("/"), rewrite_host=ip is None)


def rewrite_filter_name(scope: ApiScope) -> str:
    return object_name(scope.name, "rewrite")


def render_rewrite(scope: ApiScope, target: Target) -> dict | None:
    """Emit the URL-rewrite HTTPRouteFilter when one is needed; return the ExtensionRef filter for the rules."""
    rewrite: dict = {}
    base = scope.base_path
    if base != target.path_prefix:
        rewrite["path"] = {
            "type": "ReplaceRegexMatch",
            "replaceRegexMatch": {
                "pattern": f"^{re2_escape(base)}(?:/(.*))?$",
                "substitution": target.path_prefix + "/\\1",
            },
        }
    if target.rewrite_host:
        rewrite["hostname"] = {"type": "Backend"}
    if not rewrite:
        return None
    name = rewrite_filter_name(scope)
    scope.emit(
        {
            "apiVersion": EG_V1A1,
            "kind": "HTTPRouteFilter",
            "metadata": scope.metadata(name),
            "spec": {"urlRewrite": rewrite},
        }
    )
    return {"type": "ExtensionRef", "extensionRef": {"group": EG_GROUP, "kind": "HTTPRouteFilter", "name": name}}
