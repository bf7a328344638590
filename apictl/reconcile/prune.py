"""What would be pruned: one query shared by ``diff`` (to show it) and ``apply`` (to do it).

A prune candidate is a live object that carries this set's ``part-of`` label, is not desired any
more, and has a kind the environment's targets own. Members of kinds no target owns any more are
never deleted: they are reported as *stranded* and stay in the inventory so nothing is orphaned.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass

from apictl.model.objects import GroupKind, ObjectKey
from apictl.reconcile.applyset import PART_OF_LABEL, ParentRef
from apictl.reconcile.ports import LiveObject

KEEP_ANNOTATION = "apictl.io/prune"
"""``apictl.io/prune: "false"`` on a live object keeps it out of every prune."""


@dataclass(frozen=True, slots=True)
class PruneScan:
    candidates: tuple[LiveObject, ...]
    stranded: tuple[LiveObject, ...]
    """Members whose kind no target owns: kept, and kept in the inventory."""
    kept: tuple[LiveObject, ...]
    """Members annotated apictl.io/prune=false."""


def prune_candidates(
    members: Iterable[LiveObject], desired: Set[ObjectKey], owned: Set[GroupKind], parent: ParentRef
) -> PruneScan:
    candidates: list[LiveObject] = []
    stranded: list[LiveObject] = []
    kept: list[LiveObject] = []
    for live in sorted(members, key=lambda o: o.key):
        if live.labels.get(PART_OF_LABEL) != parent.id or live.key in desired:
            continue
        if live.metadata.get("deletionTimestamp"):
            continue  # already being deleted
        if live.key.group_kind not in owned:
            stranded.append(live)
        elif ((live.metadata.get("annotations") or {}).get(KEEP_ANNOTATION)) == "false":
            kept.append(live)
        else:
            candidates.append(live)
    return PruneScan(tuple(candidates), tuple(stranded), tuple(kept))
