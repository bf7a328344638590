"""Gateway API and Envoy Gateway vocabulary: group/kinds, limits and value formats of the CRDs."""

from __future__ import annotations

import re

from apictl.model.fields import duration_ms
from apictl.model.objects import GroupKind
from apictl.render.naming import object_name

GATEWAY_GROUP = "gateway.networking.k8s.io"
EG_GROUP = "gateway.envoyproxy.io"
GATEWAY_V1 = f"{GATEWAY_GROUP}/v1"
EG_V1A1 = f"{EG_GROUP}/v1alpha1"

KINDS = frozenset(
    {
        GroupKind(GATEWAY_GROUP, "HTTPRoute"),
        GroupKind(GATEWAY_GROUP, "ReferenceGrant"),
        GroupKind(EG_GROUP, "Backend"),
        GroupKind(EG_GROUP, "BackendTrafficPolicy"),
        GroupKind(EG_GROUP, "HTTPRouteFilter"),
        GroupKind(EG_GROUP, "SecurityPolicy"),
    }
)

CLIENT_ID_HEADER = "x-apictl-client-id"
"""Set by the gateway after authentication (API key client id or JWT client-id claim); rate limits key on it."""

MAX_RULES = 16
MAX_MATCHES_PER_RULE = 64
MAX_MATCHES_PER_ROUTE = 128
MAX_HOSTNAMES = 16
MAX_HEADER_CHANGES = 16
MAX_UINT32 = 4_294_967_295

HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")
HEADER_VALUE = re.compile(r"^[!-~]+([\t ]?[!-~]+)*$")
"""Gateway API (experimental channel) pattern for header modifier values."""

_DURATION_UNITS = (("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1))


def gateway_duration(text: str) -> str | None:
    """A manifest duration in Gateway API form (``^([0-9]{1,5}(h|m|s|ms)){1,4}$``); None if too long."""
    rest = duration_ms(text)
    if rest == 0:
        return "0s"
    parts = []
    for unit, size in _DURATION_UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    if any(len(p.rstrip("hms")) > 5 for p in parts):
        return None
    return "".join(parts)


def kebab(text: str) -> str:
    """``recordMaintenanceAction`` -> ``record-maintenance-action`` (then cleaned to RFC 1123)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", text)
    return object_name(spaced.lower())
