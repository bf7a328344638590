"""The plan: one Change per object, derived from the pair (desired | None, live | None)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from apictl.model.objects import GroupKind, ObjectKey
from apictl.reconcile.applyset import Inventory, ParentRef
from apictl.reconcile.fielddiff import FieldChange
from apictl.reconcile.order import wave_of
from apictl.reconcile.ports import LiveObject


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    PRUNE = "prune"


@dataclass(frozen=True, slots=True)
class Change:
    action: Action
    key: ObjectKey
    desired: Mapping[str, Any] | None = None
    """The body apictl applies (ApplySet label included); None for PRUNE."""
    live: LiveObject | None = None
    """The live object's identity and metadata (uid, resourceVersion); None for CREATE."""
    fields: tuple[FieldChange, ...] = ()
    """UPDATE: what would change on the server (normalised live vs dry-run result), Secret values masked."""
    conflicts: tuple[str, ...] = ()
    """Fields other managers own with other values: applying needs --force-conflicts."""

    @property
    def wave(self) -> int:
        return wave_of(self.key.group_kind)


@dataclass(frozen=True, slots=True)
class ObjectFailure:
    """An object the server rejected while planning (strict validation, admission, permissions)."""

    key: ObjectKey
    message: str


@dataclass(frozen=True, slots=True)
class Plan:
    environment: str
    parent: ParentRef
    parent_live: LiveObject | None
    inventory_before: Inventory
    """What the live parent records (empty when there is no parent yet)."""
    inventory_after: Inventory
    """What it records after a successful run: desired objects plus members that stay (stranded, kept)."""
    changes: tuple[Change, ...]
    """CREATE/UPDATE in wave order, then PRUNE in reverse wave order."""
    unchanged: tuple[LiveObject, ...] = ()
    """Objects already as desired (identity and resourceVersion of each, as read)."""
    failures: tuple[ObjectFailure, ...] = ()
    stranded: tuple[ObjectKey, ...] = ()
    """Members of kinds no target owns any more: never pruned."""
    warnings: tuple[str, ...] = ()
    desired_count: int = 0
    scope: tuple[tuple[GroupKind, str], ...] = ()
    """The (group/kind, namespace) pairs listed to find members."""

    def of(self, action: Action) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is action)

    @property
    def creates(self) -> tuple[Change, ...]:
        return self.of(Action.CREATE)

    @property
    def updates(self) -> tuple[Change, ...]:
        return self.of(Action.UPDATE)

    @property
    def prunes(self) -> tuple[Change, ...]:
        return self.of(Action.PRUNE)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def prunes_everything(self) -> bool:
        """Nothing is desired but members would be deleted: needs explicit confirmation."""
        return self.desired_count == 0 and bool(self.prunes)

    @property
    def conflicted(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.conflicts)

    def summary(self) -> str:
        return f"Plan: {len(self.creates)} to create, {len(self.updates)} to update, {len(self.prunes)} to prune."
