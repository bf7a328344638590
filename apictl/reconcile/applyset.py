"""ApplySet ownership (KEP-3659) exactly as kubectl implements it.

A parent object per environment (a ConfigMap in the environment's namespace) carries
``applyset.kubernetes.io/id`` plus annotations recording the inventory: which group/kinds and which
namespaces may hold members. Every member carries ``applyset.kubernetes.io/part-of=<id>``. The id is
``applyset-<base64url(sha256(name.namespace.kind.group))>-v1``, binding it to the parent so that
copying another set's id onto a parent is detected ("ID impersonation").

The inventory is widened to old ∪ new before any write and narrowed to the new set only after a
successful prune, so an interrupted run never orphans a member (kubectl ``BeforeApply``/``Prune``).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from apictl import __version__
from apictl.model.objects import GroupKind, ObjectKey
from apictl.reconcile.errors import InvalidDesired, Refused
from apictl.reconcile.ports import LiveObject

ID_LABEL = "applyset.kubernetes.io/id"
PART_OF_LABEL = "applyset.kubernetes.io/part-of"
TOOLING_ANNOTATION = "applyset.kubernetes.io/tooling"
GROUP_KINDS_ANNOTATION = "applyset.kubernetes.io/contains-group-kinds"
DEPRECATED_GROUP_RESOURCES_ANNOTATION = "applyset.kubernetes.io/contains-group-resources"
NAMESPACES_ANNOTATION = "applyset.kubernetes.io/additional-namespaces"

TOOL = "apictl"
TOOLING = f"{TOOL}/v{__version__}"
PARENT_FIELD_MANAGER = f"{TOOL}-applyset"
"""kubectl's convention: ``<tool>-applyset`` manages the parent's ApplySet fields."""
ENVIRONMENT_LABEL = "apictl.io/environment"


def applyset_id(name: str, namespace: str, kind: str, group: str) -> str:
    digest = hashlib.sha256(f"{name}.{namespace}.{kind}.{group}".encode()).digest()
    return f"applyset-{base64.urlsafe_b64encode(digest).decode().rstrip('=')}-v1"


@dataclass(frozen=True, slots=True)
class ParentRef:
    name: str
    namespace: str
    kind: str = "ConfigMap"
    group: str = ""

    @property
    def key(self) -> ObjectKey:
        return ObjectKey(self.group, self.kind, self.namespace, self.name)

    @property
    def id(self) -> str:
        return applyset_id(self.name, self.namespace, self.kind, self.group)

    @property
    def selector(self) -> str:
        """The label selector of the members."""
        return f"{PART_OF_LABEL}={self.id}"

    def kubectl_flag(self) -> str:
        """What to pass to ``kubectl apply --applyset=`` (with ``-n <namespace>``)."""
        resource = {"ConfigMap": "configmaps", "Secret": "secrets"}[self.kind]
        return f"{resource}/{self.name}"


def parent_for(environment: str, namespace: str) -> ParentRef:
    return ParentRef(f"apictl-applyset-{environment}", namespace)


def parse_group_kind(text: str) -> GroupKind:
    """kubectl's ``schema.ParseGroupKind``: ``Kind.group`` (the first dot separates)."""
    kind, _, group = text.partition(".")
    return GroupKind(group, kind)


@dataclass(frozen=True, slots=True)
class Inventory:
    """Where members may live: group/kinds, and namespaces (the parent's own included)."""

    group_kinds: frozenset[GroupKind] = frozenset()
    namespaces: frozenset[str] = frozenset()

    @classmethod
    def of(cls, keys: Iterable[ObjectKey], parent_namespace: str) -> Inventory:
        keys = list(keys)
        namespaces = {k.namespace for k in keys if k.namespace} | {parent_namespace}
        return cls(frozenset(k.group_kind for k in keys), frozenset(namespaces))

    def union(self, other: Inventory) -> Inventory:
        return Inventory(self.group_kinds | other.group_kinds, self.namespaces | other.namespaces)

    def group_kinds_annotation(self) -> str:
        return ",".join(sorted(str(gk) for gk in self.group_kinds))

    def namespaces_annotation(self, parent_namespace: str) -> str:
        return ",".join(sorted(self.namespaces - {parent_namespace}))


def read_parent(parent: LiveObject | None, ref: ParentRef) -> Inventory:
    """The recorded inventory; refuses parents of other tools and parents whose id is not theirs."""
    if parent is None:
        return Inventory(frozenset(), frozenset({ref.namespace}))
    where = f"ApplySet parent {ref.key}"
    annotations = parent.metadata.get("annotations") or {}
    tooling = annotations.get(TOOLING_ANNOTATION)
    if tooling is None:
        raise Refused(
            f"{where} already exists and is missing required annotation {TOOLING_ANNOTATION!r}",
            "apictl only adopts parents it created; rename or delete that object",
        )
    owner = tooling.rsplit("/", 1)[0] if "/" in tooling else tooling
    if owner != TOOL:
        raise Refused(
            f"{where} already exists and is managed by tooling {owner!r} instead of {TOOL!r}",
            "another tool owns this ApplySet; apictl will not change or prune its members",
        )
    found = parent.labels.get(ID_LABEL)
    if found is None:
        raise Refused(f"{where} exists and does not have required label {ID_LABEL}")
    if found != ref.id:
        raise Refused(
            f"{where} exists and has incorrect value for label {ID_LABEL!r} (got: {found}, want: {ref.id})",
            "an ApplySet id that does not match its parent could make a prune delete another set's objects",
        )
    if GROUP_KINDS_ANNOTATION not in annotations:
        raise Refused(f"{where} has no {GROUP_KINDS_ANNOTATION!r} annotation; apictl cannot tell its members")
    kinds = annotations[GROUP_KINDS_ANNOTATION]
    group_kinds = frozenset(parse_group_kind(t) for t in kinds.split(",") if t)
    extra = annotations.get(NAMESPACES_ANNOTATION, "")
    namespaces = frozenset(n for n in extra.split(",") if n) | {ref.namespace}
    return Inventory(group_kinds, namespaces)


def parent_body(ref: ParentRef, inventory: Inventory, environment: str) -> dict[str, Any]:
    """What apictl server-side applies (as ``apictl-applyset``) to record ``inventory``."""
    return {
        "apiVersion": f"{ref.group}/v1" if ref.group else "v1",
        "kind": ref.kind,
        "metadata": {
            "name": ref.name,
            "namespace": ref.namespace,
            "labels": {ID_LABEL: ref.id, ENVIRONMENT_LABEL: environment, "app.kubernetes.io/managed-by": TOOL},
            "annotations": {
                TOOLING_ANNOTATION: TOOLING,
                GROUP_KINDS_ANNOTATION: inventory.group_kinds_annotation(),
                NAMESPACES_ANNOTATION: inventory.namespaces_annotation(ref.namespace),
            },
        },
    }


def parent_is_current(parent: LiveObject | None, ref: ParentRef, inventory: Inventory) -> bool:
    """Whether the live parent already records exactly ``inventory`` with this apictl version."""
    if parent is None:
        return False
    annotations = parent.metadata.get("annotations") or {}
    return (
        annotations.get(TOOLING_ANNOTATION) == TOOLING
        and annotations.get(GROUP_KINDS_ANNOTATION) == inventory.group_kinds_annotation()
        and annotations.get(NAMESPACES_ANNOTATION, "") == inventory.namespaces_annotation(ref.namespace)
        and DEPRECATED_GROUP_RESOURCES_ANNOTATION not in annotations
    )


def with_membership(body: Mapping[str, Any], ref: ParentRef) -> dict[str, Any]:
    """The body with the part-of label; input that already carries it is refused (like kubectl)."""
    labels = (body.get("metadata") or {}).get("labels") or {}
    if PART_OF_LABEL in labels or ID_LABEL in labels:
        raise InvalidDesired(
            f"{ObjectKey.of(body)}: ApplySet label {PART_OF_LABEL!r} already set in input data",
            "apictl adds ApplySet labels itself; remove them from the rendered object",
        )
    metadata = dict(body.get("metadata") or {})
    metadata["labels"] = {**labels, PART_OF_LABEL: ref.id}
    return {**body, "metadata": metadata}
