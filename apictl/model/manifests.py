"""The manifest kinds of ``apiVersion: apictl.io/v1alpha1``.

Every model is frozen and strict: unknown fields are errors. YAML field names are camelCase.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from apictl.model.fields import (
    BasePath,
    Cidr,
    Duration,
    HeaderName,
    Hostname,
    Name,
    Port,
    PositiveInt,
)

API_VERSION = "apictl.io/v1alpha1"


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)


class Metadata(Spec):
    name: Name
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}


# --- API --------------------------------------------------------------------------------------


class ServiceBackend(Spec):
    """A Kubernetes Service. ``namespace`` defaults to the environment's namespace."""

    name: Name
    namespace: Name | None = None
    port: Port


class Backend(Spec):
    """Where a REST API's requests go: a Kubernetes Service, or an external URL."""

    service: ServiceBackend | None = None
    url: Annotated[str, Field(pattern=r"^https?://[^\s/$.?#][^\s]*$")] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Backend:
        if (self.service is None) == (self.url is None):
            raise ValueError("set exactly one of backend.service or backend.url")
        return self


class Lifecycle(Spec):
    """``draft`` is never rendered; ``deprecated`` sends Deprecation/Sunset headers; ``retired`` answers 410."""

    state: Literal["draft", "published", "deprecated", "retired"] = "published"
    sunset: dt.date | None = None
    deprecated_since: dt.date | None = None
    successor: str | None = None


class ApiKeySecurity(Spec):
    type: Literal["apiKey"]
    header: HeaderName = "x-api-key"


class JwtSecurity(Spec):
    type: Literal["jwt"]
    issuer: Annotated[str, Field(min_length=1)]
    jwks_uri: Annotated[str, Field(pattern=r"^https?://")]
    audiences: list[str] = []
    client_id_claim: str = "sub"


class NoSecurity(Spec):
    type: Literal["none"]


Security = Annotated[ApiKeySecurity | JwtSecurity | NoSecurity, Field(discriminator="type")]


class OperationSettings(Spec):
    """Settings for one operation, keyed by its operationId."""

    policies: list[Name] = []


class ApiSpec(Spec):
    version: Annotated[str, Field(min_length=1, max_length=64)]
    owner: str | None = None
    description: str | None = None
    tags: list[str] = []
    type: Literal["rest", "async"]
    definition: Annotated[str, Field(min_length=1)]
    base_path: BasePath | None = None
    hostnames: list[Hostname] = []
    backend: Backend | None = None
    lifecycle: Lifecycle = Lifecycle()
    security: Security | None = None
    plans: list[Name] = []
    policies: list[Name] = []
    operations: dict[str, OperationSettings] = {}
    publishers: list[Name] = []
    environments: Annotated[list[Name], Field(min_length=1)]


# --- Application ------------------------------------------------------------------------------


class SecretRef(Spec):
    """A Kubernetes Secret, by name. The value never appears in a manifest."""

    name: Name
    namespace: Name | None = None


class ApplicationSpec(Spec):
    owner: str | None = None
    team: str | None = None
    description: str | None = None
    credentials: dict[Name, SecretRef] = {}
    """Per environment: the Secret holding this application's credentials in that environment."""


# --- Subscription -----------------------------------------------------------------------------


class ApiRef(Spec):
    name: Name
    version: str


class SubscriptionSpec(Spec):
    application: Name
    api: ApiRef
    plan: Name
    environments: Annotated[list[Name], Field(min_length=1)]
    restrictions: dict[str, Annotated[list[str], Field(min_length=1)]] = {}
    qos: Literal["reliable", "guaranteed"] | None = None


# --- Plan -------------------------------------------------------------------------------------


class RateLimit(Spec):
    requests: PositiveInt
    per: Literal["second", "minute", "hour"]
    burst: PositiveInt | None = None


class Quota(Spec):
    requests: PositiveInt
    per: Literal["day", "month"]


class QueueLimit(Spec):
    messages: PositiveInt | None = None
    bytes: PositiveInt | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> QueueLimit:
        if self.messages is None and self.bytes is None:
            raise ValueError("set queue.messages, queue.bytes or both")
        return self


class EventLimits(Spec):
    max_connections: PositiveInt | None = None
    max_subscriptions: PositiveInt | None = None
    publish_rate: PositiveInt | None = None
    """Messages per second an application may publish."""
    queue: QueueLimit | None = None
    message_ttl: Duration | None = None


class PlanSpec(Spec):
    description: str | None = None
    rate_limit: RateLimit | None = None
    quota: Quota | None = None
    events: EventLimits | None = None


class PlanOverride(Spec):
    """Per-environment replacement of a plan's limits (fields given replace the plan's)."""

    rate_limit: RateLimit | None = None
    quota: Quota | None = None
    events: EventLimits | None = None


# --- Policy -----------------------------------------------------------------------------------


class Cors(Spec):
    allow_origins: Annotated[list[str], Field(min_length=1)]
    allow_methods: list[Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"]] = []
    allow_headers: list[str] = []
    expose_headers: list[str] = []
    allow_credentials: bool = False
    max_age: Duration | None = None


class IpFilter(Spec):
    allow: list[Cidr] = []
    deny: list[Cidr] = []

    @model_validator(mode="after")
    def _not_empty(self) -> IpFilter:
        if not self.allow and not self.deny:
            raise ValueError("set ipFilter.allow, ipFilter.deny or both")
        return self


class HeaderChanges(Spec):
    add: dict[HeaderName, str] = {}
    set: dict[HeaderName, str] = {}
    remove: list[HeaderName] = []


class Headers(Spec):
    request: HeaderChanges | None = None
    response: HeaderChanges | None = None


class Timeouts(Spec):
    request: Duration | None = None
    backend_request: Duration | None = None


class Retries(Spec):
    attempts: Annotated[int, Field(ge=1, le=10)]
    per_try_timeout: Duration | None = None
    backoff: Duration | None = None
    on_status: list[Annotated[int, Field(ge=400, le=599)]] = []


class CircuitBreaker(Spec):
    max_connections: PositiveInt | None = None
    max_pending_requests: PositiveInt | None = None
    max_parallel_requests: PositiveInt | None = None
    max_parallel_retries: PositiveInt | None = None


class PolicySpec(Spec):
    description: str | None = None
    cors: Cors | None = None
    ip_filter: IpFilter | None = None
    headers: Headers | None = None
    timeouts: Timeouts | None = None
    retries: Retries | None = None
    circuit_breaker: CircuitBreaker | None = None

    @model_validator(mode="after")
    def _at_least_one_rule(self) -> PolicySpec:
        rules = (self.cors, self.ip_filter, self.headers, self.timeouts, self.retries, self.circuit_breaker)
        if all(rule is None for rule in rules):
            raise ValueError(
                "a Policy needs at least one rule: cors, ipFilter, headers, timeouts, retries or circuitBreaker"
            )
        return self


# --- Environment ------------------------------------------------------------------------------


class GatewayRef(Spec):
    name: Name
    namespace: Name | None = None
    section_name: Name | None = None


class GatewayTarget(Spec):
    target: Annotated[str, Field(min_length=1)]
    gateway_ref: GatewayRef
    rate_limit: Literal["local", "global"] = "local"
    """``global`` when the gateway runs a shared rate-limit service (Envoy ratelimit + Redis)."""


class ClusterRef(Spec):
    name: Name
    namespace: Name | None = None


class BrokerTarget(Spec):
    target: Annotated[str, Field(min_length=1)]
    cluster_ref: ClusterRef
    vhost: Annotated[str, Field(min_length=1)] = "/"
    """RabbitMQ only: the virtual host the event APIs live in."""


class ApiOverride(Spec):
    backend: Backend | None = None
    hostnames: list[Hostname] | None = None


class Overrides(Spec):
    apis: dict[Name, ApiOverride] = {}
    plans: dict[Name, PlanOverride] = {}


class EnvironmentSpec(Spec):
    namespace: Name
    kube_context: str | None = None
    gateway: GatewayTarget | None = None
    broker: BrokerTarget | None = None
    hostnames: list[Hostname] = []
    overrides: Overrides = Overrides()


# --- the documents ----------------------------------------------------------------------------


class Manifest(Spec):
    api_version: Literal["apictl.io/v1alpha1"]
    metadata: Metadata


class API(Manifest):
    kind: Literal["API"]
    spec: ApiSpec


class Application(Manifest):
    kind: Literal["Application"]
    spec: ApplicationSpec


class Subscription(Manifest):
    kind: Literal["Subscription"]
    spec: SubscriptionSpec


class Plan(Manifest):
    kind: Literal["Plan"]
    spec: PlanSpec


class Policy(Manifest):
    kind: Literal["Policy"]
    spec: PolicySpec


class Environment(Manifest):
    kind: Literal["Environment"]
    spec: EnvironmentSpec


KINDS: dict[str, type[Manifest]] = {
    cls.__name__: cls for cls in (API, Application, Subscription, Plan, Policy, Environment)
}
AnyManifest = API | Application | Subscription | Plan | Policy | Environment
