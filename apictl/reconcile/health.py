"""Acceptance: has the controller taken an applied object in, or rejected it?

A lookup by kind returns a verdict, or NONE for kinds nobody reports on (a ConfigMap is accepted
by being stored). Conditions only count when written for the current ``metadata.generation``.

- Gateway API routes: every ``status.parents[]`` entry ``Accepted=True`` and not ``ResolvedRefs=False``;
  at least one entry per ``spec.parentRefs`` item.
- Policies (Envoy Gateway, BackendTLSPolicy): every ``status.ancestors[]`` entry ``Accepted=True``.
- Gateway: ``Accepted`` and ``Programmed``.
- Brokers and anything else with conditions: ``Ready=True`` with ``status.observedGeneration`` (when
  present) equal to ``metadata.generation``; ``Ready=False`` or Strimzi's ``NotReady=True`` reject,
  except for the transitional reasons controllers use while they work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

GATEWAY = "gateway.networking.k8s.io"
ROUTE_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute", "UDPRoute"})
ENVOY = "gateway.envoyproxy.io"
POLICY_KINDS = frozenset(
    {
        (ENVOY, "SecurityPolicy"),
        (ENVOY, "BackendTrafficPolicy"),
        (ENVOY, "ClientTrafficPolicy"),
        (ENVOY, "EnvoyExtensionPolicy"),
        (GATEWAY, "BackendTLSPolicy"),
    }
)
READY_KINDS = frozenset(
    {("rabbitmq.com", k) for k in ("Queue", "Exchange", "Binding", "User", "Vhost", "Permission", "TopicPermission")}
    | {("rabbitmq.com", k) for k in ("Policy", "OperatorPolicy", "Federation", "Shovel", "SuperStream")}
    | {("kafka.strimzi.io", "KafkaTopic"), ("kafka.strimzi.io", "KafkaUser")}
    | {("jetstream.nats.io", k) for k in ("Stream", "Consumer", "KeyValue", "ObjectStore", "Account")}
)
"""Kinds whose controller always reports Ready: pending until it does."""
TRANSITIONAL = frozenset({"Reconciling", "Finalizing", "Pending", "Progressing", "Creating", "Updating"})


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    PENDING = "pending"
    REJECTED = "rejected"
    NONE = "none"
    """No opinion: nothing reports on this kind; stored means accepted."""


@dataclass(frozen=True, slots=True)
class Health:
    verdict: Verdict
    message: str = ""

    @property
    def settled(self) -> bool:
        return self.verdict is not Verdict.PENDING


def health(body: Mapping[str, Any]) -> Health:
    group = str(body.get("apiVersion", "")).rpartition("/")[0]
    kind = str(body.get("kind", ""))
    status = body.get("status") or {}
    generation = (body.get("metadata") or {}).get("generation")
    if group == GATEWAY and kind in ROUTE_KINDS:
        refs = ((body.get("spec") or {}).get("parentRefs")) or []
        return _entries(
            status.get("parents"), "parent", "parentRef", generation, len(refs), ("Accepted", "ResolvedRefs")
        )
    if (group, kind) in POLICY_KINDS or "ancestors" in status:
        return _entries(status.get("ancestors"), "ancestor", "ancestorRef", generation, 1, ("Accepted", "ResolvedRefs"))
    if group == GATEWAY and kind == "Gateway":
        return _all_true(status.get("conditions") or [], ("Accepted", "Programmed"), generation, "")
    conditions = status.get("conditions")
    if conditions is None and (group, kind) not in READY_KINDS:
        return Health(Verdict.NONE)
    return _ready(status, conditions or [], generation)


def _entries(entries: Any, noun: str, ref_field: str, generation: Any, expected: int, types: tuple[str, ...]) -> Health:
    entries = entries or []
    if len(entries) < max(expected, 1):
        return Health(Verdict.PENDING, f"waiting for the controller to report on every {noun}")
    pending = ""
    for entry in entries:
        where = f"{noun} {_ref(entry.get(ref_field) or {})}"
        result = _all_true(entry.get("conditions") or [], types, generation, where, required=types[:1])
        if result.verdict is Verdict.REJECTED:
            return result
        if result.verdict is Verdict.PENDING:
            pending = result.message
    return Health(Verdict.PENDING, pending) if pending else Health(Verdict.ACCEPTED)


def _all_true(
    conditions: Sequence[Mapping[str, Any]],
    types: tuple[str, ...],
    generation: Any,
    where: str,
    required: tuple[str, ...] | None = None,
) -> Health:
    """Rejected if any of ``types`` is False now; accepted when all ``required`` (default: all) are True now."""
    required = types if required is None else required
    by_type = {c.get("type"): c for c in conditions}
    for name in types:
        cond = by_type.get(name)
        if cond is not None and _current(cond, generation) and cond.get("status") == "False":
            return Health(Verdict.REJECTED, _describe(where, cond))
    for name in required:
        cond = by_type.get(name)
        if cond is None or cond.get("status") != "True" or not _current(cond, generation):
            return Health(Verdict.PENDING, f"{where + ': ' if where else ''}waiting for {name}=True")
    return Health(Verdict.ACCEPTED)


def _ready(status: Mapping[str, Any], conditions: Sequence[Mapping[str, Any]], generation: Any) -> Health:
    observed = status.get("observedGeneration")
    stale = observed is not None and generation is not None and observed != generation
    by_type = {c.get("type"): c for c in conditions}
    not_ready = by_type.get("NotReady")
    if not stale and not_ready is not None and not_ready.get("status") == "True":
        return Health(Verdict.REJECTED, _describe("", not_ready))
    ready = by_type.get("Ready")
    if ready is None or stale or not _current(ready, generation):
        return Health(Verdict.PENDING, "waiting for Ready=True")
    if ready.get("status") == "True":
        return Health(Verdict.ACCEPTED)
    if ready.get("status") == "False" and ready.get("reason") not in TRANSITIONAL:
        return Health(Verdict.REJECTED, _describe("", ready))
    return Health(Verdict.PENDING, f"Ready={ready.get('status')} ({ready.get('reason', '')})")


def _current(condition: Mapping[str, Any], generation: Any) -> bool:
    observed = condition.get("observedGeneration")
    return observed is None or generation is None or observed >= generation


def _describe(where: str, condition: Mapping[str, Any]) -> str:
    text = f"{condition.get('type')}={condition.get('status')}"
    if condition.get("reason"):
        text += f" ({condition['reason']})"
    if condition.get("message"):
        text += f": {condition['message']}"
    return f"{where}: {text}" if where else text


def _ref(ref: Mapping[str, Any]) -> str:
    name = f"{ref.get('namespace')}/{ref.get('name')}" if ref.get("namespace") else str(ref.get("name", "?"))
    return f"{name}#{ref['sectionName']}" if ref.get("sectionName") else name
