"""The `strimzi` render target: golden files, the topic naming rule, ACLs derived from restrictions,
what Kafka cannot express (file:line), and a strict server-side dry-run against the real CRDs."""

from __future__ import annotations

import copy
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
    line_of,
    render,
    render_all,
)

from apictl.render.targets.strimzi import TARGET

GRID = CASES / "grid"
INVALID = 3


def topics(objects) -> dict[str, dict]:
    return {o.body["spec"]["topicName"]: o.body for o in objects if o.key.kind == "KafkaTopic"}


def acls(objects, user: str) -> list[tuple[str, str, str, list[str]]]:
    body = next(o.body for o in objects if o.key.kind == "KafkaUser" and o.key.name == user)
    return [
        (a["resource"]["type"], a["resource"]["name"], a["resource"]["patternType"], a["operations"])
        for a in body["spec"]["authorization"]["acls"]
    ]


# --- the example ------------------------------------------------------------------------------


def test_golden_prod(tmp_path: Path) -> None:
    objects, diagnostics = render(copy_repo(EXAMPLE, tmp_path), "prod", "strimzi")
    assert diagnostics == []
    check_golden(objects, GOLDEN / "assetco" / "prod.strimzi.yaml")


def test_full_render_path_filters_the_same_objects(tmp_path: Path, capsys) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    result = render_all(repo, "prod")
    assert [d for d in result.diagnostics if d.code.startswith(("strimzi", "broker", "render"))] == []
    objects, _ = render(repo, "prod", "strimzi")
    assert [o.body for o in result.objects if o.target == "strimzi"] == [o.body for o in objects]
    assert TARGET.kinds <= result.owned_kinds
    assert run(capsys, "validate", str(EXAMPLE)).code == 0


def test_example_topics_and_users() -> None:
    objects, _ = render(EXAMPLE, "prod", "strimzi")
    assert {o.key.group_kind for o in objects} == set(TARGET.kinds)
    # Topic rule: leading fixed/enumerated levels (api, region_id, asset_type); asset_id, event_type -> key.
    assert sorted(topics(objects)) == sorted(
        f"api.{r}.{a}" for r in ("R1", "R2", "R3") for a in ("pump", "valve", "compressor")
    )
    topic = topics(objects)["api.R1.pump"]
    assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "events"
    assert topic["spec"] == {"topicName": "api.R1.pump", "config": {"retention.ms": 86_400_000}}  # gold: 24h
    assert acls(objects, "fixit-maintenance") == [
        ("group", "fixit-maintenance.fixit-asset-events", "literal", ["Read"]),
        ("topic", "api.R1.", "prefix", ["Describe", "Read"]),
    ]
    assert acls(objects, "swift-repair") == [
        ("group", "swift-repair.swift-asset-events", "literal", ["Read"]),
        ("topic", "api.R2.", "prefix", ["Describe", "Read"]),
    ]
    assert acls(objects, "assetco-telemetry") == [("topic", "api.", "prefix", ["Describe", "Write"])]
    user = next(o.body for o in objects if o.key.name == "fixit-maintenance")
    assert user["spec"]["authentication"] == {
        "type": "scram-sha-512",
        "password": {"valueFrom": {"secretKeyRef": {"name": "fixit-maintenance-credentials", "key": "password"}}},
    }
    assert "quotas" not in user["spec"]  # no plan field is expressible as a Kafka quota


def test_names_labels_namespace_and_determinism() -> None:
    first, _ = render(EXAMPLE, "prod", "strimzi")
    second, _ = render(EXAMPLE, "prod", "strimzi")
    assert [o.body for o in first] == [o.body for o in second]
    for obj in first:
        meta = obj.body["metadata"]
        assert RFC1123_LABEL.match(meta["name"]) and len(meta["name"]) <= 63
        assert meta["namespace"] == "kafka"  # clusterRef.namespace
        assert meta["labels"]["strimzi.io/cluster"] == "events"
        assert meta["labels"]["apictl.io/target"] == "strimzi"
        assert meta["labels"]["apictl.io/environment"] == "prod"
    grid, _ = render(GRID, "kafka", "strimzi")
    assert {o.key.namespace for o in grid} == {"grid-kafka"}  # no clusterRef.namespace: the environment's
    # lower-case topic names that clean to the same text still get distinct object names
    assert len({o.key.name for o in grid}) == len(grid)


# --- topic naming rule and ACLs ---------------------------------------------------------------


def test_grid_topics_follow_the_naming_rule_and_channel_bindings() -> None:
    objects, _ = render(GRID, "kafka", "strimzi")
    found = topics(objects)
    readings = sorted(f"grid.{s}.{k}" for s in ("north", "south", "east-1") for k in ("smart", "legacy"))
    outages = sorted(f"outages.{s}" for s in ("north", "south", "east-1"))
    assert sorted(found) == sorted(readings + outages)
    # meterReadings has a Kafka binding (partitions 6, replicas 3); premium (guaranteed) keeps 1h / 1 MiB.
    assert found["grid.north.smart"]["spec"] == {
        "topicName": "grid.north.smart",
        "partitions": 6,
        "replicas": 3,
        "config": {"retention.bytes": 1_048_576, "retention.ms": 3_600_000},
    }
    assert found["outages.east-1"]["spec"]["config"] == {"retention.bytes": 1_048_576, "retention.ms": 3_600_000}
    assert "partitions" not in found["outages.east-1"]["spec"]


def test_grid_acls_are_derived_from_the_restrictions() -> None:
    objects, diagnostics = render(GRID, "kafka", "strimzi")
    # two restricted leading levels (site, meter_kind): literal topics; outages lacks meter_kind: not granted
    assert acls(objects, "north-watch") == [
        ("group", "north-watch.north-smart", "literal", ["Read"]),
        ("topic", "grid.north.smart", "literal", ["Describe", "Read"]),
        ("topic", "grid.south.smart", "literal", ["Describe", "Read"]),
    ]
    # site restricted on both channels: prefix on readings (more topic levels follow), literal on outages
    assert acls(objects, "site-log") == [
        ("group", "site-log.east-log", "literal", ["Read"]),
        ("topic", "grid.east-1.", "prefix", ["Describe", "Read"]),
        ("topic", "outages.east-1", "literal", ["Describe", "Read"]),
    ]
    assert acls(objects, "grid-ops") == [
        ("topic", "grid.", "prefix", ["Describe", "Write"]),
        ("topic", "outages.", "prefix", ["Describe", "Write"]),
    ]
    # `reading` is in the record key: nothing granted on topics, and a diagnostic
    assert acls(objects, "volt-meter") == [("group", "volt-meter.volt-all", "literal", ["Read"])]
    assert codes(diagnostics) == ["strimzi-restriction-not-leading"]


def test_restriction_on_a_non_leading_parameter_is_unsupported_with_file_and_line(capsys) -> None:
    result = run(capsys, "validate", str(GRID))
    assert result.code == INVALID
    subs = GRID / "subscriptions" / "subscriptions.yaml"
    line = line_of(subs, "    reading: [voltage]")
    assert (
        f"subscriptions/subscriptions.yaml:{line}:5: error: environment 'kafka' (strimzi): subscription 'volt-all' restricts reading"
        in result.stderr
    )
    assert "[strimzi-restriction-not-leading]" in result.stderr


# --- what Kafka cannot express ----------------------------------------------------------------


def without_prod_overrides(tmp_path: Path) -> Path:
    repo = copy_repo(EXAMPLE, tmp_path)
    text = (repo / "environments/prod.yaml").read_text()
    start = text.index("      # Kafka cannot")
    (repo / "environments/prod.yaml").write_text(
        text[:start] + "      gold:\n        rateLimit: {requests: 200, per: second}\n"
    )
    return repo


def test_plan_limits_kafka_cannot_express_are_reported_at_the_plan(tmp_path: Path) -> None:
    repo = without_prod_overrides(tmp_path)
    edit(repo, "plans/silver.yaml", "    maxConnections: 2\n", "    maxConnections: 2\n    publishRate: 20\n")
    _, diagnostics = render(repo, "prod", "strimzi")
    gold, silver = repo / "plans/gold.yaml", repo / "plans/silver.yaml"
    found = sorted((d.code, Path(d.location.file).name, d.location.line) for d in diagnostics)
    assert found == sorted(
        [
            ("strimzi-max-connections-unsupported", "gold.yaml", line_of(gold, "maxConnections")),
            ("strimzi-max-subscriptions-unsupported", "gold.yaml", line_of(gold, "maxSubscriptions")),
            ("strimzi-queue-messages-unsupported", "gold.yaml", line_of(gold, "queue:")),
            ("strimzi-max-connections-unsupported", "silver.yaml", line_of(silver, "maxConnections")),
            ("strimzi-publish-rate-unsupported", "silver.yaml", line_of(silver, "publishRate")),
        ]
    )
    assert all(d.severity.value == "error" for d in diagnostics)


def test_queue_messages_of_a_reliable_subscription_is_not_reported(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    edit(
        repo,
        "environments/prod.yaml",
        "      silver:\n        events: {}\n",
        "      silver:\n        events: {queue: {messages: 5}}\n",
    )
    _, diagnostics = render(repo, "prod", "strimzi")
    assert diagnostics == []  # reliable keeps nothing: no queue to size


def test_different_retention_for_the_same_topics_is_unsupported(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    edit(repo, "subscriptions/swiftrepair.yaml", "qos: reliable", "qos: guaranteed")
    edit(
        repo,
        "environments/prod.yaml",
        "      silver:\n        events: {}\n",
        "      silver:\n        events: {messageTtl: 2h}\n",
    )
    objects, diagnostics = render(repo, "prod", "strimzi")
    [found] = diagnostics
    assert found.code == "strimzi-retention-conflict"
    assert "fixit-asset-events (gold), swift-asset-events (silver)" in found.message
    assert found.location.line == line_of(repo / "environments/prod.yaml", "messageTtl: 2h")
    assert topics(objects)["api.R2.pump"]["spec"]["config"] == {"retention.ms": 86_400_000}  # the longer one


# --- the real CRDs ------------------------------------------------------------------------------


def test_every_object_passes_a_strict_server_side_dry_run(k8s_client, namespace: str) -> None:
    rendered = render(EXAMPLE, "prod", "strimzi")[0] + render(GRID, "kafka", "strimzi")[0]
    assert len(rendered) > 20
    for obj in rendered:
        answer = dry_run_apply(k8s_client, namespace, obj.body)
        assert answer["metadata"]["namespace"] == namespace
        assert answer["spec"] == obj.body["spec"], obj.key
    bad = copy.deepcopy(dict(rendered[-1].body))
    bad["spec"]["authorization"]["acls"][0]["resource"]["patternType"] = "regex"
    with pytest.raises(Exception, match="patternType"):
        dry_run_apply(k8s_client, namespace, bad)


def test_http_policies_on_an_event_api_are_unsupported(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path)
    api = edit(
        repo,
        "apis/asset-events.yaml",
        "  plans: [gold, silver]\n",
        "  plans: [gold, silver]\n  policies: [cors-portal]\n",
    )
    _, diagnostics = render(repo, "prod", "strimzi")
    assert [(d.code, d.location.line) for d in diagnostics] == [
        ("strimzi-policy-unsupported", line_of(api, "policies:"))
    ]
