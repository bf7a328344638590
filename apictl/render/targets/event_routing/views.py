"""Event APIs of one environment as the broker targets see them: channels split into levels,
subscriptions with the channels they are granted (narrowed by their restrictions), publishers.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from apictl.model.bundle import Definition, Document
from apictl.model.definition_views import Channel, ChannelParameter, event_channels
from apictl.model.manifests import API, Application, EventLimits, Subscription
from apictl.model.source import SourceLocation
from apictl.render.naming import object_name
from apictl.render.target import RenderContext

Qos = Literal["reliable", "guaranteed"]
_PLACEHOLDER = re.compile(r"^\{([^{}]+)\}$")


@dataclass(frozen=True, slots=True)
class Level:
    """One level of an address: fixed text, or a parameter."""

    text: str
    parameter: ChannelParameter | None = None

    @property
    def name(self) -> str | None:
        return self.parameter.name if self.parameter else None

    @property
    def bounded(self) -> bool:
        """Fixed text, or a parameter with an enum: a level that can be part of a Kafka topic name."""
        return self.parameter is None or self.parameter.enum is not None


@dataclass(frozen=True, slots=True)
class EventChannel:
    channel: Channel
    levels: tuple[Level, ...]

    @property
    def key(self) -> str:
        return self.channel.key

    @property
    def address(self) -> str:
        return self.channel.address

    def index(self, parameter: str) -> int | None:
        return next((i for i, lv in enumerate(self.levels) if lv.name == parameter), None)

    @property
    def fixed_prefix(self) -> int:
        """How many leading levels are fixed text."""
        return next((i for i, lv in enumerate(self.levels) if lv.parameter is not None), len(self.levels))

    @property
    def topic_levels(self) -> int:
        """How many leading levels make the Kafka topic name (fixed or enumerated)."""
        return next((i for i, lv in enumerate(self.levels) if not lv.bounded), len(self.levels))


@dataclass(frozen=True, slots=True)
class Grant:
    """A channel, narrowed to the allowed values of the restricted parameters."""

    channel: EventChannel
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def last_restricted(self) -> int | None:
        found = [self.channel.index(name) for name in self.allowed]
        return max((i for i in found if i is not None), default=None)


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    subscription: Subscription
    doc: Document
    application: Application
    application_doc: Document
    plan: str
    limits: EventLimits
    plan_doc: Document
    qos: Qos
    grants: tuple[Grant, ...]

    @property
    def name(self) -> str:
        return self.subscription.metadata.name

    @property
    def app(self) -> str:
        return self.application.metadata.name


@dataclass(frozen=True, slots=True)
class EventApiView:
    api: API
    doc: Document
    definition: Definition
    channels: tuple[EventChannel, ...]
    subscriptions: tuple[SubscriptionView, ...]
    publishers: tuple[tuple[Application, Document], ...]

    @property
    def name(self) -> str:
        return self.api.metadata.name


def split_levels(channel: Channel) -> tuple[Level, ...] | None:
    """The address's levels; None when a level mixes text and a parameter (e.g. ``site-{id}``)."""
    parameters = {p.name: p for p in channel.parameters}
    levels = []
    for text in channel.address.split("/"):
        match = _PLACEHOLDER.match(text)
        if match:
            levels.append(Level(text, parameters.get(match.group(1))))
        elif "{" in text or "}" in text:
            return None
        else:
            levels.append(Level(text))
    return tuple(levels)


def event_apis(ctx: RenderContext) -> list[EventApiView]:
    """The event APIs of this environment with their subscriptions and publishers.

    Broken references are skipped here: validation reports them.
    """
    found = []
    for api, doc in ctx.apis("async"):
        definition = ctx.bundle.definition_for(api)
        if definition is None or definition.format != "asyncapi":
            continue
        channels = _channels(ctx, definition, doc)
        subscriptions = []
        for sub, sub_doc in ctx.subscriptions(api):
            app = ctx.application(sub.spec.application)
            plan = ctx.plan(sub.spec.plan)
            if app is None or plan is None:
                continue
            grants = tuple(g for g in (_grant(ch, sub.spec.restrictions) for ch in channels) if g is not None)
            subscriptions.append(
                SubscriptionView(
                    sub,
                    sub_doc,
                    app[0],
                    app[1],
                    sub.spec.plan,
                    plan[0].events or EventLimits(),
                    plan[1],
                    sub.spec.qos or "reliable",
                    grants,
                )
            )
        publishers = tuple(found_app for name in api.spec.publishers if (found_app := ctx.application(name)))
        found.append(EventApiView(api, doc, definition, channels, tuple(subscriptions), publishers))
    return found


def _channels(ctx: RenderContext, definition: Definition, api_doc: Document) -> tuple[EventChannel, ...]:
    """Channels the provider publishes on (all channels if the document marks none)."""
    all_channels = event_channels(definition)
    chosen = [ch for ch in all_channels if ch.publishers] or all_channels
    found = []
    for channel in chosen:
        levels = split_levels(channel)
        if levels is None:
            ctx.unsupported(
                "broker-channel-level-mixed",
                f"channel {channel.key!r}: address {channel.address!r} has a level that mixes text and a "
                "parameter; brokers filter whole levels only",
                api_doc.locate("spec", "definition"),
                "make every parameter a whole level, e.g. site/{site_id} instead of site-{site_id}",
            )
            continue
        found.append(EventChannel(channel, levels))
    return tuple(found)


def _grant(channel: EventChannel, restrictions: Mapping[str, list[str]]) -> Grant | None:
    if any(channel.index(name) is None for name in restrictions):
        return None
    return Grant(channel, {name: tuple(dict.fromkeys(values)) for name, values in restrictions.items()})


def keyed_name(*parts: str, key: str) -> str:
    """An object name for ``key`` (a routing key, a topic name): readable, plus a hash of ``key`` so
    that keys which clean to the same text (``a.b``/``a-b``, ``R1``/``r1``, ``*``/``#``) stay distinct."""
    slug = re.sub(r"[^a-z0-9-]+", "-", "-".join((*parts, key)).lower())
    return object_name(slug, hashlib.sha256(key.encode()).hexdigest()[:8])


def broker_namespace(ctx: RenderContext) -> str:
    """Broker objects live next to the broker: clusterRef.namespace, else the environment's namespace."""
    broker = ctx.environment.spec.broker
    assert broker is not None
    return broker.cluster_ref.namespace or ctx.namespace


def limit_location(ctx: RenderContext, view: SubscriptionView, *path: str) -> SourceLocation:
    """Where a plan's event limit was written: the environment's override, or the plan."""
    override = ctx.environment.spec.overrides.plans.get(view.plan)
    if override is not None and "events" in override.model_fields_set:
        return ctx.environment_doc.locate("spec", "overrides", "plans", view.plan, "events", *path)
    return view.plan_doc.locate("spec", "events", *path)


def credentials_secret(ctx: RenderContext, app: Application, app_doc: Document, namespace: str) -> str | None:
    """The application's Secret for this environment; it must be in the broker objects' namespace."""
    ref = app.spec.credentials.get(ctx.env_name)
    name = app.metadata.name
    if ref is None:
        ctx.problem(
            "broker-credentials-missing",
            f"application {name!r} has no credentials Secret for this environment; its broker user needs one",
            app_doc.locate("spec", "credentials"),
            f"add spec.credentials.{ctx.env_name}: {{name: <secret-name>}}",
        )
        return None
    if ref.namespace and ref.namespace != namespace:
        ctx.problem(
            "broker-credentials-namespace",
            f"application {name!r}: credentials Secret {ref.namespace}/{ref.name} must be in namespace "
            f"{namespace!r}, where the broker user is created",
            app_doc.locate("spec", "credentials", ctx.env_name, "namespace"),
            f"move the Secret to {namespace!r}, or remove the namespace",
        )
        return None
    return ref.name


class Reporter:
    """Reports each finding once, however many subscriptions share the plan that causes it."""

    def __init__(self, ctx: RenderContext) -> None:
        self.ctx = ctx
        self.seen: set[tuple[str, SourceLocation, str]] = set()

    def unsupported(self, code: str, message: str, location: SourceLocation, hint: str = "") -> None:
        if (code, location, message) not in self.seen:
            self.seen.add((code, location, message))
            self.ctx.unsupported(code, message, location, hint)


POLICY_RULES = (
    ("cors", "cors"),
    ("ip_filter", "ipFilter"),
    ("headers", "headers"),
    ("timeouts", "timeouts"),
    ("retries", "retries"),
    ("circuit_breaker", "circuitBreaker"),
)


def report_policies(ctx: RenderContext, report: Reporter, view: EventApiView) -> None:
    """Policies are HTTP rules (CORS, IP filters, headers, timeouts, retries, circuit breaking):
    a broker applies none of them to an event API, so each one attached is reported."""
    attached = [(name, ("spec", "policies", i)) for i, name in enumerate(view.api.spec.policies)]
    for op_id, settings in view.api.spec.operations.items():
        attached += [(name, ("spec", "operations", op_id, "policies", i)) for i, name in enumerate(settings.policies)]
    for name, where in attached:
        found = ctx.policy(name)
        if found is None:
            continue  # validation reports unknown policies
        policy, _ = found
        for field_name, shown in POLICY_RULES:
            if getattr(policy.spec, field_name) is not None:
                report.unsupported(
                    f"{ctx.target}-policy-unsupported",
                    f"event API {view.name!r}: policy {name!r} sets {shown}, an HTTP rule the {ctx.target} "
                    "broker cannot apply to events",
                    view.doc.locate(*where),
                    "remove the policy from the event API (policies apply to REST APIs)",
                )
