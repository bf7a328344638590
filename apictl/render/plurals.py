"""Resource (plural) names and scopes of the kinds apictl renders or reads, known offline.

``apictl rbac`` must name resources without a cluster, and a plural cannot be guessed from a kind
(Kong's ``IngressClassParameters`` is ``ingressclassparameterses``). The table is the ``spec.names``
and ``spec.scope`` of the CRDs apictl targets (``/work/shared/crds``, the versions the test control
plane serves; ``tests/test_rbac.py`` checks the table against those files) plus the built-in kinds
apictl uses. A kind missing here is an error, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from apictl.model.objects import GroupKind


@dataclass(frozen=True, slots=True)
class Resource:
    plural: str
    namespaced: bool


class UnknownResource(LookupError):
    """A kind whose resource name apictl does not know offline."""


RESOURCES: dict[GroupKind, Resource] = {
    GroupKind("", "ConfigMap"): Resource("configmaps", True),
    GroupKind("", "Namespace"): Resource("namespaces", False),
    GroupKind("", "Secret"): Resource("secrets", True),
    GroupKind("", "Service"): Resource("services", True),
    GroupKind("", "ServiceAccount"): Resource("serviceaccounts", True),
    GroupKind("configuration.konghq.com", "IngressClassParameters"): Resource("ingressclassparameterses", True),
    GroupKind("configuration.konghq.com", "KongClusterPlugin"): Resource("kongclusterplugins", False),
    GroupKind("configuration.konghq.com", "KongConsumer"): Resource("kongconsumers", True),
    GroupKind("configuration.konghq.com", "KongConsumerGroup"): Resource("kongconsumergroups", True),
    GroupKind("configuration.konghq.com", "KongCustomEntity"): Resource("kongcustomentities", True),
    GroupKind("configuration.konghq.com", "KongIngress"): Resource("kongingresses", True),
    GroupKind("configuration.konghq.com", "KongLicense"): Resource("konglicenses", False),
    GroupKind("configuration.konghq.com", "KongPlugin"): Resource("kongplugins", True),
    GroupKind("configuration.konghq.com", "KongUpstreamPolicy"): Resource("kongupstreampolicies", True),
    GroupKind("configuration.konghq.com", "KongVault"): Resource("kongvaults", False),
    GroupKind("configuration.konghq.com", "TCPIngress"): Resource("tcpingresses", True),
    GroupKind("configuration.konghq.com", "UDPIngress"): Resource("udpingresses", True),
    GroupKind("coordination.k8s.io", "Lease"): Resource("leases", True),
    GroupKind("cp.wso2.com", "Application"): Resource("applications", True),
    GroupKind("cp.wso2.com", "ApplicationMapping"): Resource("applicationmappings", True),
    GroupKind("cp.wso2.com", "Subscription"): Resource("subscriptions", True),
    GroupKind("dp.wso2.com", "AIProvider"): Resource("aiproviders", True),
    GroupKind("dp.wso2.com", "AIRateLimitPolicy"): Resource("airatelimitpolicies", True),
    GroupKind("dp.wso2.com", "API"): Resource("apis", True),
    GroupKind("dp.wso2.com", "APIPolicy"): Resource("apipolicies", True),
    GroupKind("dp.wso2.com", "Authentication"): Resource("authentications", True),
    GroupKind("dp.wso2.com", "Backend"): Resource("backends", True),
    GroupKind("dp.wso2.com", "BackendJWT"): Resource("backendjwts", True),
    GroupKind("dp.wso2.com", "GQLRoute"): Resource("gqlroutes", True),
    GroupKind("dp.wso2.com", "InterceptorService"): Resource("interceptorservices", True),
    GroupKind("dp.wso2.com", "RateLimitPolicy"): Resource("ratelimitpolicies", True),
    GroupKind("dp.wso2.com", "Scope"): Resource("scopes", True),
    GroupKind("dp.wso2.com", "TokenIssuer"): Resource("tokenissuers", True),
    GroupKind("gateway.envoyproxy.io", "Backend"): Resource("backends", True),
    GroupKind("gateway.envoyproxy.io", "BackendTrafficPolicy"): Resource("backendtrafficpolicies", True),
    GroupKind("gateway.envoyproxy.io", "ClientTrafficPolicy"): Resource("clienttrafficpolicies", True),
    GroupKind("gateway.envoyproxy.io", "EnvoyExtensionPolicy"): Resource("envoyextensionpolicies", True),
    GroupKind("gateway.envoyproxy.io", "EnvoyPatchPolicy"): Resource("envoypatchpolicies", True),
    GroupKind("gateway.envoyproxy.io", "EnvoyProxy"): Resource("envoyproxies", True),
    GroupKind("gateway.envoyproxy.io", "HTTPRouteFilter"): Resource("httproutefilters", True),
    GroupKind("gateway.envoyproxy.io", "SecurityPolicy"): Resource("securitypolicies", True),
    GroupKind("gateway.networking.k8s.io", "BackendTLSPolicy"): Resource("backendtlspolicies", True),
    GroupKind("gateway.networking.k8s.io", "GRPCRoute"): Resource("grpcroutes", True),
    GroupKind("gateway.networking.k8s.io", "Gateway"): Resource("gateways", True),
    GroupKind("gateway.networking.k8s.io", "GatewayClass"): Resource("gatewayclasses", False),
    GroupKind("gateway.networking.k8s.io", "HTTPRoute"): Resource("httproutes", True),
    GroupKind("gateway.networking.k8s.io", "ListenerSet"): Resource("listenersets", True),
    GroupKind("gateway.networking.k8s.io", "ReferenceGrant"): Resource("referencegrants", True),
    GroupKind("gateway.networking.k8s.io", "TCPRoute"): Resource("tcproutes", True),
    GroupKind("gateway.networking.k8s.io", "TLSRoute"): Resource("tlsroutes", True),
    GroupKind("gateway.networking.k8s.io", "UDPRoute"): Resource("udproutes", True),
    GroupKind("gateway.networking.x-k8s.io", "XBackend"): Resource("xbackends", True),
    GroupKind("gateway.networking.x-k8s.io", "XBackendTrafficPolicy"): Resource("xbackendtrafficpolicies", True),
    GroupKind("gateway.networking.x-k8s.io", "XMesh"): Resource("xmeshes", False),
    GroupKind("jetstream.nats.io", "Account"): Resource("accounts", True),
    GroupKind("jetstream.nats.io", "Consumer"): Resource("consumers", True),
    GroupKind("jetstream.nats.io", "KeyValue"): Resource("keyvalues", True),
    GroupKind("jetstream.nats.io", "ObjectStore"): Resource("objectstores", True),
    GroupKind("jetstream.nats.io", "Stream"): Resource("streams", True),
    GroupKind("jetstream.nats.io", "StreamTemplate"): Resource("streamtemplates", True),
    GroupKind("kafka.strimzi.io", "KafkaTopic"): Resource("kafkatopics", True),
    GroupKind("kafka.strimzi.io", "KafkaUser"): Resource("kafkausers", True),
    GroupKind("rabbitmq.com", "Binding"): Resource("bindings", True),
    GroupKind("rabbitmq.com", "Exchange"): Resource("exchanges", True),
    GroupKind("rabbitmq.com", "Federation"): Resource("federations", True),
    GroupKind("rabbitmq.com", "OperatorPolicy"): Resource("operatorpolicies", True),
    GroupKind("rabbitmq.com", "Permission"): Resource("permissions", True),
    GroupKind("rabbitmq.com", "Policy"): Resource("policies", True),
    GroupKind("rabbitmq.com", "Queue"): Resource("queues", True),
    GroupKind("rabbitmq.com", "RabbitmqCluster"): Resource("rabbitmqclusters", True),
    GroupKind("rabbitmq.com", "SchemaReplication"): Resource("schemareplications", True),
    GroupKind("rabbitmq.com", "Shovel"): Resource("shovels", True),
    GroupKind("rabbitmq.com", "SuperStream"): Resource("superstreams", True),
    GroupKind("rabbitmq.com", "TopicPermission"): Resource("topicpermissions", True),
    GroupKind("rabbitmq.com", "User"): Resource("users", True),
    GroupKind("rabbitmq.com", "Vhost"): Resource("vhosts", True),
}


def resource(gk: GroupKind) -> Resource:
    found = RESOURCES.get(gk)
    if found is None:
        raise UnknownResource(f"apictl does not know the resource name of {gk}; add it to apictl/render/plurals.py")
    return found


def plural(gk: GroupKind) -> str:
    return resource(gk).plural
