"""The pure planner: decisions on recorded (desired, live, merged) objects, prune candidates, waves,
refusals and saved plans — no cluster involved."""

from __future__ import annotations

import copy

import pytest

from apictl.model.objects import GroupKind, ObjectKey
from apictl.reconcile import planfile, planner
from apictl.reconcile.applyset import PART_OF_LABEL, Inventory, parent_for
from apictl.reconcile.errors import Refused
from apictl.reconcile.executor import ApplyOptions, Status, refusals
from apictl.reconcile.order import WAVE_NAMES, wave_of
from apictl.reconcile.plan import Action, Change, ObjectFailure
from apictl.reconcile.ports import LiveObject
from apictl.reconcile.prune import prune_candidates

PARENT = parent_for("dev", "ns1")
ROUTE = GroupKind("gateway.networking.k8s.io", "HTTPRoute")
CONFIGMAP = GroupKind("", "ConfigMap")
POLICY = GroupKind("gateway.envoyproxy.io", "SecurityPolicy")


def configmap(name: str, value: str = "v", *, manager: str = "apictl", labels: dict | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": "ns1",
            "labels": {PART_OF_LABEL: PARENT.id, **(labels or {})},
            "uid": f"uid-{name}",
            "resourceVersion": "7",
            "managedFields": [
                {
                    "manager": manager,
                    "operation": "Apply",
                    "fieldsV1": {"f:data": {"f:k": {}}, "f:metadata": {"f:labels": {f"f:{PART_OF_LABEL}": {}}}},
                }
            ],
        },
        "data": {"k": value},
    }


def desired(name: str, value: str = "v") -> dict:
    body = configmap(name, value)
    body["metadata"] = {k: body["metadata"][k] for k in ("name", "namespace", "labels")}
    return body


def test_local_verdicts() -> None:
    assert planner.local_verdict(desired("a"), None) is Action.CREATE
    assert planner.local_verdict(desired("a"), LiveObject.of(configmap("a"))) is Action.UNCHANGED
    assert planner.local_verdict(desired("a", "new"), LiveObject.of(configmap("a"))) is None


def test_decide_compares_normalised_live_with_the_dry_run_result() -> None:
    live = LiveObject.of(configmap("a"))
    merged = copy.deepcopy(configmap("a", "new"))
    merged["metadata"]["resourceVersion"] = "8"  # bookkeeping differs, never shows
    merged["metadata"]["managedFields"][0]["time"] = "now"
    change = planner.decide(live.key, desired("a", "new"), live, merged)
    assert change.action is Action.UPDATE
    assert [(f.dotted, f.before, f.after) for f in change.fields] == [("data.k", "v", "new")]
    assert "data" not in change.live.body, "the plan keeps only the live object's identity"
    same = planner.decide(live.key, desired("a"), live, {**configmap("a"), "status": {"x": 1}})
    assert same.action is Action.UNCHANGED


def test_prune_candidates_are_owned_members_no_longer_desired() -> None:
    members = [
        LiveObject.of(configmap("kept-desired")),
        LiveObject.of(configmap("gone")),
        LiveObject.of(configmap("opted-out")),
        LiveObject.of(configmap("other-set", labels={PART_OF_LABEL: "applyset-x-v1"})),
    ]
    members[2].body["metadata"]["annotations"] = {"apictl.io/prune": "false"}
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "stranded", "namespace": "ns1", "labels": {PART_OF_LABEL: PARENT.id}},
    }
    members.append(LiveObject.of(route))
    scan = prune_candidates(members, {ObjectKey("", "ConfigMap", "ns1", "kept-desired")}, {CONFIGMAP}, PARENT)
    assert [o.key.name for o in scan.candidates] == ["gone"]
    assert [o.key.name for o in scan.kept] == ["opted-out"]
    assert [o.key.name for o in scan.stranded] == ["stranded"]


def test_assemble_orders_waves_and_keeps_what_stays_in_the_inventory() -> None:
    def change(action: Action, gk: GroupKind, name: str) -> Change:
        return Change(action, ObjectKey(gk.group, gk.kind, "ns1", name), {})

    decided = [
        change(Action.UPDATE, POLICY, "p"),
        change(Action.CREATE, ROUTE, "r"),
        change(Action.CREATE, CONFIGMAP, "c"),
    ]
    gone_policy = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "SecurityPolicy",
        "metadata": {"name": "old-p", "namespace": "ns1", "labels": {PART_OF_LABEL: PARENT.id}},
    }
    gone_cm = configmap("old-c")
    scan = prune_candidates(
        [LiveObject.of(gone_policy), LiveObject.of(gone_cm)], set(), {CONFIGMAP, POLICY, ROUTE}, PARENT
    )
    plan = planner.assemble(
        environment="dev",
        parent=PARENT,
        parent_live=None,
        inventory_before=Inventory(frozenset({CONFIGMAP, POLICY}), frozenset({"ns1", "old"})),
        decided=decided,
        desired_keys={c.key for c in decided},
        scan=scan,
    )
    assert [(c.action, c.key.name) for c in plan.changes] == [
        (Action.CREATE, "c"),
        (Action.CREATE, "r"),
        (Action.UPDATE, "p"),
        (Action.PRUNE, "old-p"),
        (Action.PRUNE, "old-c"),
    ]
    assert plan.inventory_after == Inventory(frozenset({CONFIGMAP, POLICY, ROUTE}), frozenset({"ns1"}))
    assert plan.summary() == "Plan: 2 to create, 1 to update, 2 to prune."
    assert not plan.prunes_everything


def test_waves_put_backends_before_routes_before_policies() -> None:
    assert WAVE_NAMES == ("backends", "routes", "policies")
    assert wave_of(GroupKind("", "Secret")) < wave_of(ROUTE) < wave_of(POLICY)
    assert wave_of(GroupKind("rabbitmq.com", "User")) < wave_of(GroupKind("rabbitmq.com", "Queue"))
    assert wave_of(GroupKind("rabbitmq.com", "Queue")) < wave_of(GroupKind("rabbitmq.com", "Binding"))
    assert wave_of(GroupKind("example.com", "FancyRoute")) == 1
    assert wave_of(GroupKind("example.com", "RetryPolicy")) == 2
    assert wave_of(GroupKind("example.com", "Widget")) == 0


def _plan(changes: tuple[Change, ...], desired_count: int, failures: tuple = ()):  # type: ignore[no-untyped-def]
    from apictl.reconcile.plan import Plan

    return Plan("dev", PARENT, None, Inventory(), Inventory(), changes, failures=failures, desired_count=desired_count)


def test_pruning_everything_is_refused_without_confirmation() -> None:
    prune = Change(Action.PRUNE, ObjectKey("", "ConfigMap", "ns1", "a"), None, LiveObject.of(configmap("a")))
    plan = _plan((prune,), desired_count=0)
    assert plan.prunes_everything
    with pytest.raises(Refused) as info:
        refusals(plan, ApplyOptions())
    assert "prune all 1 members" in info.value.message and "--confirm-prune-all" in info.value.hint
    assert refusals(plan, ApplyOptions(confirm_prune_all=True)) == []
    assert refusals(plan, ApplyOptions(prune=False)) == []


def test_rejected_objects_and_unforced_conflicts_stop_every_write() -> None:
    key = ObjectKey("", "ConfigMap", "ns1", "a")
    other = ObjectKey("", "ConfigMap", "ns1", "b")
    conflicted = Change(Action.UPDATE, key, desired("a"), LiveObject.of(configmap("a")), conflicts=(".data.k",))
    plan = _plan((conflicted, Change(Action.CREATE, other, desired("b"))), 2)
    outcomes = refusals(plan, ApplyOptions())
    assert [(o.key.name, o.status) for o in outcomes] == [("a", Status.FAILED), ("b", Status.SKIPPED)]
    assert "--force-conflicts" in outcomes[0].message
    assert refusals(plan, ApplyOptions(force_conflicts=True)) == []
    rejected = _plan((Change(Action.CREATE, other, desired("b")),), 1, (ObjectFailure(other, "bad field"),))
    assert [(o.status, o.message) for o in refusals(rejected, ApplyOptions(force_conflicts=True))] == [
        (Status.FAILED, "bad field")
    ]


def test_saved_plans_round_trip_without_secret_values() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ns1", "labels": {PART_OF_LABEL: PARENT.id}},
        "stringData": {"token": "hunter2"},
    }
    update = Change(
        Action.UPDATE, ObjectKey("", "ConfigMap", "ns1", "a"), desired("a", "x"), LiveObject.of(configmap("a"))
    )
    create = Change(Action.CREATE, ObjectKey.of(secret), secret)
    plan = _plan((create, update), 2)
    document = planfile.dump(plan, planfile.Source("/repo", None, "dev"), "https://k8s")
    assert "hunter2" not in str(document)
    saved = planfile.load(document)
    assert saved.server == "https://k8s" and saved.source.environment == "dev"
    assert [c.action for c in saved.plan.changes] == [Action.CREATE, Action.UPDATE]
    assert saved.plan.changes[1].live.resource_version == "7"
    assert saved.redacted == {create.key}
    filled = planfile.fill_secrets(saved, {create.key: secret})
    assert filled.changes[0].desired["stringData"] == {"token": "hunter2"}
    with pytest.raises(Refused, match="Secret values changed"):
        planfile.fill_secrets(saved, {create.key: {**secret, "stringData": {"token": "other"}}})


def test_damaged_or_foreign_plan_files_are_refused() -> None:
    with pytest.raises(Refused, match="not an apictl plan file"):
        planfile.load({"format": "terraform"})
    with pytest.raises(Refused, match="damaged"):
        planfile.load({"format": planfile.FORMAT, "applyset": {}})
    document = planfile.dump(_plan((), 0), planfile.Source("/repo", None, "dev"), "https://k8s")
    document["applyset"]["id"] = "applyset-forged-v1"
    with pytest.raises(Refused, match="does not match its parent"):
        planfile.load(document)
