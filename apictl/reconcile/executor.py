"""Execute a plan: inventory first, then waves of server-side applies, then prune, then narrow.

1. Refuse before any write: objects the dry-run rejected, unforced conflicts, an unconfirmed
   prune of everything.
2. Widen the ApplySet parent to old ∪ new (kubectl's superset-before-apply), so an interruption at
   any later point leaves every member recorded.
3. Apply wave by wave (bounded threads inside a wave, a barrier between waves); with ``wait``, a
   wave must be accepted before the next starts. The first failed wave stops everything.
4. Only if every apply succeeded: prune in reverse wave order, deleting with uid preconditions.
5. Only if every prune succeeded: narrow the parent to exactly the new set.

Ctrl-C/SIGTERM: what has not started is cancelled, in-flight requests finish, nothing is pruned,
and :class:`Interrupted` carries what happened so far. Re-running converges.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from apictl.model.objects import ObjectKey
from apictl.reconcile.applyset import PARENT_FIELD_MANAGER, Inventory, parent_body, parent_is_current
from apictl.reconcile.concurrency import run_bounded
from apictl.reconcile.errors import (
    ApiError,
    ClusterError,
    FieldConflict,
    NotFound,
    ReconcileError,
    Refused,
    Stale,
    conflict_guide,
)
from apictl.reconcile.health import Verdict
from apictl.reconcile.plan import Action, Change, Plan
from apictl.reconcile.ports import FIELD_MANAGER, Cluster, LiveObject
from apictl.reconcile.wait import wait_for_acceptance


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    force_conflicts: bool = False
    dry_run: bool = False
    """Server-side dry-run: every request is sent with dryRun=All; nothing is persisted."""
    concurrency: int = 8
    prune: bool = True
    confirm_prune_all: bool = False
    wait: bool = False
    timeout: float = 300.0
    """Seconds --wait may take in total."""
    preconditions: bool = False
    """Saved plans: update and delete only if the objects still have the planned resourceVersion."""


class Status(StrEnum):
    APPLIED = "applied"
    PRUNED = "pruned"
    FAILED = "failed"
    REJECTED = "rejected"
    TIMED_OUT = "timed out"
    SKIPPED = "skipped"
    """Not attempted: an earlier wave failed, or the run was interrupted."""


FAILED_STATUSES = frozenset({Status.FAILED, Status.REJECTED, Status.TIMED_OUT})


@dataclass(frozen=True, slots=True)
class Outcome:
    change: Change
    status: Status
    message: str = ""
    live: LiveObject | None = None
    """APPLIED: the object as the server returned it (identity and metadata only)."""

    @property
    def key(self) -> ObjectKey:
        return self.change.key


class InventoryStep(StrEnum):
    UNCHANGED = "unchanged"
    WIDENED = "widened"
    NARROWED = "narrowed"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    outcomes: tuple[Outcome, ...]
    inventory: tuple[InventoryStep, ...] = ()
    pruned: bool = False
    """Whether the prune step ran to completion (False when skipped because of a failure)."""
    parent: LiveObject | None = None
    """The ApplySet parent as apictl last wrote (or read) it."""

    @property
    def ok(self) -> bool:
        return not any(o.status in FAILED_STATUSES for o in self.outcomes)

    @property
    def wrote(self) -> bool:
        """Whether anything was written (the inventory included)."""
        return bool(self.inventory) or any(o.status in (Status.APPLIED, Status.PRUNED) for o in self.outcomes)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)


class Interrupted(KeyboardInterrupt):
    def __init__(self, result: ApplyResult) -> None:
        super().__init__("interrupted")
        self.result = result


class ApplyObserver(Protocol):
    def phase(self, name: str, total: int) -> None: ...
    def advance(self, count: int = 1) -> None: ...
    def outcome(self, outcome: Outcome) -> None: ...


class _Quiet:
    def phase(self, name: str, total: int) -> None:
        return None

    def advance(self, count: int = 1) -> None:
        return None

    def outcome(self, outcome: Outcome) -> None:
        return None


@dataclass
class _Run:
    plan: Plan
    cluster: Cluster
    options: ApplyOptions
    observer: ApplyObserver
    outcomes: dict[ObjectKey, Outcome] = field(default_factory=dict)
    inventory: list[InventoryStep] = field(default_factory=list)
    pruned: bool = False
    recorded: Inventory | None = None
    """What the parent records after apictl wrote it in this run."""
    parent: LiveObject | None = None

    def result(self) -> ApplyResult:
        done = [self.outcomes.get(c.key) or Outcome(c, Status.SKIPPED) for c in self.plan.changes]
        return ApplyResult(tuple(done), tuple(self.inventory), self.pruned, self.parent or self.plan.parent_live)

    def record(self, outcome: Outcome) -> None:
        self.outcomes[outcome.key] = outcome
        self.observer.outcome(outcome)


def execute(plan: Plan, cluster: Cluster, options: ApplyOptions, observer: ApplyObserver | None = None) -> ApplyResult:
    observer = observer or _Quiet()
    refused = refusals(plan, options)
    if refused:
        for outcome in refused:
            if outcome.status is Status.FAILED:
                observer.outcome(outcome)
        return ApplyResult(tuple(refused))
    run = _Run(plan, cluster, options, observer)
    try:
        _execute(run)
    except KeyboardInterrupt:
        raise Interrupted(run.result()) from None
    return run.result()


def refusals(plan: Plan, options: ApplyOptions) -> list[Outcome]:
    """Reasons not to write anything at all, as FAILED outcomes (the rest SKIPPED); raises Refused
    for an unconfirmed prune of everything."""
    if options.prune and plan.prunes_everything and not options.confirm_prune_all:
        raise Refused(
            f"the environment renders no objects, so apply would prune all {len(plan.prunes)} members of the set",
            "re-run with --confirm-prune-all if deleting everything is intended",
        )
    failed = {f.key: f.message for f in plan.failures}
    if not options.force_conflicts:
        for change in plan.conflicted:
            failed[change.key] = conflict_guide(change.key, "conflict on " + ", ".join(change.conflicts))
    if not failed:
        return []
    outcomes = [Outcome(c, Status.FAILED, failed[c.key]) for c in plan.changes if c.key in failed]
    known = {o.key for o in outcomes}
    outcomes += [
        Outcome(Change(Action.CREATE, key), Status.FAILED, message)
        for key, message in failed.items()
        if key not in known
    ]
    outcomes += [Outcome(c, Status.SKIPPED) for c in plan.changes if c.key not in failed]
    return outcomes


def _execute(run: _Run) -> None:
    plan, options = run.plan, run.options
    writes = [c for c in plan.changes if c.action in (Action.CREATE, Action.UPDATE)]
    prunes = [c for c in plan.changes if c.action is Action.PRUNE] if options.prune else []
    final = plan.inventory_after if options.prune else plan.inventory_after.union(plan.inventory_before)
    if writes or prunes:
        superset = plan.inventory_before.union(plan.inventory_after)
        try:
            widened = _record(run, superset)
        except ReconcileError as exc:
            raise ClusterError(
                f"recording the ApplySet inventory failed, so nothing was applied and nothing was pruned: {exc.message}",
                exc.hint or "re-run when the cluster answers again",
            ) from None
        if widened:
            run.inventory.append(InventoryStep.WIDENED)
    deadline = time.monotonic() + options.timeout
    for wave in sorted({c.wave for c in writes}):
        batch = [c for c in writes if c.wave == wave]
        applied = _apply_wave(run, batch)
        if options.wait and not options.dry_run and applied:
            _wait(run, batch, applied, deadline)
        if any(run.outcomes[c.key].status in FAILED_STATUSES for c in batch if c.key in run.outcomes):
            return
    for wave in sorted({c.wave for c in prunes}, reverse=True):
        if not _prune_wave(run, [c for c in prunes if c.wave == wave]):
            return
    run.pruned = bool(options.prune)
    if plan.parent_live is None and not plan.desired_count:
        return
    try:
        if _record(run, final):
            run.inventory.append(InventoryStep.NARROWED)
    except ReconcileError as exc:  # kubectl: "apply and prune succeeded, but ApplySet update failed"
        raise ClusterError(
            f"apply and prune succeeded, but narrowing the ApplySet inventory failed: {exc.message}",
            "the inventory still records the superset, which is safe; the next apply narrows it",
        ) from None


def _record(run: _Run, inventory: Inventory) -> bool:
    """Server-side apply the parent with ``inventory`` unless it already says exactly that."""
    plan = run.plan
    if run.recorded is None and parent_is_current(plan.parent_live, plan.parent, inventory):
        return False
    if run.recorded == inventory:
        return False
    body = parent_body(plan.parent, inventory, plan.environment)
    run.observer.phase("recording the ApplySet inventory", 1)
    try:
        written = run.cluster.apply(body, manager=PARENT_FIELD_MANAGER, dry_run=run.options.dry_run)
    except FieldConflict:  # kubectl: the applyset manager should own these fields; take them back
        written = run.cluster.apply(body, manager=PARENT_FIELD_MANAGER, force=True, dry_run=run.options.dry_run)
    if not run.options.dry_run:
        run.parent = written.slim()
    run.observer.advance()
    run.recorded = inventory
    return True


def _apply_wave(run: _Run, batch: list[Change]) -> dict[ObjectKey, Mapping[str, Any]]:
    applied: dict[ObjectKey, Mapping[str, Any]] = {}
    options = run.options
    run.observer.phase("applying", len(batch))

    def apply(change: Change) -> Mapping[str, Any]:
        body = change.desired or {}
        if options.preconditions and change.live is not None:
            body = {**body, "metadata": {**body["metadata"], "resourceVersion": change.live.resource_version}}
        return run.cluster.apply(
            body, manager=FIELD_MANAGER, force=options.force_conflicts, dry_run=options.dry_run
        ).body

    def done(change: Change, future: Future[Mapping[str, Any]]) -> None:
        run.observer.advance()
        try:
            applied[change.key] = future.result()
        except ReconcileError as exc:
            run.record(Outcome(change, Status.FAILED, _explain(change, exc)))
            return
        if not options.wait or options.dry_run:
            run.record(Outcome(change, Status.APPLIED, live=_identity(applied[change.key])))

    run_bounded(apply, batch, options.concurrency, done)
    return applied


def _wait(run: _Run, batch: list[Change], applied: dict[ObjectKey, Mapping[str, Any]], deadline: float) -> None:
    run.observer.phase("waiting for acceptance", len(applied))
    verdicts = wait_for_acceptance(run.cluster, applied, run.plan.parent.selector, deadline)
    for change in batch:
        if change.key not in applied:
            continue
        h = verdicts[change.key]
        if h.verdict is Verdict.REJECTED:
            run.record(Outcome(change, Status.REJECTED, h.message))
        elif h.verdict is Verdict.PENDING:
            run.record(Outcome(change, Status.TIMED_OUT, h.message or "not accepted before the timeout"))
        else:
            run.record(Outcome(change, Status.APPLIED, live=_identity(applied[change.key])))
    run.observer.advance(len(applied))


def _prune_wave(run: _Run, batch: list[Change]) -> bool:
    options = run.options
    run.observer.phase("pruning", len(batch))
    failed = False

    def delete(change: Change) -> None:
        live = change.live
        assert live is not None
        rv = live.resource_version if options.preconditions else ""
        run.cluster.delete(change.key, uid=live.uid, resource_version=rv, dry_run=options.dry_run)

    def done(change: Change, future: Future[None]) -> None:
        nonlocal failed
        run.observer.advance()
        try:
            future.result()
        except NotFound:
            pass
        except ReconcileError as exc:
            failed = True
            run.record(Outcome(change, Status.FAILED, _explain(change, exc)))
            return
        run.record(Outcome(change, Status.PRUNED))

    run_bounded(delete, batch, options.concurrency, done)
    return not failed


def _identity(body: Mapping[str, Any]) -> LiveObject:
    return LiveObject.of(body).slim()


def _explain(change: Change, exc: ReconcileError) -> str:
    if isinstance(exc, FieldConflict):
        return conflict_guide(change.key, exc.message)
    if isinstance(exc, Stale):
        return f"{exc.message} (it changed after the plan was made; plan again)"
    if isinstance(exc, ApiError) and exc.hint:
        return f"{exc.message} ({exc.hint})"
    return exc.message
