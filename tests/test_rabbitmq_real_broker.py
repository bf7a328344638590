"""Proof on a real RabbitMQ (Debian's rabbitmq-server, started on loopback for this session).

The assetco example's dev environment is rendered with the `rabbitmq` target; the objects are
created on the broker through its HTTP API exactly as the messaging-topology operator would
(tests/broker/topology.py), with credentials from Secrets made here. Then real AMQP 0-9-1 clients
(pika) show that:

- fixit-maintenance (region_id [R1], guaranteed) receives the R1 events and nothing else, and can
  neither bind its queue to R2 nor declare a queue of its own;
- swift-repair (region_id [R2], reliable) may bind its own server-named queue to R2 only: the
  TopicPermission refuses R1 and wildcard binding keys; the same holds for fixit-maintenance made
  a reliable R1 subscriber (R2 refused), and for several restricted parameters (the grid case);
- guaranteed events are kept while the subscriber is away, up to the plan's queue size, the
  oldest dropped; reliable events published while the subscriber is away are lost;
- the plan's maxConnections holds (the N+1th connection is refused).

Install the broker with ``scripts/install-rabbitmq``. If it cannot start, the tests fail with why.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pika
import pika.exceptions
import pytest
from broker.http_api import HttpApi, quote
from broker.rendering import CASES, EXAMPLE, copy_repo, edit, errors, render
from broker.server import BrokerError, RabbitServer
from broker.topology import Operator

VHOST = "assetco"
EXCHANGE = "asset-events.v1"
FIXIT_QUEUE = "sub.fixit-maintenance.fixit-asset-events"
QUEUE_LIMIT = 10_000  # gold: events.queue.messages
FIXIT_CONNECTIONS = 10  # gold: events.maxConnections
SWIFT_CONNECTIONS = 2  # silver: events.maxConnections


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitServer]:
    server = RabbitServer(tmp_path_factory.mktemp("rabbitmq"))
    try:
        server.start()
    except (BrokerError, OSError) as exc:
        server.stop()
        pytest.fail(f"RabbitMQ could not be started: {exc}", pytrace=False)
    yield server
    server.stop()
    server.remove()


@dataclass
class Deployed:
    server: RabbitServer
    admin: HttpApi
    credentials: dict[str, tuple[str, str]]  # application -> (username, password)
    objects: list[dict]
    vhost: str = VHOST

    def connect(self, application: str) -> pika.BlockingConnection:
        username, password = self.credentials[application]
        parameters = pika.ConnectionParameters(
            host="127.0.0.1",
            port=self.server.amqp_port,
            virtual_host=self.vhost,
            credentials=pika.PlainCredentials(username, password),
            connection_attempts=1,
            socket_timeout=5,
            blocked_connection_timeout=10,
            heartbeat=0,
        )
        return pika.BlockingConnection(parameters)

    def connections_of(self, application: str) -> int:
        username = self.credentials[application][0]
        return sum(1 for c in self.admin.get("connections") if c.get("user") == username)

    def wait_disconnected(self, *applications: str) -> None:
        deadline = time.monotonic() + 10
        while any(self.connections_of(a) for a in applications):
            assert time.monotonic() < deadline, f"connections of {applications} did not close"
            time.sleep(0.1)

    def queue(self, name: str) -> dict:
        """The queue as rabbitmqctl lists it (the HTTP API shows a quorum queue's policy only with its
        statistics, every 10 s)."""
        items = ("name", "type", "durable", "policy")
        listed = json.loads(self.server.ctl("list_queues", "-p", self.vhost, *items, "--formatter", "json", "-q"))
        return next(q for q in listed if q["name"] == name)

    def message_count(self, name: str) -> int:
        with self.connect_admin() as connection:
            return connection.channel().queue_declare(name, passive=True).method.message_count

    def connect_admin(self) -> pika.BlockingConnection:
        parameters = pika.ConnectionParameters(
            host="127.0.0.1",
            port=self.server.amqp_port,
            virtual_host=self.vhost,
            credentials=pika.PlainCredentials(self.server.admin_user, self.server.admin_password),
            connection_attempts=1,
            heartbeat=0,
        )
        return pika.BlockingConnection(parameters)


def deploy(server: RabbitServer, repo: Path, env: str, vhost: str, user_prefix: str = "") -> Deployed:
    """Render ``env`` and create its objects on the broker as the topology operator would.

    Usernames (the Secrets' ``username``) are ``<user_prefix><application>``: deployments that
    share the broker keep distinct users."""
    rendered, diagnostics = render(repo, env, "rabbitmq")
    assert not errors(diagnostics), diagnostics
    objects = [dict(o.body) for o in rendered]
    assert {o["spec"]["vhost"] for o in objects if "vhost" in o["spec"]} == {vhost}

    admin = HttpApi(server.http_url, server.admin_user, server.admin_password)
    # Environment infrastructure (not rendered): the vhost, and the admin's access to it for checks.
    admin.put(f"vhosts/{quote(vhost)}", {"default_queue_type": "quorum"})
    admin.put(
        f"permissions/{quote(vhost)}/{quote(server.admin_user)}", {"configure": ".*", "write": ".*", "read": ".*"}
    )

    credentials, secret_bodies = {}, []
    for body in objects:
        if body["kind"] == "User":
            app = body["metadata"]["labels"]["apictl.io/application"]
            credentials[app] = (f"{user_prefix}{app}", secrets.token_urlsafe(12))
            secret_bodies.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {
                        "name": body["spec"]["importCredentialsSecret"]["name"],
                        "namespace": body["metadata"]["namespace"],
                        "labels": {"rabbitmq.com/topology-operator": "true"},
                    },
                    "stringData": {"username": credentials[app][0], "password": credentials[app][1]},
                }
            )
    Operator(admin, secret_bodies).apply(objects)
    return Deployed(server, admin, credentials, objects, vhost)


@pytest.fixture(scope="module")
def deployed(rabbitmq: RabbitServer) -> Deployed:
    return deploy(rabbitmq, EXAMPLE, "dev", VHOST)


@pytest.fixture(scope="module")
def grid(rabbitmq: RabbitServer) -> Deployed:
    return deploy(rabbitmq, CASES / "grid", "test", "/")


@pytest.fixture(scope="module")
def reliable_r1(rabbitmq: RabbitServer, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    """The example with fixit-maintenance (R1) as a reliable subscriber, in its own vhost."""
    repo = copy_repo(EXAMPLE, tmp_path_factory.mktemp("reliable"))
    edit(repo, "subscriptions/fixit.yaml", "qos: guaranteed", "qos: reliable")
    edit(repo, "plans/gold.yaml", "    maxSubscriptions: 5\n", "")  # not expressible with a reliable subscriber
    edit(repo, "environments/dev.yaml", "vhost: assetco", "vhost: assetco-reliable")
    return deploy(rabbitmq, repo, "dev", "assetco-reliable", user_prefix="reliable-")


def event(region: str, seq: int, asset_type: str = "pump", event_type: str = "alarm") -> tuple[str, bytes]:
    key = f"api.{region}.{asset_type}.P-{seq}.{event_type}"
    return key, json.dumps({"assetId": f"P-{seq}", "region": region, "seq": seq, "eventType": event_type}).encode()


def publish(deployed: Deployed, events: list[tuple[str, bytes]], unconfirmed: int = 0) -> None:
    """Publish as the publisher application; the last ``len(events) - unconfirmed`` wait for confirms."""
    with deployed.connect("assetco-telemetry") as connection:
        channel = connection.channel()
        for key, body in events[:unconfirmed]:
            channel.basic_publish(EXCHANGE, key, body)
        channel.confirm_delivery()  # in order on one channel: the confirms below cover the earlier ones
        for key, body in events[unconfirmed:]:
            channel.basic_publish(EXCHANGE, key, body)


def drain(channel, queue: str, limit: int = 100) -> list[dict]:
    received = []
    for _ in range(limit):
        method, _, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        received.append(json.loads(body))
    return received


def refused(action) -> str:
    with pytest.raises(pika.exceptions.ChannelClosedByBroker) as info:
        action()
    assert info.value.reply_code == 403, info.value
    return info.value.reply_text


# --- the topology on the broker ---------------------------------------------------------------


def test_rendered_topology_is_on_the_broker(deployed: Deployed) -> None:
    queue = deployed.queue(FIXIT_QUEUE)
    assert queue["type"] == "quorum" and queue["durable"] is True
    assert queue["policy"] == FIXIT_QUEUE  # the rendered Policy applies (its effect: see the drop-head test)
    policy = deployed.admin.get(f"policies/{quote(VHOST)}/{quote(FIXIT_QUEUE)}")
    assert policy["definition"] == {"max-length": QUEUE_LIMIT, "overflow": "drop-head", "message-ttl": 86_400_000}
    exchange = deployed.admin.get(f"exchanges/{quote(VHOST)}/{quote(EXCHANGE)}")
    assert exchange["type"] == "topic" and exchange["durable"] is True
    bindings = deployed.admin.get(f"queues/{quote(VHOST)}/{quote(FIXIT_QUEUE)}/bindings")
    assert sorted(b["routing_key"] for b in bindings if b["source"] == EXCHANGE) == ["api.R1.#"]
    limits = {item["user"]: item["value"] for item in deployed.admin.get("user-limits")}
    assert limits["fixit-maintenance"] == {"max-connections": FIXIT_CONNECTIONS}
    assert limits["swift-repair"] == {"max-connections": SWIFT_CONNECTIONS}
    topic = deployed.admin.get(f"topic-permissions/{quote(VHOST)}/fixit-maintenance")
    assert topic == [
        {
            "user": "fixit-maintenance",
            "vhost": VHOST,
            "exchange": EXCHANGE,
            "write": "^$",
            "read": r"^api\.R1(?:\.[^.\s]+)*$",
        }
    ]


# --- region restriction -----------------------------------------------------------------------


def test_r1_subscriber_receives_r1_events_and_nothing_else(deployed: Deployed) -> None:
    deployed.admin.delete(f"queues/{quote(VHOST)}/{quote(FIXIT_QUEUE)}/contents")
    events = [
        event(region, seq, asset_type, event_type)
        for seq, (region, asset_type, event_type) in enumerate(
            [(r, a, e) for r in ("R1", "R2", "R3") for a in ("pump", "valve") for e in ("alarm", "maintenance")]
        )
    ]
    publish(deployed, events)
    with deployed.connect("fixit-maintenance") as connection:
        received = drain(connection.channel(), FIXIT_QUEUE)
    assert sorted(m["seq"] for m in received) == [s for s, (k, _) in enumerate(events) if k.startswith("api.R1.")]
    assert {m["region"] for m in received} == {"R1"}
    assert len(received) == 4


def test_r1_subscriber_cannot_bind_or_declare_r2(deployed: Deployed) -> None:
    with deployed.connect("fixit-maintenance") as connection:
        # Binding needs write on the queue: the guaranteed subscriber only has read on it.
        text = refused(lambda: connection.channel().queue_bind(FIXIT_QUEUE, EXCHANGE, "api.R2.#"))
        assert f"access to queue '{FIXIT_QUEUE}' in vhost '{VHOST}' refused" in text
        # No queue of its own (server-named or not): nowhere to bind R2 to.
        text = refused(lambda: connection.channel().queue_declare("", exclusive=True))
        assert "access to queue 'amq.gen-" in text and "refused" in text
        text = refused(lambda: connection.channel().queue_declare("fixit-own", durable=True))
        assert "access to queue 'fixit-own'" in text
        # Another subscription's queue cannot be read.
        text = refused(lambda: connection.channel().basic_consume("sub.swift-repair.other", print))
        assert "access to queue 'sub.swift-repair.other'" in text
        # The exchange itself cannot be read (which binding needs) either.
        text = refused(lambda: connection.channel().exchange_declare(EXCHANGE, "topic", passive=False, durable=True))
        assert f"access to exchange '{EXCHANGE}'" in text


def test_reliable_r2_subscriber_may_bind_r2_only(deployed: Deployed) -> None:
    with deployed.connect("swift-repair") as connection:
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        assert queue.startswith("amq.gen-")
        channel.queue_bind(queue, EXCHANGE, "api.R2.#")
        channel.queue_bind(queue, EXCHANGE, "api.R2.*.*.alarm")
        for key in ("api.R1.#", "#", "api.*.#", "api.#", "api.R1.*.*.alarm", "*.R2.#.R1"):
            text = refused(lambda key=key: connection.channel().queue_bind(queue, EXCHANGE, key))
            assert f"access to topic '{key}' in exchange '{EXCHANGE}' in vhost '{VHOST}' refused" in text, text
        publish(deployed, [event("R1", 1), event("R2", 2), event("R3", 3)])
        received = drain(channel, queue)
    assert [m["seq"] for m in received] == [2]  # one copy, though two bindings match


def test_reliable_r1_subscriber_topic_permission_refuses_r2(reliable_r1: Deployed) -> None:
    assert "Queue" not in {o["kind"] for o in reliable_r1.objects}  # nothing provisioned: it binds itself
    with reliable_r1.connect("fixit-maintenance") as connection:
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, EXCHANGE, "api.R1.#")
        for key in ("api.R2.#", "api.R2.pump.P-1.alarm", "api.*.*.*.alarm", "#", "api.#", "api.R1R2.#"):
            text = refused(lambda key=key: connection.channel().queue_bind(queue, EXCHANGE, key))
            assert f"access to topic '{key}' in exchange '{EXCHANGE}' in vhost 'assetco-reliable' refused" in text
        with reliable_r1.connect("assetco-telemetry") as publisher:
            out = publisher.channel()
            out.confirm_delivery()
            for region in ("R1", "R2", "R3"):
                out.basic_publish(EXCHANGE, f"api.{region}.valve.V-1.fault", region.encode())
        assert drain_keys(channel, queue) == ["R1"]


def test_subscribers_cannot_publish_and_publisher_only_valid_keys(deployed: Deployed) -> None:
    with deployed.connect("fixit-maintenance") as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        text = refused(lambda: channel.basic_publish(EXCHANGE, "api.R1.pump.P-1.alarm", b"{}"))
        assert f"access to exchange '{EXCHANGE}' in vhost '{VHOST}' refused" in text
    with deployed.connect("assetco-telemetry") as connection:
        for key in (
            "api.R4.pump.P-1.alarm",  # not a value of region_id
            "api.R1.pump.P-1.reboot",  # not a value of event_type
            "api.R1.pump.P-1",  # not the channel's shape
        ):
            channel = connection.channel()
            channel.confirm_delivery()
            text = refused(lambda channel=channel, key=key: channel.basic_publish(EXCHANGE, key, b"{}"))
            assert f"access to topic '{key}' in exchange '{EXCHANGE}' in vhost '{VHOST}' refused" in text, text
        channel = connection.channel()
        channel.confirm_delivery()
        # The default exchange would route straight into a subscriber's queue: not writable.
        text = refused(lambda: channel.basic_publish("", FIXIT_QUEUE, b"{}"))
        assert f"access to exchange 'amq.default' in vhost '{VHOST}' refused" in text, text


# --- QoS ----------------------------------------------------------------------------------------


def test_guaranteed_events_are_kept_while_disconnected_oldest_dropped(deployed: Deployed) -> None:
    deployed.admin.delete(f"queues/{quote(VHOST)}/{quote(FIXIT_QUEUE)}/contents")
    extra = 25
    events = [event("R1", seq) for seq in range(1, QUEUE_LIMIT + extra + 1)]
    events.insert(500, event("R2", 0))  # not for fixit
    publish(deployed, events, unconfirmed=len(events) - 1)
    assert deployed.message_count(FIXIT_QUEUE) == QUEUE_LIMIT
    with deployed.connect("fixit-maintenance") as connection:
        channel = connection.channel()
        first = drain(channel, FIXIT_QUEUE, limit=3)
    assert [m["seq"] for m in first] == [extra + 1, extra + 2, extra + 3]  # the 25 oldest were dropped
    deployed.admin.delete(f"queues/{quote(VHOST)}/{quote(FIXIT_QUEUE)}/contents")


def test_reliable_events_are_lost_while_disconnected(deployed: Deployed) -> None:
    publish(deployed, [event("R2", 1)])  # nobody of swift-repair is listening: lost
    with deployed.connect("swift-repair") as connection:
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, EXCHANGE, "api.R2.#")
        publish(deployed, [event("R2", 2)])
        assert [m["seq"] for m in drain(channel, queue)] == [2]


# --- connection limit ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("application", "limit"), [("fixit-maintenance", FIXIT_CONNECTIONS), ("swift-repair", SWIFT_CONNECTIONS)]
)
def test_connection_limit_holds(deployed: Deployed, application: str, limit: int) -> None:
    deployed.wait_disconnected(application)
    opened = []
    try:
        for _ in range(limit):
            opened.append(deployed.connect(application))
        with pytest.raises(pika.exceptions.AMQPConnectionError) as info:
            opened.append(deployed.connect(application))
        assert "connection limit" in str(info.value), repr(info.value)
    finally:
        for connection in opened:
            connection.close()
    deployed.wait_disconnected(application)
    deployed.connect(application).close()  # below the limit again


# --- several restricted parameters (tests/cases/brokers/grid, vhost "/") -------------------------


def test_several_restricted_parameters_on_a_real_broker(grid: Deployed) -> None:
    exchange = "grid-events.v2"
    keys = [
        f"grid.{site}.{kind}.M-{i}.{reading}"
        for i, (site, kind, reading) in enumerate(
            (s, k, r) for s in ("north", "south", "east-1") for k in ("smart", "legacy") for r in ("power", "voltage")
        )
    ] + ["outages.north", "outages.east-1"]
    with grid.connect("volt-meter") as connection:  # reliable, reading: [voltage] (the last level)
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, exchange, "grid.*.*.*.voltage")
        for key in ("grid.#", "grid.*.*.*.power", "grid.#.voltage", "outages.#"):
            text = refused(lambda key=key: connection.channel().queue_bind(queue, exchange, key))
            assert f"access to topic '{key}'" in text
        with grid.connect("grid-ops") as publisher:
            out = publisher.channel()
            out.confirm_delivery()
            for key in keys:
                out.basic_publish(exchange, key, key.encode())
        volts = sorted(drain_keys(channel, queue))
    assert volts == sorted(k for k in keys if k.endswith(".voltage"))
    with grid.connect("north-watch") as connection:  # guaranteed, site [north, south] x meter_kind [smart]
        got = sorted(drain_keys(connection.channel(), "sub.north-watch.north-smart"))
    assert got == sorted(k for k in keys if k.startswith(("grid.north.smart.", "grid.south.smart.")))
    with grid.connect("site-log") as connection:  # guaranteed, site [east-1], both channels
        got = sorted(drain_keys(connection.channel(), "sub.site-log.east-log"))
    assert got == sorted(k for k in keys if k.startswith("grid.east-1.") or k == "outages.east-1")


def drain_keys(channel, queue: str, limit: int = 100) -> list[str]:
    """Bodies (here: the routing keys they were published with) of everything in ``queue``."""
    received = []
    for _ in range(limit):
        method, _, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        received.append(body.decode())
    return received
