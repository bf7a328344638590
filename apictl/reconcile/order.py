"""Dependency waves: what must exist before what refers to it.

Applies run wave by wave (a barrier between waves, bounded concurrency inside one); prunes run
in the reverse order, so a policy goes before the route it targets and a route before its backend.

    wave 0  things others point at: Secrets, ConfigMaps, Services, ReferenceGrants, backends,
            filters; broker users, vhosts, exchanges, Kafka topics
    wave 1  routes; queues; Kafka users (their ACLs name topics)
    wave 2  what attaches to a route or queue: policies, bindings, permissions

Kinds not listed fall back on their name: ``*Policy``/``*Binding``/``*Permission`` → 2,
``*Route``/``Queue`` → 1, anything else → 0.
"""

from __future__ import annotations

from apictl.model.objects import GroupKind

GATEWAY = "gateway.networking.k8s.io"
ENVOY = "gateway.envoyproxy.io"
RABBITMQ = "rabbitmq.com"
STRIMZI = "kafka.strimzi.io"

WAVES: tuple[tuple[str, frozenset[GroupKind]], ...] = (
    (
        "backends",
        frozenset(
            {
                GroupKind("", "Secret"),
                GroupKind("", "ConfigMap"),
                GroupKind("", "Service"),
                GroupKind(GATEWAY, "ReferenceGrant"),
                GroupKind(ENVOY, "Backend"),
                GroupKind(ENVOY, "HTTPRouteFilter"),
                GroupKind(RABBITMQ, "Vhost"),
                GroupKind(RABBITMQ, "User"),
                GroupKind(RABBITMQ, "Exchange"),
                GroupKind(STRIMZI, "KafkaTopic"),
            }
        ),
    ),
    (
        "routes",
        frozenset(
            {
                GroupKind(GATEWAY, "HTTPRoute"),
                GroupKind(GATEWAY, "GRPCRoute"),
                GroupKind(GATEWAY, "TCPRoute"),
                GroupKind(GATEWAY, "TLSRoute"),
                GroupKind(GATEWAY, "UDPRoute"),
                GroupKind(RABBITMQ, "Queue"),
                GroupKind(STRIMZI, "KafkaUser"),
            }
        ),
    ),
    (
        "policies",
        frozenset(
            {
                GroupKind(ENVOY, "SecurityPolicy"),
                GroupKind(ENVOY, "BackendTrafficPolicy"),
                GroupKind(ENVOY, "ClientTrafficPolicy"),
                GroupKind(ENVOY, "EnvoyExtensionPolicy"),
                GroupKind(GATEWAY, "BackendTLSPolicy"),
                GroupKind(RABBITMQ, "Binding"),
                GroupKind(RABBITMQ, "Permission"),
                GroupKind(RABBITMQ, "TopicPermission"),
                GroupKind(RABBITMQ, "Policy"),
                GroupKind(RABBITMQ, "OperatorPolicy"),
            }
        ),
    ),
)

WAVE_NAMES = tuple(name for name, _ in WAVES)


def wave_of(gk: GroupKind) -> int:
    for index, (_, kinds) in enumerate(WAVES):
        if gk in kinds:
            return index
    if gk.kind.endswith(("Policy", "Binding", "Permission")):
        return 2
    if gk.kind.endswith("Route") or gk.kind == "Queue":
        return 1
    return 0
