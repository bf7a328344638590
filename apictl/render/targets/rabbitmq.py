"""The `rabbitmq` target: messaging-topology-operator resources (rabbitmq.com/v1beta1).

Per event API: a durable topic Exchange. Per application that subscribes or publishes: a User
(credentials imported from the application's Secret, connection limit from its plans), a
Permission on the environment's vhost and a TopicPermission per exchange whose regexes admit
exactly the allowed routing keys. Per guaranteed subscription: a quorum Queue, its Bindings and a
Policy (length, drop-oldest, TTL). Reliable subscribers declare their own server-named exclusive
queues and bind them; the TopicPermission decides which binding keys they may use.
See docs/targets/brokers.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from apictl.model.bundle import Document
from apictl.model.fields import duration_ms
from apictl.model.manifests import API, Application
from apictl.model.objects import GroupKind
from apictl.render.naming import object_name, version_label
from apictl.render.target import RenderContext, Role
from apictl.render.targets.event_routing import (
    MAX_EXPANSION,
    EventApiView,
    Reporter,
    SubscriptionView,
    anchored,
    binding_keys,
    broker_namespace,
    credentials_secret,
    escape,
    event_apis,
    keyed_name,
    limit_location,
    read_pattern,
    report_policies,
    write_pattern,
)

GROUP = "rabbitmq.com"
API_VERSION = f"{GROUP}/v1beta1"
KINDS = ("Binding", "Exchange", "Permission", "Policy", "Queue", "TopicPermission", "User")
POLICY_PRIORITY = 10
SERVER_NAMED = r"amq\.gen-.*"
"""Exclusive queues the broker names for reliable subscribers (clients cannot use the amq. prefix)."""


def exchange_name(api: API) -> str:
    """The API's topic exchange: ``asset-events.v1``."""
    return f"{api.metadata.name}.{version_label(api.spec.version)}"


def queue_name(view: SubscriptionView) -> str:
    """A guaranteed subscription's queue: ``sub.<application>.<subscription>``."""
    return f"sub.{view.app}.{view.name}"


@dataclass
class _Access:
    """What one application may do on the broker, gathered over every event API."""

    application: Application
    doc: Document
    queues: list[str] = field(default_factory=list)
    reliable: list[SubscriptionView] = field(default_factory=list)
    bind_from: set[str] = field(default_factory=set)
    """Exchanges a reliable subscriber binds its own queues to."""
    reads: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    writes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    apis: dict[str, str] = field(default_factory=dict)
    """exchange -> API name (for labels)."""
    max_connections: int | None = None

    @property
    def name(self) -> str:
        return self.application.metadata.name


@dataclass(frozen=True)
class _Target:
    name: str = "rabbitmq"
    role: Role = "broker"
    kinds: frozenset[GroupKind] = frozenset(GroupKind(GROUP, kind) for kind in KINDS)

    def render(self, ctx: RenderContext) -> None:
        _Render(ctx).run()


class _Render:
    def __init__(self, ctx: RenderContext) -> None:
        broker = ctx.environment.spec.broker
        assert broker is not None
        self.ctx = ctx
        self.namespace = broker_namespace(ctx)
        self.vhost = broker.vhost
        self.cluster = {"name": broker.cluster_ref.name}
        self.report = Reporter(ctx)
        self.access: dict[str, _Access] = {}

    def run(self) -> None:
        views = event_apis(self.ctx)
        for view in views:
            report_policies(self.ctx, self.report, view)
            self.api(view)
        for name in sorted(self.access):
            self.application(self.access[name])
        self.check_limits(views)

    def body(self, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": {"name": name, "namespace": self.namespace},
            "spec": {**spec, "rabbitmqClusterReference": dict(self.cluster)},
        }

    def access_of(self, app: Application, doc: Document) -> _Access:
        return self.access.setdefault(app.metadata.name, _Access(app, doc))

    # --- per API ------------------------------------------------------------------------------

    def api(self, view: EventApiView) -> None:
        exchange = exchange_name(view.api)
        spec = {"name": exchange, "vhost": self.vhost, "type": "topic", "durable": True, "autoDelete": False}
        self.ctx.emit(
            self.body("Exchange", object_name(view.name, version_label(view.api.spec.version)), spec),
            view.doc,
            api=view.name,
        )
        for sub in view.subscriptions:
            access = self.access_of(sub.application, sub.application_doc)
            access.apis[exchange] = view.name
            access.reads[exchange] += [read_pattern(g) for g in sub.grants]
            if sub.limits.max_connections is not None:
                access.max_connections = max(access.max_connections or 0, sub.limits.max_connections)
            if sub.qos == "guaranteed":
                self.guaranteed(view, exchange, sub, access)
            else:
                access.reliable.append(sub)
                access.bind_from.add(exchange)
        for app, doc in view.publishers:
            access = self.access_of(app, doc)
            access.apis[exchange] = view.name
            access.writes[exchange] += [write_pattern(ch) for ch in view.channels]

    def guaranteed(self, view: EventApiView, exchange: str, sub: SubscriptionView, access: _Access) -> None:
        queue = queue_name(sub)
        access.queues.append(queue)
        base = object_name("sub", sub.app, sub.name)
        labels = {"api": view.name, "application": sub.app}
        spec = {"name": queue, "vhost": self.vhost, "type": "quorum", "durable": True, "autoDelete": False}
        self.ctx.emit(self.body("Queue", base, spec), sub.doc, **labels)
        keys = dict.fromkeys(key for grant in sub.grants for key in binding_keys(grant))
        if len(keys) > MAX_EXPANSION:
            self.ctx.problem(
                "rabbitmq-too-many-bindings",
                f"subscription {sub.name!r} would need {len(keys)} bindings (at most {MAX_EXPANSION}): its "
                "restrictions multiply",
                sub.doc.locate("spec", "restrictions"),
                "restrict fewer parameters, or fewer values",
            )
            return
        for key in keys:
            spec = {
                "vhost": self.vhost,
                "source": exchange,
                "destination": queue,
                "destinationType": "queue",
                "routingKey": key,
            }
            self.ctx.emit(self.body("Binding", keyed_name(base, key=key), spec), sub.doc, **labels)
        definition = self.queue_policy(sub)
        if definition:
            spec = {
                "name": queue,
                "vhost": self.vhost,
                "pattern": f"^{escape(queue)}$",
                "applyTo": "queues",  # quorum_queues needs RabbitMQ 3.12+; the pattern names one queue
                "priority": POLICY_PRIORITY,
                "definition": definition,
            }
            self.ctx.emit(self.body("Policy", base, spec), sub.doc, **labels)

    @staticmethod
    def queue_policy(sub: SubscriptionView) -> dict[str, Any]:
        limits = sub.limits
        definition: dict[str, Any] = {}
        if limits.queue is not None:
            if limits.queue.messages is not None:
                definition["max-length"] = limits.queue.messages
            if limits.queue.bytes is not None:
                definition["max-length-bytes"] = limits.queue.bytes
            definition["overflow"] = "drop-head"
        if limits.message_ttl is not None:
            definition["message-ttl"] = duration_ms(limits.message_ttl)
        return definition

    # --- per application ----------------------------------------------------------------------

    def application(self, access: _Access) -> None:
        secret = credentials_secret(self.ctx, access.application, access.doc, self.namespace)
        if secret is None:
            return
        user = object_name(access.name)
        emit = {"application": access.name}
        spec: dict[str, Any] = {"importCredentialsSecret": {"name": secret}}
        if access.max_connections is not None:
            spec["limits"] = {"connections": access.max_connections}
        self.ctx.emit(self.body("User", user, spec), access.doc, **emit)

        configure, write, read = [], [], []
        if access.reliable:
            configure.append(SERVER_NAMED)
            write.append(SERVER_NAMED)
            read.append(SERVER_NAMED)
            read += [escape(x) for x in sorted(access.bind_from)]
        read += [escape(q) for q in access.queues]
        write += [escape(x) for x in sorted(access.writes)]
        permissions = {"configure": anchored(configure), "write": anchored(write), "read": anchored(read)}
        spec = {"vhost": self.vhost, "userReference": {"name": user}, "permissions": permissions}
        self.ctx.emit(self.body("Permission", user, spec), access.doc, **emit)

        for exchange in sorted(access.apis):
            topic = {
                "exchange": exchange,
                "read": anchored(access.reads.get(exchange, [])),
                "write": anchored(access.writes.get(exchange, [])),
            }
            spec = {"vhost": self.vhost, "userReference": {"name": user}, "permissions": topic}
            name = object_name(access.name, exchange)
            self.ctx.emit(self.body("TopicPermission", name, spec), access.doc, api=access.apis[exchange], **emit)

    # --- limits RabbitMQ cannot express -------------------------------------------------------

    def check_limits(self, views: list[EventApiView]) -> None:
        for view in views:
            for sub in view.subscriptions:
                if sub.limits.publish_rate is not None:
                    self.report.unsupported(
                        "rabbitmq-publish-rate-unsupported",
                        f"plan {sub.plan!r} sets events.publishRate ({sub.limits.publish_rate}/s): RabbitMQ has "
                        "no per-user or per-queue publish rate limit",
                        limit_location(self.ctx, sub, "publishRate"),
                        "remove publishRate, or override the plan's events for this environment",
                    )
                access = self.access.get(sub.app)
                if sub.limits.max_subscriptions is not None and access is not None and access.reliable:
                    reliable = access.reliable[0].name
                    self.report.unsupported(
                        "rabbitmq-max-subscriptions-unsupported",
                        f"plan {sub.plan!r} sets events.maxSubscriptions, but application {sub.app!r} has a reliable "
                        f"subscription ({reliable!r}): it declares its own queues and RabbitMQ cannot bound "
                        "how many",
                        limit_location(self.ctx, sub, "maxSubscriptions"),
                        "use qos: guaranteed (pre-provisioned queues), or remove maxSubscriptions for this environment",
                    )
        self.check_subscription_counts(views)

    def check_subscription_counts(self, views: list[EventApiView]) -> None:
        """Guaranteed subscriptions are the only queues a subscriber can read: count them per plan."""
        counted: dict[tuple[str, str], list[SubscriptionView]] = defaultdict(list)
        for view in views:
            for sub in view.subscriptions:
                counted[(sub.app, sub.plan)].append(sub)
        for (app, plan), subs in sorted(counted.items()):
            limit = subs[0].limits.max_subscriptions
            if limit is not None and len(subs) > limit:
                extra = sorted(subs, key=lambda s: s.name)[limit]
                self.ctx.problem(
                    "plan-max-subscriptions-exceeded",
                    f"application {app!r} has {len(subs)} event subscriptions on plan {plan!r}, which allows "
                    f"{limit} (maxSubscriptions)",
                    extra.doc.locate("spec", "plan"),
                    "remove a subscription or move it to another plan",
                )


TARGET = _Target()
