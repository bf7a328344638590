"""The `strimzi` target: KafkaTopic and KafkaUser resources (kafka.strimzi.io/v1).

Per event channel: one KafkaTopic per combination of its leading bounded levels (the topic naming
rule in event_routing / docs/targets/brokers.md), retention from the plans of the guaranteed
subscriptions that read it. Per application: a KafkaUser (SCRAM-SHA-512, password from the
application's Secret) with prefix/literal topic ACLs derived from its restrictions, a literal
consumer group per subscription, and write ACLs for publishers. What Kafka cannot enforce per
application (connections, subscriptions, message counts, publish rate in messages/s) is reported.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from apictl.model.bundle import Document
from apictl.model.fields import duration_ms
from apictl.model.manifests import Application
from apictl.model.objects import GroupKind
from apictl.render.naming import object_name
from apictl.render.target import RenderContext, Role
from apictl.render.targets.event_routing import (
    KAFKA_TOPIC,
    MAX_EXPANSION,
    EventApiView,
    EventChannel,
    Grant,
    Reporter,
    SubscriptionView,
    acl_resources,
    broker_namespace,
    credentials_secret,
    event_apis,
    keyed_name,
    limit_location,
    non_leading_restrictions,
    report_policies,
    topic_names,
)

GROUP = "kafka.strimzi.io"
API_VERSION = f"{GROUP}/v1"
CLUSTER_LABEL = "strimzi.io/cluster"
READ = ("Describe", "Read")
WRITE = ("Describe", "Write")

Acl = tuple[str, str, str]
"""(resource type, name, patternType)."""


def consumer_group(view: SubscriptionView) -> str:
    """The one consumer group a subscription may use: ``<application>.<subscription>``."""
    return f"{view.app}.{view.name}"


@dataclass(frozen=True)
class _Target:
    name: str = "strimzi"
    role: Role = "broker"
    kinds: frozenset[GroupKind] = frozenset({GroupKind(GROUP, "KafkaTopic"), GroupKind(GROUP, "KafkaUser")})

    def render(self, ctx: RenderContext) -> None:
        _Render(ctx).run()


class _Render:
    def __init__(self, ctx: RenderContext) -> None:
        broker = ctx.environment.spec.broker
        assert broker is not None
        self.ctx = ctx
        self.namespace = broker_namespace(ctx)
        self.cluster = broker.cluster_ref.name
        self.report = Reporter(ctx)
        self.acls: dict[str, dict[Acl, set[str]]] = {}
        self.apps: dict[str, tuple[Application, Document]] = {}

    def run(self) -> None:
        for view in event_apis(self.ctx):
            report_policies(self.ctx, self.report, view)
            self.check_limits(view)
            for channel in view.channels:
                self.topics(view, channel)
            self.grants(view)
        for name in sorted(self.apps):
            self.user(*self.apps[name])

    def body(self, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return {
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": {"name": name, "namespace": self.namespace, "labels": {CLUSTER_LABEL: self.cluster}},
            "spec": spec,
        }

    # --- topics -------------------------------------------------------------------------------

    def topics(self, view: EventApiView, channel: EventChannel) -> None:
        names = topic_names(channel)
        where = view.doc.locate("spec", "definition")
        if len(names) > MAX_EXPANSION:
            self.ctx.problem(
                "strimzi-too-many-topics",
                f"channel {channel.key!r} of {view.name!r} would need {len(names)} Kafka topics (at most "
                f"{MAX_EXPANSION}): its leading enumerated parameters multiply",
                where,
                "drop the enum of a leading parameter so that it moves into the record key",
            )
            return
        bad = [n for n in names if not KAFKA_TOPIC.match(n)]
        if bad or not names or channel.topic_levels == 0:
            self.ctx.problem(
                "strimzi-topic-name-invalid",
                f"channel {channel.key!r} of {view.name!r} gives no valid Kafka topic name "
                f"({bad[0] if bad else channel.address!r}); topic names use letters, digits, '.', '_' and '-'",
                where,
                "start the address with fixed text or an enumerated parameter made of those characters",
            )
            return
        config = self.retention(view, channel)
        sizing: dict[str, Any] = {}
        bindings = self.kafka_binding(view, channel)
        for field in ("partitions", "replicas"):
            if isinstance(bindings.get(field), int) and bindings[field] >= 1:
                sizing[field] = bindings[field]
        if config:
            sizing["config"] = config
        for name in names:
            spec = {"topicName": name, **copy.deepcopy(sizing)}  # no object shared between bodies
            self.ctx.emit(self.body("KafkaTopic", keyed_name(key=name), spec), view.doc, api=view.name)

    @staticmethod
    def kafka_binding(view: EventApiView, channel: EventChannel) -> dict[str, Any]:
        """The channel's AsyncAPI Kafka binding (partitions, replicas), if it has one."""
        node = view.definition.data.get("channels", {}).get(channel.key, {})
        found = node.get("bindings", {}).get("kafka", {}) if isinstance(node, dict) else {}
        return found if isinstance(found, dict) else {}

    def retention(self, view: EventApiView, channel: EventChannel) -> dict[str, int]:
        """retention.ms / retention.bytes from the guaranteed subscriptions that read the channel.

        Kafka retention is per topic, shared by every consumer: different values cannot be honoured.
        """
        wanted: dict[str, dict[int, SubscriptionView]] = defaultdict(dict)
        for sub in view.subscriptions:
            if sub.qos != "guaranteed" or not any(g.channel.key == channel.key for g in sub.grants):
                continue
            if sub.limits.message_ttl is not None:
                wanted["retention.ms"].setdefault(duration_ms(sub.limits.message_ttl), sub)
            if sub.limits.queue is not None and sub.limits.queue.bytes is not None:
                wanted["retention.bytes"].setdefault(sub.limits.queue.bytes, sub)
        config = {}
        for key, values in sorted(wanted.items()):
            if len(values) > 1:
                subs = sorted(values.values(), key=lambda s: s.name)
                shown = ", ".join(f"{s.name} ({s.plan})" for s in subs)
                path = ("messageTtl",) if key == "retention.ms" else ("queue", "bytes")
                self.report.unsupported(
                    "strimzi-retention-conflict",
                    f"channel {channel.key!r} of {view.name!r}: guaranteed subscriptions {shown} want different "
                    f"{key}; Kafka retention is per topic, shared by all consumers",
                    limit_location(self.ctx, subs[1], *path),
                    "give the plans of subscriptions that read the same topics the same limits here",
                )
            config[key] = max(values)
        return config

    # --- access -------------------------------------------------------------------------------

    def grants(self, view: EventApiView) -> None:
        for sub in view.subscriptions:
            self.apps.setdefault(sub.app, (sub.application, sub.application_doc))
            acls = self.acls.setdefault(sub.app, defaultdict(set))
            for grant in sub.grants:
                outside = non_leading_restrictions(grant)
                if outside:
                    key = grant.channel.levels[grant.channel.topic_levels].text
                    leading = ", ".join(lv.name for lv in grant.channel.levels[: grant.channel.topic_levels] if lv.name)
                    self.report.unsupported(
                        "strimzi-restriction-not-leading",
                        f"subscription {sub.name!r} restricts {', '.join(outside)}, which is in the record key of "
                        f"channel {grant.channel.key!r} (from {key} on), not in the topic name: Kafka ACLs "
                        "match topic-name prefixes only",
                        sub.doc.locate("spec", "restrictions", outside[0], key=True),
                        f"restrict a parameter of the topic name ({leading or 'none'}), or enumerate every "
                        f"parameter before {outside[0]} (an enum) so that it becomes part of the topic name",
                    )
                    continue
                for name, pattern in acl_resources(grant):
                    acls[("topic", name, pattern)].update(READ)
            acls[("group", consumer_group(sub), "literal")].add("Read")
        for app, doc in view.publishers:
            self.apps.setdefault(app.metadata.name, (app, doc))
            acls = self.acls.setdefault(app.metadata.name, defaultdict(set))
            for channel in view.channels:
                for name, pattern in acl_resources(Grant(channel)):
                    acls[("topic", name, pattern)].update(WRITE)

    def user(self, app: Application, doc: Document) -> None:
        secret = credentials_secret(self.ctx, app, doc, self.namespace)
        acls = self.acls.get(app.metadata.name) or {}
        if secret is None or not acls:
            return
        spec = {
            "authentication": {
                "type": "scram-sha-512",
                "password": {"valueFrom": {"secretKeyRef": {"name": secret, "key": "password"}}},
            },
            "authorization": {
                "type": "simple",
                "acls": [
                    {"resource": {"type": kind, "name": name, "patternType": pattern}, "operations": sorted(ops)}
                    for (kind, name, pattern), ops in sorted(acls.items())
                ],
            },
        }
        self.ctx.emit(self.body("KafkaUser", object_name(app.metadata.name), spec), doc, application=app.metadata.name)

    # --- limits Kafka cannot express ----------------------------------------------------------

    def check_limits(self, view: EventApiView) -> None:
        for sub in view.subscriptions:
            limits = sub.limits
            if limits.max_connections is not None:
                self.report.unsupported(
                    "strimzi-max-connections-unsupported",
                    f"plan {sub.plan!r} sets events.maxConnections: Kafka limits connections per broker or client "
                    "IP, not per user",
                    limit_location(self.ctx, sub, "maxConnections"),
                    "remove maxConnections from the plan's events for this environment (environment overrides)",
                )
            if limits.max_subscriptions is not None:
                self.report.unsupported(
                    "strimzi-max-subscriptions-unsupported",
                    f"plan {sub.plan!r} sets events.maxSubscriptions: a Kafka consumer can read granted topics "
                    "without a consumer group, so the number of subscriptions cannot be bounded",
                    limit_location(self.ctx, sub, "maxSubscriptions"),
                    "remove maxSubscriptions from the plan's events for this environment (environment overrides)",
                )
            if limits.publish_rate is not None:
                self.report.unsupported(
                    "strimzi-publish-rate-unsupported",
                    f"plan {sub.plan!r} sets events.publishRate ({limits.publish_rate}/s): Kafka quotas are in "
                    "bytes per second, not messages",
                    limit_location(self.ctx, sub, "publishRate"),
                    "remove publishRate for this environment",
                )
            if sub.qos == "guaranteed" and limits.queue is not None and limits.queue.messages is not None:
                self.report.unsupported(
                    "strimzi-queue-messages-unsupported",
                    f"plan {sub.plan!r} sets events.queue.messages: Kafka retention is in bytes and time, "
                    "not in messages",
                    limit_location(self.ctx, sub, "queue", "messages"),
                    "use queue.bytes (topic retention.bytes) for this environment",
                )


TARGET = _Target()
