"""The `rabbitmq` render target: golden files, exact routing-key regexes, what RabbitMQ cannot
express (file:line), validation of unsafe parameter values, and a strict server-side dry-run of
every object against the real CRDs."""

from __future__ import annotations

import copy
import itertools
import re
from pathlib import Path

import pytest
from apictl_cli import run
from broker.rendering import (
    CASES,
    EXAMPLE,
    GOLDEN,
    RFC1123_LABEL,
    check_golden,
    codes,
    copy_repo,
    dry_run_apply,
    edit,
    errors,
    line_of,
    render,
    render_all,
    topic_matches,
)

from apictl.render.targets.event_routing import mqtt_to_routing_key, routing_key_to_mqtt
from apictl.render.targets.rabbitmq import TARGET

GRID = CASES / "grid"
INVALID = 3


def by_kind(objects, kind: str) -> dict[str, dict]:
    return {o.key.name: o.body for o in objects if o.key.kind == kind}


def spec_of(objects, kind: str, name: str) -> dict:
    return by_kind(objects, kind)[name]["spec"]


# --- the example ------------------------------------------------------------------------------


def test_golden_dev(tmp_path: Path) -> None:
    objects, diagnostics = render(copy_repo(EXAMPLE, tmp_path), "dev", "rabbitmq")
    assert diagnostics == []
    check_golden(objects, GOLDEN / "assetco" / "dev.rabbitmq.yaml")


def test_full_render_path_filters_the_same_objects(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    result = render_all(repo, "dev")
    assert [d for d in result.diagnostics if d.code.startswith(("rabbitmq", "broker", "render"))] == []
    objects, _ = render(repo, "dev", "rabbitmq")
    assert [o.body for o in result.objects if o.target == "rabbitmq"] == [o.body for o in objects]
    assert TARGET.kinds <= result.owned_kinds


def test_example_objects() -> None:
    objects, _ = render(EXAMPLE, "dev", "rabbitmq")
    assert sorted({o.key.kind for o in objects}) == sorted(k.kind for k in TARGET.kinds)
    assert {o.key.group_kind for o in objects} <= TARGET.kinds
    assert spec_of(objects, "Exchange", "asset-events-v1") == {
        "name": "asset-events.v1",
        "vhost": "assetco",
        "type": "topic",
        "durable": True,
        "autoDelete": False,
        "rabbitmqClusterReference": {"name": "events"},
    }
    queue = spec_of(objects, "Queue", "sub-fixit-maintenance-fixit-asset-events")
    assert (queue["name"], queue["type"], queue["durable"]) == (
        "sub.fixit-maintenance.fixit-asset-events",
        "quorum",
        True,
    )
    assert [b["spec"]["routingKey"] for b in by_kind(objects, "Binding").values()] == ["api.R1.#"]
    policy = spec_of(objects, "Policy", "sub-fixit-maintenance-fixit-asset-events")
    assert policy["pattern"] == r"^sub\.fixit-maintenance\.fixit-asset-events$"
    assert policy["definition"] == {"max-length": 10000, "overflow": "drop-head", "message-ttl": 86_400_000}
    users = by_kind(objects, "User")
    assert users["fixit-maintenance"]["spec"]["importCredentialsSecret"] == {"name": "fixit-maintenance-credentials"}
    assert users["fixit-maintenance"]["spec"]["limits"] == {"connections": 10}
    assert users["swift-repair"]["spec"]["limits"] == {"connections": 2}
    assert "limits" not in users["assetco-telemetry"]["spec"]  # a publisher has no plan
    # Reliable swift-repair (no queue of its own) may declare server-named queues and bind them.
    assert spec_of(objects, "Permission", "swift-repair")["permissions"] == {
        "configure": r"^amq\.gen-.*$",
        "write": r"^amq\.gen-.*$",
        "read": r"^(?:amq\.gen-.*|asset-events\.v1)$",
    }
    # Guaranteed fixit-maintenance may only read its own queue.
    assert spec_of(objects, "Permission", "fixit-maintenance")["permissions"] == {
        "configure": "^$",
        "write": "^$",
        "read": r"^sub\.fixit-maintenance\.fixit-asset-events$",
    }
    assert spec_of(objects, "Permission", "assetco-telemetry")["permissions"]["write"] == r"^asset-events\.v1$"


def test_names_labels_namespace_and_determinism() -> None:
    first, _ = render(EXAMPLE, "dev", "rabbitmq")
    second, _ = render(EXAMPLE, "dev", "rabbitmq")
    assert [o.body for o in first] == [o.body for o in second]
    for obj in first:
        meta = obj.body["metadata"]
        assert RFC1123_LABEL.match(meta["name"]) and len(meta["name"]) <= 63, meta["name"]
        assert meta["namespace"] == "assetco-dev"  # no clusterRef.namespace: the environment's
        assert meta["labels"]["app.kubernetes.io/managed-by"] == "apictl"
        assert meta["labels"]["apictl.io/environment"] == "dev"
        assert meta["labels"]["apictl.io/target"] == "rabbitmq"
        assert obj.body["spec"]["rabbitmqClusterReference"] == {"name": "events"}
    grid, _ = render(GRID, "test", "rabbitmq")
    assert {o.key.namespace for o in grid} == {"brokers"}  # clusterRef.namespace wins
    assert {o.body["spec"].get("vhost") for o in grid} - {None} == {"/"}


# --- routing keys and regexes: exactly the allowed values -------------------------------------


def all_routing_keys(enums: dict[str, list[str]], template: str) -> list[tuple[dict[str, str], str]]:
    names = list(enums)
    found = []
    for combo in itertools.product(*(enums[n] for n in names)):
        values = dict(zip(names, combo, strict=True))
        found.append((values, template.format(**values)))
    return found


GRID_READINGS = {
    "site": ["north", "south", "east-1"],
    "meter_kind": ["smart", "legacy"],
    "meter_id": ["M-1", "x_9"],
    "reading": ["power", "voltage"],
}


@pytest.mark.parametrize(
    ("queue", "allowed"),
    [
        ("sub.north-watch.north-smart", {"site": {"north", "south"}, "meter_kind": {"smart"}}),
        ("sub.site-log.east-log", {"site": {"east-1"}}),
    ],
)
def test_bindings_route_exactly_the_allowed_values(queue: str, allowed: dict[str, set[str]]) -> None:
    objects, _ = render(GRID, "test", "rabbitmq")
    keys = [b["spec"]["routingKey"] for b in by_kind(objects, "Binding").values() if b["spec"]["destination"] == queue]
    readings = all_routing_keys(GRID_READINGS, "grid.{site}.{meter_kind}.{meter_id}.{reading}")
    outages = all_routing_keys({"site": GRID_READINGS["site"]}, "outages.{site}")
    for values, routing_key in readings + outages:
        if "meter_kind" in allowed and "meter_kind" not in values:
            wanted = False  # the outages channel has no meter_kind: not granted to a meter_kind restriction
        else:
            wanted = all(values[p] in v for p, v in allowed.items() if p in values)
        assert any(topic_matches(k, routing_key) for k in keys) is wanted, (routing_key, keys)


def topic_permission(objects, app: str) -> dict:
    return next(
        o.body["spec"]["permissions"] for o in objects if o.key.kind == "TopicPermission" and o.key.name.startswith(app)
    )


def test_read_regex_admits_exactly_the_allowed_binding_keys() -> None:
    objects, _ = render(GRID, "test", "rabbitmq")
    read = re.compile(topic_permission(objects, "north-watch")["read"])
    for key in ("grid.north.smart.#", "grid.south.smart.#", "grid.north.smart.*.voltage", "grid.south.smart.M-1.power"):
        assert read.search(key), key
    for key in (
        "#",
        "grid.#",
        "grid.*.smart.#",
        "grid.north.#",
        "grid.north.*.#",
        "grid.north.legacy.#",
        "grid.east-1.smart.#",
        "grid.#.smart.#",
        "outages.north",
        "grid.northx.smart.#",
        "xgrid.north.smart.#",
    ):
        assert not read.search(key), key
    # A restriction on the last level only: every level before it stays a single word.
    volt = re.compile(topic_permission(objects, "volt-meter")["read"])
    for key in ("grid.*.*.*.voltage", "grid.north.smart.M-1.voltage", "grid.*.legacy.*.voltage"):
        assert volt.search(key), key
    for key in ("grid.#.voltage", "grid.*.*.*.power", "grid.*.*.*.*", "grid.*.*.*.#", "#", "grid.*.*.voltage"):
        assert not volt.search(key), key
    # Every rendered binding is one its subscriber's TopicPermission would admit too.
    for binding in by_kind(objects, "Binding").values():
        app = binding["spec"]["destination"].split(".")[1]
        assert re.search(topic_permission(objects, app)["read"], binding["spec"]["routingKey"])


def test_publisher_write_regex_admits_the_channels_concrete_keys_only() -> None:
    objects, _ = render(GRID, "test", "rabbitmq")
    write = re.compile(topic_permission(objects, "grid-ops")["write"])
    assert topic_permission(objects, "grid-ops")["read"] == "^$"
    for _, key in all_routing_keys(GRID_READINGS, "grid.{site}.{meter_kind}.{meter_id}.{reading}"):
        assert write.search(key), key
    assert write.search("outages.east-1")
    for key in (
        "grid.west.smart.M-1.power",
        "grid.north.smart.M-1",
        "grid.north.smart.*.power",
        "outages.#",
        "outages.north.x",
    ):
        assert not write.search(key), key
    for app in ("north-watch", "volt-meter", "site-log"):
        assert topic_permission(objects, app)["write"] == "^$"


def test_mqtt_topic_routing_key_mapping() -> None:
    assert mqtt_to_routing_key("api/R1/pump/P-17/alarm") == "api.R1.pump.P-17.alarm"
    assert mqtt_to_routing_key("api/R1/+/+/alarm") == "api.R1.*.*.alarm"
    assert mqtt_to_routing_key("api/R1/#") == "api.R1.#"
    assert routing_key_to_mqtt("api.R1.*.*.alarm") == "api/R1/+/+/alarm"


# --- plans -> queue policy and user limits ------------------------------------------------------


def test_policy_follows_the_plan_and_environment_override(tmp_path: Path) -> None:
    objects, _ = render(GRID, "test", "rabbitmq")
    assert spec_of(objects, "Policy", "sub-north-watch-north-smart")["definition"] == {
        "max-length": 100,
        "max-length-bytes": 1_048_576,
        "overflow": "drop-head",
        "message-ttl": 3_600_000,
    }
    repo = copy_repo(EXAMPLE, tmp_path)
    edit(
        repo,
        "environments/dev.yaml",
        "    vhost: assetco\n",
        "    vhost: assetco\n  overrides:\n    plans:\n      gold:\n        events: {queue: {bytes: 5000}}\n",
    )
    objects, diagnostics = render(repo, "dev", "rabbitmq")
    assert diagnostics == []
    policy = spec_of(objects, "Policy", "sub-fixit-maintenance-fixit-asset-events")
    assert policy["definition"] == {"max-length-bytes": 5000, "overflow": "drop-head"}
    assert "limits" not in spec_of(objects, "User", "fixit-maintenance")
    edit(repo, "environments/dev.yaml", "events: {queue: {bytes: 5000}}", "events: {}")
    objects, _ = render(repo, "dev", "rabbitmq")
    assert "Policy" not in {o.key.kind for o in objects}  # nothing to limit: no policy
    assert "Queue" in {o.key.kind for o in objects}


# --- what RabbitMQ cannot express ---------------------------------------------------------------


def test_publish_rate_is_unsupported_with_file_and_line(tmp_path: Path, capsys) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    plan = edit(repo, "plans/gold.yaml", "    maxConnections: 10\n", "    maxConnections: 10\n    publishRate: 50\n")
    result = run(capsys, "validate", str(repo))
    assert result.code == INVALID
    assert (
        f"plans/gold.yaml:{line_of(plan, 'publishRate')}:5: error: environment 'dev' (rabbitmq)"
        in result.stdout + result.stderr
    )
    assert "[rabbitmq-publish-rate-unsupported]" in result.stdout + result.stderr
    _, diagnostics = render(repo, "dev", "rabbitmq")
    assert codes(diagnostics) == ["rabbitmq-publish-rate-unsupported"]  # once per plan, not per subscription
    (repo / "apictl.yaml").write_text("unsupported: warning\n")
    result = run(capsys, "validate", str(repo))
    assert "warning: environment 'dev' (rabbitmq): plan 'gold' sets events.publishRate" in result.stdout + result.stderr


def test_publish_rate_from_an_environment_override_points_at_the_environment(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    env = edit(
        repo,
        "environments/dev.yaml",
        "    vhost: assetco\n",
        "    vhost: assetco\n  overrides:\n    plans:\n      silver:\n        events:\n          publishRate: 5\n",
    )
    _, diagnostics = render(repo, "dev", "rabbitmq")
    [found] = errors(diagnostics)
    assert found.code == "rabbitmq-publish-rate-unsupported"
    assert (found.location.file.endswith("environments/dev.yaml"), found.location.line) == (
        True,
        line_of(env, "publishRate"),
    )


def test_max_subscriptions_needs_guaranteed_subscriptions(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    plan = edit(
        repo, "plans/silver.yaml", "    maxConnections: 2\n", "    maxConnections: 2\n    maxSubscriptions: 1\n"
    )
    _, diagnostics = render(repo, "dev", "rabbitmq")
    [found] = diagnostics
    assert found.code == "rabbitmq-max-subscriptions-unsupported"
    assert found.location.line == line_of(plan, "maxSubscriptions")
    assert "'swift-repair' has a reliable subscription" in found.message
    # gold (guaranteed only) keeps maxSubscriptions: 5 and renders clean
    assert "maxSubscriptions: 5" in (repo / "plans/gold.yaml").read_text()


def test_more_guaranteed_subscriptions_than_the_plan_allows(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    edit(repo, "plans/gold.yaml", "maxSubscriptions: 5", "maxSubscriptions: 1")
    subs = repo / "subscriptions" / "fixit.yaml"
    subs.write_text(
        subs.read_text()
        + "---\napiVersion: apictl.io/v1alpha1\nkind: Subscription\nmetadata:\n  name: fixit-more-events\n"
        "spec:\n  application: fixit-maintenance\n  api: {name: asset-events, version: 1.0.0}\n  plan: gold\n"
        "  environments: [dev]\n  restrictions:\n    region_id: [R1]\n  qos: guaranteed\n"
    )
    _, diagnostics = render(repo, "dev", "rabbitmq")
    [found] = diagnostics
    assert found.code == "plan-max-subscriptions-exceeded"
    assert found.location.line == line_of(subs, "fixit-more-events") + 4  # its spec.plan


def test_publisher_without_credentials_and_secret_in_another_namespace(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    app = edit(repo, "applications/telemetry.yaml", "    dev: {name: assetco-telemetry-credentials}\n", "")
    objects, diagnostics = render(repo, "dev", "rabbitmq")
    [found] = diagnostics
    assert (found.code, found.location.line) == ("broker-credentials-missing", line_of(app, "credentials:"))
    assert "assetco-telemetry" not in by_kind(objects, "User")
    repo = copy_repo(EXAMPLE, tmp_path, "other")
    edit(
        repo,
        "applications/fixit.yaml",
        "dev: {name: fixit-maintenance-credentials}",
        "dev: {name: x, namespace: elsewhere}",
    )
    _, diagnostics = render(repo, "dev", "rabbitmq")
    assert codes(diagnostics) == ["broker-credentials-namespace"]


def test_channel_level_mixing_text_and_parameter_is_unsupported(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    edit(
        repo, "definitions/asset-events.asyncapi.yaml", "api/{region_id}/{asset_type}", "api/r-{region_id}/{asset_type}"
    )
    _, diagnostics = render(repo, "dev", "rabbitmq")
    assert codes(diagnostics) == ["broker-channel-level-mixed"]


# --- values that would break routing keys are rejected by validation ----------------------------

UNSAFE = [".", "/", "*", "#", ">", "+", " "]


@pytest.mark.parametrize("char", UNSAFE, ids=["dot", "slash", "star", "hash", "gt", "plus", "space"])
def test_unsafe_restriction_value_is_rejected(tmp_path: Path, capsys, char: str) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    subs = edit(repo, "subscriptions/fixit.yaml", "region_id: [R1]", f"region_id: ['R{char}1']")
    result = run(capsys, "validate", str(repo))
    assert result.code == INVALID
    assert f"subscriptions/fixit.yaml:{line_of(subs, 'region_id:')}" in result.stdout + result.stderr
    assert "[restriction-value-unsafe]" in result.stdout + result.stderr


@pytest.mark.parametrize("char", UNSAFE, ids=["dot", "slash", "star", "hash", "gt", "plus", "space"])
def test_unsafe_enum_value_is_rejected(tmp_path: Path, capsys, char: str) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    edit(repo, "definitions/asset-events.asyncapi.yaml", "enum: [R1, R2, R3]", f"enum: [R1, R2, 'R{char}3']")
    result = run(capsys, "validate", str(repo))
    assert result.code == INVALID
    assert "[asyncapi-parameter-value-unsafe]" in result.stdout + result.stderr
    assert "asset-events.asyncapi.yaml:" in result.stdout + result.stderr


# --- the real CRDs ------------------------------------------------------------------------------


def test_every_object_passes_a_strict_server_side_dry_run(k8s_client, namespace: str) -> None:
    rendered = render(EXAMPLE, "dev", "rabbitmq")[0] + render(GRID, "test", "rabbitmq")[0]
    assert len(rendered) > 20
    for obj in rendered:
        answer = dry_run_apply(k8s_client, namespace, obj.body)
        assert answer["metadata"]["namespace"] == namespace
        assert {k: answer["spec"][k] for k in obj.body["spec"]} == obj.body["spec"], obj.key
    # Strict really is strict: an unknown field is refused.
    bad = copy.deepcopy(dict(rendered[0].body))
    bad["spec"]["routingKeys"] = ["api.#"]
    with pytest.raises(Exception, match="routingKeys"):
        dry_run_apply(k8s_client, namespace, bad)


def test_http_policies_on_an_event_api_are_unsupported(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    api = edit(
        repo,
        "apis/asset-events.yaml",
        "  plans: [gold, silver]\n",
        "  plans: [gold, silver]\n  policies: [cors-portal, slow-writes]\n",
    )
    _, diagnostics = render(repo, "dev", "rabbitmq")
    assert [(d.code, d.location.line) for d in diagnostics] == [
        ("rabbitmq-policy-unsupported", line_of(api, "policies:"))
    ] * 3
    assert sorted(d.message.split(" sets ")[1].split(",")[0] for d in diagnostics) == ["cors", "retries", "timeouts"]
