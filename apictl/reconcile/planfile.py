"""Saved plans: ``apictl plan --out FILE`` records the changes and the live state they were computed
against; ``apictl apply --plan FILE`` applies exactly those changes, and refuses when anything it
depends on moved since (Terraform's "saved plan is stale").

The file is JSON. Secret values are never written: they are replaced by sha256 digests, and
``apply --plan`` fills them in from a fresh render of the recorded source, refusing on mismatch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from apictl import __version__
from apictl.model.objects import GroupKind, ObjectKey
from apictl.reconcile.applyset import Inventory, ParentRef, parse_group_kind
from apictl.reconcile.concurrency import run_bounded
from apictl.reconcile.errors import Refused
from apictl.reconcile.plan import Action, Change, Plan
from apictl.reconcile.ports import Cluster, LiveObject
from apictl.reconcile.redact import digested_body, matches_digests

FORMAT = "apictl.io/plan/v1"


@dataclass(frozen=True, slots=True)
class Source:
    path: str
    ref: str | None
    environment: str


@dataclass(frozen=True, slots=True)
class SavedPlan:
    plan: Plan
    source: Source
    server: str
    redacted: frozenset[ObjectKey]
    """Objects whose Secret values were replaced by digests."""


def dump(plan: Plan, source: Source, server: str) -> dict[str, Any]:
    changes = []
    for change in plan.changes:
        entry: dict[str, Any] = {"action": str(change.action), "key": _key(change.key)}
        if change.desired is not None:
            body, redacted = digested_body(change.desired)
            entry["body"] = body
            if redacted:
                entry["redacted"] = True
        if change.live is not None:
            entry["live"] = {"uid": change.live.uid, "resourceVersion": change.live.resource_version}
        changes.append(entry)
    parent = plan.parent
    return {
        "format": FORMAT,
        "apictlVersion": __version__,
        "source": {"path": source.path, "ref": source.ref, "environment": source.environment},
        "server": server,
        "applyset": {
            "parent": {"name": parent.name, "namespace": parent.namespace, "kind": parent.kind, "group": parent.group},
            "id": parent.id,
            "live": _live(plan.parent_live),
            "inventoryBefore": _inventory(plan.inventory_before),
            "inventoryAfter": _inventory(plan.inventory_after),
        },
        "desiredCount": plan.desired_count,
        "summary": plan.summary(),
        "changes": changes,
    }


def load(doc: Mapping[str, Any]) -> SavedPlan:
    if not isinstance(doc, Mapping) or doc.get("format") != FORMAT:
        raise Refused(f"not an apictl plan file (expected format {FORMAT!r})")
    try:
        ps = doc["applyset"]["parent"]
        parent = ParentRef(ps["name"], ps["namespace"], ps["kind"], ps["group"])
        if doc["applyset"]["id"] != parent.id:
            raise Refused("the plan file's ApplySet id does not match its parent; the file was edited")
        parent_live = _read_live(parent.key, doc["applyset"].get("live"))
        changes, redacted = [], set()
        for entry in doc["changes"]:
            key = ObjectKey(**entry["key"])
            live = _read_live(key, entry.get("live"))
            changes.append(Change(Action(entry["action"]), key, entry.get("body"), live))
            if entry.get("redacted"):
                redacted.add(key)
        source = Source(doc["source"]["path"], doc["source"]["ref"], doc["source"]["environment"])
        plan = Plan(
            environment=source.environment,
            parent=parent,
            parent_live=parent_live,
            inventory_before=_read_inventory(doc["applyset"]["inventoryBefore"]),
            inventory_after=_read_inventory(doc["applyset"]["inventoryAfter"]),
            changes=tuple(changes),
            desired_count=int(doc["desiredCount"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Refused(f"the plan file is damaged ({type(exc).__name__}: {exc})") from None
    return SavedPlan(plan, source, str(doc.get("server", "")), frozenset(redacted))


def fill_secrets(saved: SavedPlan, rendered: Mapping[ObjectKey, Mapping[str, Any]]) -> Plan:
    """Put the real Secret values back, from ``rendered`` (a fresh render); refuse if they changed."""
    if not saved.redacted:
        return saved.plan
    changes = []
    for change in saved.plan.changes:
        if change.key in saved.redacted:
            real = rendered.get(change.key)
            if real is None or not matches_digests(real, change.desired or {}):
                raise Refused(f"{change.key}: its Secret values changed since the plan was made; plan again")
            body = dict(change.desired or {})
            for name in ("data", "stringData"):
                if name in real:
                    body[name] = real[name]
            change = Change(change.action, change.key, body, change.live)
        changes.append(change)
    plan = saved.plan
    return Plan(
        plan.environment,
        plan.parent,
        plan.parent_live,
        plan.inventory_before,
        plan.inventory_after,
        tuple(changes),
        desired_count=plan.desired_count,
    )


def moved(cluster: Cluster, plan: Plan, concurrency: int) -> list[str]:
    """What changed since the plan was made, one line per object; empty when the plan still holds."""
    found: list[str] = []
    parent_now = cluster.get(plan.parent.key)
    if _version(parent_now) != _version(plan.parent_live):
        found.append(f"{plan.parent.key} (the ApplySet parent: another apply ran since)")

    def check(change: Change) -> str | None:
        now = cluster.get(change.key, _api_version(change))
        if change.action is Action.CREATE:
            return f"{change.key} (now exists)" if now is not None else None
        if now is None:
            return f"{change.key} (deleted since)"
        if change.live is not None and (now.uid, now.resource_version) != (
            change.live.uid,
            change.live.resource_version,
        ):
            return f"{change.key} (resourceVersion {change.live.resource_version} → {now.resource_version})"
        return None

    def done(_: Change, future: Future[str | None]) -> None:
        if (line := future.result()) is not None:
            found.append(line)

    run_bounded(check, plan.changes, concurrency, done)
    return sorted(found)


def _api_version(change: Change) -> str | None:
    if change.desired is None:
        return None
    return str(change.desired.get("apiVersion", "")).rpartition("/")[2] or None


def _version(live: LiveObject | None) -> tuple[str, str] | None:
    return None if live is None else (live.uid, live.resource_version)


def _key(key: ObjectKey) -> dict[str, str]:
    return {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name}


def _live(live: LiveObject | None) -> dict[str, str] | None:
    return None if live is None else {"uid": live.uid, "resourceVersion": live.resource_version}


def _read_live(key: ObjectKey, doc: Mapping[str, str] | None) -> LiveObject | None:
    if doc is None:
        return None
    meta = {"name": key.name, "uid": doc["uid"], "resourceVersion": doc["resourceVersion"]}
    if key.namespace:
        meta["namespace"] = key.namespace
    api_version = f"{key.group}/v1" if key.group else "v1"  # identity only; never sent to the server
    return LiveObject(key, {"apiVersion": api_version, "kind": key.kind, "metadata": meta})


def _inventory(inventory: Inventory) -> dict[str, list[str]]:
    return {
        "groupKinds": sorted(str(gk) for gk in inventory.group_kinds),
        "namespaces": sorted(inventory.namespaces),
    }


def _read_inventory(doc: Mapping[str, Iterable[str]]) -> Inventory:
    kinds: frozenset[GroupKind] = frozenset(parse_group_kind(t) for t in doc["groupKinds"])
    return Inventory(kinds, frozenset(doc["namespaces"]))
