"""Recognise "nothing changed since apictl last verified this environment" without rendering.

After a successful apply (or a diff that found nothing to do) apictl knows exactly what the cluster
held: the ApplySet parent and every member, each with its uid and resourceVersion, as apictl itself
read or wrote them. A *snapshot* is a digest of those identities plus the (kind, namespace) pairs
that were listed. Any later write by anyone — an edit, a status update, a deletion, a new member,
another apply — changes some resourceVersion or the set, and with it the digest.

The next run compares the snapshot with metadata-only LISTs of the same scope; together with an
unchanged repository (checked by the caller) a match proves the plan would be empty. Argo CD
reuses diff results while live resourceVersions are unchanged for the same reason.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass

from apictl.model.objects import GroupKind
from apictl.reconcile.applyset import ParentRef
from apictl.reconcile.concurrency import run_bounded
from apictl.reconcile.executor import ApplyResult, Status
from apictl.reconcile.plan import Action, Plan
from apictl.reconcile.ports import Cluster, LiveObject


@dataclass(frozen=True, slots=True)
class Snapshot:
    parent: ParentRef
    scope: tuple[tuple[GroupKind, str], ...]
    digest: str
    objects: int


def digest(parent: LiveObject | None, members: Iterable[LiveObject]) -> str:
    lines = sorted(f"{m.key}\t{m.uid}\t{m.resource_version}" for m in members)
    head = "-" if parent is None else f"{parent.key}\t{parent.uid}\t{parent.resource_version}"
    return hashlib.sha256("\n".join([head, *lines]).encode()).hexdigest()


def after_diff(plan: Plan) -> Snapshot | None:
    """The snapshot of a plan with nothing to do (None when there is something to do)."""
    if plan.has_changes or plan.failures or plan.stranded or plan.warnings or plan.parent_live is None:
        return None
    return Snapshot(plan.parent, plan.scope, digest(plan.parent_live, plan.unchanged), len(plan.unchanged))


def after_apply(plan: Plan, result: ApplyResult) -> Snapshot | None:
    """The snapshot after a fully successful apply with prune (None otherwise)."""
    if not result.ok or not result.pruned or plan.failures or plan.stranded or plan.warnings or result.parent is None:
        return None
    members = list(plan.unchanged)
    for outcome in result.outcomes:
        if outcome.change.action is Action.PRUNE:
            continue
        if outcome.status is not Status.APPLIED or outcome.live is None:
            return None
        members.append(outcome.live)
    return Snapshot(plan.parent, plan.scope, digest(result.parent, members), len(members))


def still_current(cluster: Cluster, snapshot: Snapshot, concurrency: int) -> bool:
    """Whether the cluster still holds exactly what the snapshot recorded (metadata-only reads)."""
    parent = cluster.get(snapshot.parent.key)
    members: list[LiveObject] = []

    def read(item: tuple[GroupKind, str]) -> list[LiveObject]:
        return list(cluster.list(item[0], item[1], snapshot.parent.selector, metadata_only=True))

    def done(_: tuple[GroupKind, str], future: Future[list[LiveObject]]) -> None:
        members.extend(future.result())

    run_bounded(read, snapshot.scope, concurrency, done)
    return digest(parent, members) == snapshot.digest
