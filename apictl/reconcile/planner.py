"""The pure planner: decisions on (desired, live, merged) triples, and the plan they add up to.

No I/O here. ``build.build_plan`` feeds it live objects read through the cluster port and the
server-side dry-run results; unit tests feed it recorded objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from typing import Any

from apictl.model.objects import GroupKind, ObjectKey
from apictl.reconcile.applyset import Inventory, ParentRef
from apictl.reconcile.fielddiff import field_changes
from apictl.reconcile.normalize import normalized
from apictl.reconcile.ownership import already_applied
from apictl.reconcile.plan import Action, Change, ObjectFailure, Plan
from apictl.reconcile.ports import FIELD_MANAGER, LiveObject
from apictl.reconcile.prune import PruneScan
from apictl.reconcile.redact import masked_changes


def local_verdict(desired: Mapping[str, Any], live: LiveObject | None) -> Action | None:
    """CREATE, UNCHANGED, or None when only a server-side dry-run can tell."""
    if live is None:
        return Action.CREATE
    if already_applied(desired, live.body, FIELD_MANAGER):
        return Action.UNCHANGED
    return None


def decide(
    key: ObjectKey,
    desired: Mapping[str, Any],
    live: LiveObject,
    merged: Mapping[str, Any],
    conflicts: tuple[str, ...] = (),
) -> Change:
    """UPDATE with the fields that would change (normalised live vs merged), or UNCHANGED."""
    changes = field_changes(normalized(live.body), normalized(merged))
    if not changes:
        return Change(Action.UNCHANGED, key, desired, live.slim())
    return Change(Action.UPDATE, key, desired, live.slim(), masked_changes(key, changes), conflicts)


def assemble(
    *,
    environment: str,
    parent: ParentRef,
    parent_live: LiveObject | None,
    inventory_before: Inventory,
    decided: Iterable[Change],
    desired_keys: Set[ObjectKey],
    scan: PruneScan,
    failures: Iterable[ObjectFailure] = (),
    warnings: Iterable[str] = (),
    unservable: Set[GroupKind] = frozenset(),
    scope: Iterable[tuple[GroupKind, str]] = (),
) -> Plan:
    decided = list(decided)
    writes = sorted((c for c in decided if c.action in (Action.CREATE, Action.UPDATE)), key=lambda c: (c.wave, c.key))
    prunes = sorted(
        (Change(Action.PRUNE, live.key, None, live) for live in scan.candidates), key=lambda c: (-c.wave, c.key)
    )
    staying = [*desired_keys, *(o.key for o in scan.stranded), *(o.key for o in scan.kept)]
    after = Inventory.of(staying, parent.namespace)
    # kinds the cluster no longer serves cannot be listed, so their members (if any) stay recorded
    after = Inventory(after.group_kinds | (inventory_before.group_kinds & unservable), after.namespaces)
    return Plan(
        environment=environment,
        parent=parent,
        parent_live=parent_live,
        inventory_before=inventory_before,
        inventory_after=after,
        changes=(*writes, *prunes),
        unchanged=tuple(sorted((c.live for c in decided if c.action is Action.UNCHANGED and c.live), key=_key)),
        failures=tuple(sorted(failures, key=lambda f: f.key)),
        stranded=tuple(o.key for o in scan.stranded),
        warnings=tuple(warnings),
        desired_count=len(desired_keys),
        scope=tuple(scope),
    )


def _key(live: LiveObject) -> ObjectKey:
    return live.key
