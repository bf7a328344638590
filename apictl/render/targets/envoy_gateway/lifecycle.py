"""Lifecycle: Deprecation/Sunset/Link headers for deprecated APIs, 410 Gone for retired ones."""

from __future__ import annotations

import datetime as dt
import json
from email.utils import format_datetime

from apictl.model.manifests import API
from apictl.render.naming import object_name
from apictl.render.targets.envoy_gateway.gateway_api import EG_GROUP, EG_V1A1, HEADER_VALUE
from apictl.render.targets.envoy_gateway.scope import ApiScope
from apictl.render.targets.envoy_gateway.settings import HeaderChange
from apictl.validate.conflicts import effective_hostnames


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def http_date(day: dt.date) -> str:
    """RFC 9110 IMF-fixdate of 00:00:00 GMT on ``day`` (the Sunset header's format, RFC 8594)."""
    return format_datetime(_midnight(day), usegmt=True)


def _successor_link(scope: ApiScope, successor: str) -> str:
    """A Link target: an API's address when ``successor`` names an API deployed here, else the text itself."""
    candidates: list[API] = [api for api, _ in scope.ctx.apis("rest") if api.metadata.name == successor]
    if not candidates:
        return successor
    newest = max(candidates, key=lambda a: [int(p) if p.isdigit() else 0 for p in a.spec.version.split(".")])
    path = newest.spec.base_path or "/"
    hosts = [h for h in effective_hostnames(newest, scope.ctx.environment) if not h.startswith("*.")]
    return f"https://{hosts[0]}{path}" if hosts else path


def lifecycle_headers(scope: ApiScope) -> list[HeaderChange]:
    """Response headers a deprecated API sends (set, so a backend's own values are replaced)."""
    lifecycle = scope.api.spec.lifecycle
    if lifecycle.state != "deprecated":
        return []
    since = lifecycle.deprecated_since
    # RFC 9745: a Structured Field Date. Without a date we fall back to the draft's "true".
    value = f"@{int(_midnight(since).timestamp())}" if since else "true"
    found = [HeaderChange("set", "Deprecation", value, scope.doc.locate("spec", "lifecycle", "deprecatedSince"))]
    if lifecycle.sunset:
        found.append(
            HeaderChange("set", "Sunset", http_date(lifecycle.sunset), scope.doc.locate("spec", "lifecycle", "sunset"))
        )
    link = successor_header(scope)
    if link:
        found.append(HeaderChange("set", "Link", link, scope.doc.locate("spec", "lifecycle", "successor")))
    return found


def successor_header(scope: ApiScope) -> str | None:
    successor = scope.api.spec.lifecycle.successor
    if not successor:
        return None
    value = f'<{_successor_link(scope, successor)}>; rel="successor-version"'
    if not HEADER_VALUE.match(value) or len(value) > 4096:
        scope.ctx.unsupported(
            "eg-header-value",
            f"{scope.label}: the successor {successor!r} cannot be sent in a Link header",
            scope.doc.locate("spec", "lifecycle", "successor"),
            "give the successor as an API name or a URL without spaces or non-ASCII characters",
        )
        return None
    return value


def gone_filter_name(scope: ApiScope) -> str:
    return object_name(scope.name, "gone")


def retired_rules(scope: ApiScope) -> list[dict]:
    """A retired API answers 410 Gone on its whole base path, through an HTTPRouteFilter direct response.

    Emits the HTTPRouteFilter and returns the route's only rule (no backendRefs).
    """
    api, lifecycle = scope.api, scope.api.spec.lifecycle
    detail = f"API {api.metadata.name} {api.spec.version} was retired"
    if lifecycle.sunset:
        detail += f" on {lifecycle.sunset.isoformat()}"
    problem = {"type": "about:blank", "title": "Gone", "status": 410, "detail": detail + "."}
    headers = []
    if lifecycle.sunset:
        headers.append({"name": "Sunset", "value": http_date(lifecycle.sunset)})
    link = successor_header(scope)
    if link:
        headers.append({"name": "Link", "value": link})
        problem["successor"] = _successor_link(scope, lifecycle.successor or "")
    direct: dict = {
        "statusCode": 410,
        "contentType": "application/problem+json",
        "body": {"type": "Inline", "inline": json.dumps(problem, separators=(",", ":"))},
    }
    if headers:
        direct["header"] = {"add": headers}
    scope.emit(
        {
            "apiVersion": EG_V1A1,
            "kind": "HTTPRouteFilter",
            "metadata": scope.metadata(gone_filter_name(scope)),
            "spec": {"directResponse": direct},
        }
    )
    rule = {
        "name": "retired",
        "matches": [{"path": {"type": "PathPrefix", "value": scope.base_path or "/"}}],
        "filters": [
            {
                "type": "ExtensionRef",
                "extensionRef": {"group": EG_GROUP, "kind": "HTTPRouteFilter", "name": gone_filter_name(scope)},
            }
        ],
    }
    return [rule]
