"""Snapshots: the digest of what apictl verified, and when one may be taken (pure)."""

from __future__ import annotations

from apictl.model.objects import ObjectKey
from apictl.reconcile.applyset import Inventory, parent_for
from apictl.reconcile.executor import ApplyResult, Outcome, Status
from apictl.reconcile.fingerprint import after_apply, after_diff, digest
from apictl.reconcile.plan import Action, Change, Plan
from apictl.reconcile.ports import LiveObject

PARENT = parent_for("dev", "ns1")


def live(name: str, rv: str, kind: str = "ConfigMap") -> LiveObject:
    meta = {"name": name, "namespace": "ns1", "uid": f"uid-{name}", "resourceVersion": rv}
    return LiveObject.of({"apiVersion": "v1", "kind": kind, "metadata": meta})


def plan(changes: tuple[Change, ...] = (), unchanged: tuple[LiveObject, ...] = (), **kw) -> Plan:  # type: ignore[no-untyped-def]
    return Plan("dev", PARENT, live(PARENT.name, "1"), Inventory(), Inventory(), changes, unchanged, **kw)


def test_digest_depends_on_every_identity_and_version_but_not_order() -> None:
    a, b = live("a", "5"), live("b", "6")
    assert digest(live("p", "1"), [a, b]) == digest(live("p", "1"), [b, a])
    assert digest(live("p", "1"), [a, b]) != digest(live("p", "1"), [a, live("b", "7")])
    assert digest(live("p", "1"), [a, b]) != digest(live("p", "2"), [a, b])
    assert digest(live("p", "1"), [a, b]) != digest(live("p", "1"), [a])
    assert digest(None, [a]) != digest(live("p", "1"), [a])


def test_a_no_op_diff_yields_a_snapshot_and_a_plan_with_changes_does_not() -> None:
    quiet = after_diff(plan(unchanged=(live("a", "5"),)))
    assert quiet is not None and quiet.objects == 1
    create = Change(Action.CREATE, ObjectKey("", "ConfigMap", "ns1", "n"), {})
    assert after_diff(plan((create,))) is None
    assert after_diff(plan(unchanged=(live("a", "5"),), warnings=("x",))) is None


def test_after_apply_uses_the_versions_apictl_wrote() -> None:
    create = Change(Action.CREATE, ObjectKey("", "ConfigMap", "ns1", "n"), {})
    prune = Change(Action.PRUNE, ObjectKey("", "ConfigMap", "ns1", "old"), None, live("old", "3"))
    p = plan((create, prune), (live("a", "5"),))
    written = live("n", "9")
    done = ApplyResult(
        (Outcome(create, Status.APPLIED, live=written), Outcome(prune, Status.PRUNED)),
        pruned=True,
        parent=live(PARENT.name, "10"),
    )
    snap = after_apply(p, done)
    assert snap is not None and snap.objects == 2
    assert snap.digest == digest(live(PARENT.name, "10"), [live("a", "5"), written])
    failed = ApplyResult(
        (Outcome(create, Status.FAILED), Outcome(prune, Status.SKIPPED)), parent=live(PARENT.name, "10")
    )
    assert after_apply(p, failed) is None
    unpruned = ApplyResult(
        (Outcome(create, Status.APPLIED, live=written),), pruned=False, parent=live(PARENT.name, "10")
    )
    assert after_apply(p, unpruned) is None
