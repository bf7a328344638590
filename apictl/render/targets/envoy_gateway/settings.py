"""What the policies of an API (and of one of its operations) add up to.

API-level policies apply in the order the API lists them; an operation's policies then apply on
top, for that operation only. A later policy replaces an earlier one's ``cors``, ``ipFilter`` and
``retries``; ``timeouts`` and ``circuitBreaker`` merge field by field; header changes merge per
header name (the last add/set/remove of a name wins).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from apictl.model.bundle import Document
from apictl.model.manifests import Cors, HeaderChanges, IpFilter, Retries
from apictl.model.source import SourceLocation
from apictl.render.target import RenderContext
from apictl.render.targets.envoy_gateway.scope import Sourced

CIRCUIT_FIELDS = (
    ("max_connections", "maxConnections"),
    ("max_pending_requests", "maxPendingRequests"),
    ("max_parallel_requests", "maxParallelRequests"),
    ("max_parallel_retries", "maxParallelRetries"),
)


@dataclass(frozen=True, slots=True)
class HeaderChange:
    action: str
    """add, set or remove"""
    name: str
    value: str
    location: SourceLocation


@dataclass
class Settings:
    cors: Sourced[Cors] | None = None
    ip_filter: Sourced[IpFilter] | None = None
    request_headers: dict[str, HeaderChange] = field(default_factory=dict)
    response_headers: dict[str, HeaderChange] = field(default_factory=dict)
    timeout_request: Sourced[str] | None = None
    timeout_backend: Sourced[str] | None = None
    retries: Sourced[Retries] | None = None
    circuit_breaker: dict[str, Sourced[int]] = field(default_factory=dict)

    def copy(self) -> Settings:
        return dataclasses.replace(
            self,
            request_headers=dict(self.request_headers),
            response_headers=dict(self.response_headers),
            circuit_breaker=dict(self.circuit_breaker),
        )

    @property
    def traffic(self) -> tuple[object, ...]:
        """What goes into a BackendTrafficPolicy (besides rate limits)."""
        return (self.retries, tuple(sorted(self.circuit_breaker.items())))

    @property
    def security(self) -> object:
        """What goes into a SecurityPolicy (besides authentication)."""
        return self.ip_filter


def _headers(target: dict[str, HeaderChange], changes: HeaderChanges, doc: Document, *path: str) -> None:
    for action in ("add", "set"):
        for name, value in getattr(changes, action).items():
            location = doc.locate("spec", "headers", *path, action, name)
            target[name.lower()] = HeaderChange(action, name, value, location)
    for i, name in enumerate(changes.remove):
        target[name.lower()] = HeaderChange("remove", name, "", doc.locate("spec", "headers", *path, "remove", i))


def apply_policies(ctx: RenderContext, base: Settings, names: Iterable[str]) -> Settings:
    """``base`` with the named policies applied in order (unknown names are skipped: validation reports them)."""
    result = base.copy()
    for name in names:
        found = ctx.policy(name)
        if found is None:
            continue
        policy, doc = found
        spec = policy.spec
        if spec.cors is not None:
            result.cors = Sourced(spec.cors, doc.locate("spec", "cors"))
        if spec.ip_filter is not None:
            result.ip_filter = Sourced(spec.ip_filter, doc.locate("spec", "ipFilter"))
        if spec.retries is not None:
            result.retries = Sourced(spec.retries, doc.locate("spec", "retries"))
        if spec.headers is not None:
            if spec.headers.request is not None:
                _headers(result.request_headers, spec.headers.request, doc, "request")
            if spec.headers.response is not None:
                _headers(result.response_headers, spec.headers.response, doc, "response")
        if spec.timeouts is not None:
            if spec.timeouts.request is not None:
                result.timeout_request = Sourced(spec.timeouts.request, doc.locate("spec", "timeouts", "request"))
            if spec.timeouts.backend_request is not None:
                result.timeout_backend = Sourced(
                    spec.timeouts.backend_request, doc.locate("spec", "timeouts", "backendRequest")
                )
        if spec.circuit_breaker is not None:
            for attr, key in CIRCUIT_FIELDS:
                value = getattr(spec.circuit_breaker, attr)
                if value is not None:
                    result.circuit_breaker[key] = Sourced(value, doc.locate("spec", "circuitBreaker", key))
    return result
