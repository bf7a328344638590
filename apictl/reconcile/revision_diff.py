"""Compare two renders of a repository (git base vs head), without a cluster.

Per environment, objects are paired by group/kind/namespace/name: only in head = create, only in
base = prune, in both with different bodies = update with per-field changes (Secret values masked).
apictl's provenance annotations (source file:line, source commit) are bookkeeping and not compared.
The manifest summary says which APIs, subscriptions, plans, policies, applications and
environments were added, changed or removed, and which APIs changed lifecycle state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from apictl.model.bundle import Bundle, Document
from apictl.model.objects import RenderedObject
from apictl.reconcile.fielddiff import field_changes
from apictl.reconcile.plan import Action, Change
from apictl.reconcile.redact import masked_changes

PROVENANCE = ("apictl.io/source", "apictl.io/source-commit")


@dataclass(frozen=True, slots=True)
class EnvironmentDiff:
    environment: str
    changes: tuple[Change, ...]
    unchanged: int
    only_in: str | None = None
    """"base" or "head" when the environment exists in one revision only."""

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    def summary(self) -> str:
        return (
            f"Plan: {self.count(Action.CREATE)} to create, {self.count(Action.UPDATE)} to update, "
            f"{self.count(Action.PRUNE)} to prune."
        )


@dataclass(frozen=True, slots=True)
class ManifestChange:
    kind: str
    name: str
    change: str
    """added | removed | changed, or a lifecycle transition such as ``published → deprecated``."""


def _comparable(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = dict(body.get("metadata") or {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in PROVENANCE}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return {**body, "metadata": meta}


def compare_environment(
    environment: str, base: Iterable[RenderedObject] | None, head: Iterable[RenderedObject] | None
) -> EnvironmentDiff:
    before = {o.key: o for o in base or ()}
    after = {o.key: o for o in head or ()}
    creates, updates, prunes, unchanged = [], [], [], 0
    for key in sorted(after.keys() | before.keys()):
        new, old = after.get(key), before.get(key)
        if old is None:
            creates.append(Change(Action.CREATE, key, desired=new.body))  # type: ignore[union-attr]
        elif new is None:
            prunes.append(Change(Action.PRUNE, key))
        else:
            fields = field_changes(_comparable(old.body), _comparable(new.body))
            if fields:
                updates.append(Change(Action.UPDATE, key, desired=new.body, fields=masked_changes(key, fields)))
            else:
                unchanged += 1
    only_in = "head" if base is None else "base" if head is None else None
    ordered = sorted(creates + updates, key=lambda c: (c.wave, c.key)) + sorted(prunes, key=lambda c: (-c.wave, c.key))
    return EnvironmentDiff(environment, tuple(ordered), unchanged, only_in)


def _identity(doc: Document) -> tuple[str, str]:
    version = getattr(doc.manifest.spec, "version", None)
    name = f"{doc.name}@{version}" if doc.kind == "API" and version else doc.name
    return doc.kind, name


def manifest_changes(base: Bundle, head: Bundle) -> list[ManifestChange]:
    before = {_identity(d): d for d in base.documents}
    after = {_identity(d): d for d in head.documents}
    found = []
    for identity in sorted(before.keys() | after.keys()):
        old, new = before.get(identity), after.get(identity)
        kind, name = identity
        if old is None:
            found.append(ManifestChange(kind, name, "added"))
        elif new is None:
            found.append(ManifestChange(kind, name, "removed"))
        elif old.manifest != new.manifest:
            old_state = getattr(getattr(old.manifest.spec, "lifecycle", None), "state", None)
            new_state = getattr(getattr(new.manifest.spec, "lifecycle", None), "state", None)
            change = f"{old_state} → {new_state}" if old_state != new_state else "changed"
            found.append(ManifestChange(kind, name, change))
    return found
