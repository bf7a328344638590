"""Build a plan against a cluster: read live state once, decide locally, dry-run only what differs.

Requests, in order:

1. GET the ApplySet parent; refuse foreign or impersonated parents.
2. LIST every (group/kind × namespace) that may hold members — desired kinds, inventory kinds and
   the kinds the targets own, across desired and inventory namespaces — with the ``part-of``
   selector, in parallel and page by page. No per-object GET for objects that are members.
3. GET desired objects that are not members yet (new, or to adopt); a LIST instead when many are
   missing in one namespace.
4. Server-side dry-run apply (field manager ``apictl``) only for creates and for objects whose
   local check (``ownership.already_applied``) cannot prove the apply a no-op.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from apictl.model.objects import GroupKind, ObjectKey, RenderedObject, split_api_version
from apictl.reconcile import planner
from apictl.reconcile.applyset import PART_OF_LABEL, ParentRef, parent_for, read_parent, with_membership
from apictl.reconcile.concurrency import run_bounded
from apictl.reconcile.errors import ApiError, FieldConflict, Invalid, InvalidDesired, NotFound, Refused, UnknownKind
from apictl.reconcile.plan import Action, Change, ObjectFailure, Plan
from apictl.reconcile.ports import FIELD_MANAGER, Cluster, LiveObject
from apictl.reconcile.progress import SILENT, Observer
from apictl.reconcile.prune import prune_candidates

LIST_INSTEAD_OF_GETS = 50
"""Missing objects in one (kind, namespace) above which one LIST is cheaper than GETs."""

Scope = tuple[GroupKind, str, str | None]
"""(group/kind, namespace or "" for cluster scope, API version to read it in or None = preferred)."""


def build_plan(
    cluster: Cluster,
    *,
    environment: str,
    namespace: str,
    objects: Sequence[RenderedObject],
    owned: frozenset[GroupKind],
    force_conflicts: bool = False,
    concurrency: int = 8,
    observer: Observer = SILENT,
) -> Plan:
    parent = parent_for(environment, namespace)
    parent_live = cluster.get(parent.key)
    inventory = read_parent(parent_live, parent)
    desired = desired_bodies(cluster, objects, parent, namespace)
    scope, unservable, warnings = _scope(cluster, desired, inventory.group_kinds, inventory.namespaces, owned)

    decided: dict[ObjectKey, Change] = {}
    undecided: dict[ObjectKey, LiveObject] = {}
    others: list[LiveObject] = []

    def take(live: LiveObject) -> None:
        body = desired.get(live.key)
        if body is None:
            others.append(live.slim())
            return
        if planner.local_verdict(body, live) is Action.UNCHANGED:
            decided[live.key] = Change(Action.UNCHANGED, live.key, body, live.slim())
        else:
            undecided[live.key] = live

    def list_members(item: Scope) -> int:
        count = 0
        for live in cluster.list(item[0], item[1], parent.selector, item[2]):
            take(live)  # dict/list updates are atomic under the GIL; keys are unique per scope
            count += 1
        return count

    observer.phase("reading live objects", len(scope))
    run_bounded(list_members, scope, concurrency, lambda _, f: (f.result(), observer.advance()))

    missing = [key for key in desired if key not in decided and key not in undecided]
    _read_missing(cluster, missing, desired, parent, concurrency, undecided, observer)

    failures: list[ObjectFailure] = []
    to_predict = [k for k in desired if k not in decided]
    observer.phase("server-side dry-run", len(to_predict))

    def predict(key: ObjectKey) -> tuple[LiveObject, tuple[str, ...]]:
        try:
            return cluster.apply(desired[key], manager=FIELD_MANAGER, force=force_conflicts, dry_run=True), ()
        except FieldConflict as conflict:
            merged = cluster.apply(desired[key], manager=FIELD_MANAGER, force=True, dry_run=True)
            return merged, conflict.fields

    def predicted(key: ObjectKey, future: Future[tuple[LiveObject, tuple[str, ...]]]) -> None:
        observer.advance()
        try:
            merged, conflicts = future.result()
        except ApiError as exc:
            if not rejects_object(exc):
                raise
            failures.append(ObjectFailure(key, exc.message.removeprefix(f"{key}: ")))
            return
        live = undecided.get(key)
        if live is None:
            decided[key] = Change(Action.CREATE, key, desired[key])
            return
        if merged.api_version != live.api_version:  # read in another version: compare like with like
            live = cluster.get(key, split_api_version(merged.api_version)[1]) or live
        decided[key] = planner.decide(key, desired[key], live, merged.body, conflicts)

    run_bounded(predict, to_predict, concurrency, predicted)
    scan = prune_candidates(others, desired.keys(), owned, parent)
    return planner.assemble(
        environment=environment,
        parent=parent,
        parent_live=parent_live,
        inventory_before=inventory,
        decided=decided.values(),
        desired_keys=desired.keys(),
        scan=scan,
        failures=failures,
        warnings=warnings,
        unservable=unservable,
        scope=[(gk, ns) for gk, ns, _ in scope],
    )


def rejects_object(exc: ApiError) -> bool:
    """Whether the server rejected this one object (the others may go through), rather than failing."""
    return isinstance(exc, Invalid | NotFound) or exc.status in (400, 403, 404, 409, 422)


def desired_bodies(
    cluster: Cluster, objects: Iterable[RenderedObject], parent: ParentRef, namespace: str
) -> dict[ObjectKey, Mapping[str, Any]]:
    """Rendered bodies as apictl applies them: namespace defaulted, ApplySet label added."""
    result: dict[ObjectKey, Mapping[str, Any]] = {}
    namespaced: dict[GroupKind, bool] = {}
    for obj in objects:
        gk = obj.key.group_kind
        if gk not in namespaced:
            namespaced[gk] = cluster.namespaced(gk)
        body = with_membership(obj.body, parent)
        meta = body["metadata"]
        if namespaced[gk] and not meta.get("namespace"):
            body = {**body, "metadata": {**meta, "namespace": namespace}}
        elif not namespaced[gk] and meta.get("namespace"):
            raise InvalidDesired(f"{obj.key}: {gk} is cluster-scoped but the object names a namespace")
        result[ObjectKey.of(body)] = body
    return result


def _scope(
    cluster: Cluster,
    desired: Mapping[ObjectKey, Mapping[str, Any]],
    inventory_kinds: frozenset[GroupKind],
    inventory_namespaces: frozenset[str],
    owned: frozenset[GroupKind],
) -> tuple[list[Scope], frozenset[GroupKind], list[str]]:
    versions: dict[GroupKind, str] = {}
    for key, body in desired.items():
        versions.setdefault(key.group_kind, split_api_version(str(body.get("apiVersion")))[1])
    namespaces = sorted({k.namespace for k in desired if k.namespace} | inventory_namespaces)
    scope: list[Scope] = []
    unservable: set[GroupKind] = set()
    warnings: list[str] = []
    for gk in sorted(set(versions) | inventory_kinds | owned):
        try:
            namespaced = cluster.namespaced(gk)
        except UnknownKind:
            if gk in versions:
                raise
            if gk in inventory_kinds:
                unservable.add(gk)
                warnings.append(
                    f"the ApplySet records {gk} but the cluster does not serve it; its members cannot be listed or pruned"
                )
            continue
        version = versions.get(gk)
        scope += [(gk, ns, version) for ns in namespaces] if namespaced else [(gk, "", version)]
    return scope, frozenset(unservable), warnings


def _read_missing(
    cluster: Cluster,
    missing: list[ObjectKey],
    desired: Mapping[ObjectKey, Mapping[str, Any]],
    parent: ParentRef,
    concurrency: int,
    undecided: dict[ObjectKey, LiveObject],
    observer: Observer,
) -> None:
    """Find desired objects that exist without this set's label: to adopt, or to refuse (another set's)."""
    groups: dict[tuple[GroupKind, str], list[ObjectKey]] = defaultdict(list)
    for key in missing:
        groups[(key.group_kind, key.namespace)].append(key)
    gets = [k for keys in groups.values() if len(keys) <= LIST_INSTEAD_OF_GETS for k in keys]
    lists = [group for group, keys in groups.items() if len(keys) > LIST_INSTEAD_OF_GETS]
    wanted = set(missing)
    found: list[LiveObject] = []

    def version(key: ObjectKey) -> str:
        return split_api_version(str(desired[key].get("apiVersion")))[1]

    def read_group(group: tuple[GroupKind, str]) -> list[LiveObject]:
        first = groups[group][0]
        return [o for o in cluster.list(group[0], group[1], "", version(first)) if o.key in wanted]

    observer.phase("looking up new objects", len(gets) + len(lists))
    run_bounded(lambda k: cluster.get(k, version(k)), gets, concurrency, lambda _, f: _collect(found, [f.result()]))
    run_bounded(read_group, lists, concurrency, lambda _, f: _collect(found, f.result()))
    observer.advance(len(gets) + len(lists))
    foreign = [o for o in found if o.labels.get(PART_OF_LABEL) not in (None, parent.id)]
    if foreign:
        names = ", ".join(str(o.key) for o in foreign[:10]) + (" …" if len(foreign) > 10 else "")
        raise Refused(
            f"{len(foreign)} object(s) apictl would apply belong to another ApplySet: {names}",
            "an object belongs to at most one ApplySet; remove it from the other set first",
        )
    for live in found:
        undecided[live.key] = live


def _collect(into: list[LiveObject], items: Iterable[LiveObject | None]) -> None:
    into.extend(o for o in items if o is not None)
