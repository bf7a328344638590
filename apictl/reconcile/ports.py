"""The cluster port: the five operations reconcile needs, declared by the package that consumes them.

``apictl.cluster.KubeCluster`` implements it against a real API server; nothing in ``reconcile``
imports ``kubernetes``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from apictl.model.objects import GroupKind, ObjectKey

FIELD_MANAGER = "apictl"
"""The one server-side apply field manager apictl uses for the objects it renders, forever."""


@dataclass(frozen=True, slots=True)
class LiveObject:
    """An object as the API server returned it (possibly slimmed to its metadata)."""

    key: ObjectKey
    body: Mapping[str, Any]

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> LiveObject:
        return cls(ObjectKey.of(body), body)

    @property
    def metadata(self) -> Mapping[str, Any]:
        return self.body.get("metadata") or {}

    @property
    def uid(self) -> str:
        return str(self.metadata.get("uid", ""))

    @property
    def resource_version(self) -> str:
        return str(self.metadata.get("resourceVersion", ""))

    @property
    def labels(self) -> Mapping[str, str]:
        return self.metadata.get("labels") or {}

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    def slim(self) -> LiveObject:
        """Only identity and metadata that decisions need; drops spec, data, status and managedFields."""
        meta = self.metadata
        keep = {
            k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "generation", "labels") if k in meta
        }
        if "deletionTimestamp" in meta:
            keep["deletionTimestamp"] = meta["deletionTimestamp"]
        annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if not k.startswith("kubectl.")}
        if annotations:
            keep["annotations"] = annotations
        return LiveObject(self.key, {"apiVersion": self.api_version, "kind": self.key.kind, "metadata": keep})


class Cluster(Protocol):
    """What reconcile asks of a cluster. Implementations retry what can succeed on retry, and raise
    the errors of :mod:`apictl.reconcile.errors`."""

    def namespaced(self, gk: GroupKind) -> bool:
        """Whether the kind is namespaced; raises UnknownKind when the cluster does not serve it."""
        ...

    def list(
        self, gk: GroupKind, namespace: str, selector: str, version: str | None = None, *, metadata_only: bool = False
    ) -> Iterable[LiveObject]:
        """Every object of ``gk`` in ``namespace`` ("" = cluster-scoped or all) matching the label selector;
        with ``metadata_only``, only apiVersion, kind and metadata of each."""
        ...

    def get(self, key: ObjectKey, version: str | None = None) -> LiveObject | None:
        """The live object, or None when it does not exist."""
        ...

    def apply(self, body: Mapping[str, Any], *, manager: str, force: bool = False, dry_run: bool = False) -> LiveObject:
        """Server-side apply (strict field validation); with dry_run, the merged object nothing persisted."""
        ...

    def delete(self, key: ObjectKey, *, uid: str, resource_version: str = "", dry_run: bool = False) -> None:
        """Delete with preconditions (uid, and resourceVersion when given); already gone is not an error."""
        ...
