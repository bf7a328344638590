"""KubeCluster: the cluster port implemented over the Kubernetes REST API."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from apictl.cluster.discovery import Discovery, Resource
from apictl.cluster.transport import Transport
from apictl.model.objects import GroupKind, ObjectKey, split_api_version
from apictl.reconcile.errors import ApiError, NotFound, Stale
from apictl.reconcile.ports import LiveObject

PAGE_SIZE = 500
"""kubectl's default --chunk-size."""
APPLY_PATCH = "application/apply-patch+yaml"
STALE_RETRIES = 3
"""Server-side applies without a resourceVersion that lose an optimistic-concurrency race (409) are re-sent."""
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"


class KubeCluster:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.discovery = Discovery(transport)

    @property
    def server(self) -> str:
        return self.transport.server

    def request_counts(self) -> dict[str, int]:
        return dict(sorted(self.transport.counts.items()))

    # --- the port ---------------------------------------------------------------------------

    def namespaced(self, gk: GroupKind) -> bool:
        return self.discovery.resource(gk).namespaced

    def list(
        self, gk: GroupKind, namespace: str, selector: str, version: str | None = None, *, metadata_only: bool = False
    ) -> Iterator[LiveObject]:
        res = self.discovery.resource(gk).with_version(version)
        accept = METADATA_LIST if metadata_only else "application/json"
        path = self._collection(res, namespace)
        query = {"limit": str(PAGE_SIZE)}
        if selector:
            query["labelSelector"] = selector
        restarted = False
        while True:
            try:
                page = self.transport.request("GET", path, category="read", query=query, accept=accept) or {}
            except ApiError as exc:
                if exc.status != 410 or restarted:  # continue token expired: start over once
                    raise
                restarted = True
                query.pop("continue", None)
                continue
            for item in page.get("items") or []:
                if metadata_only or "kind" not in item:  # PartialObjectMetadata, or built-in list items
                    item["apiVersion"], item["kind"] = res.api_version, res.kind
                yield LiveObject.of(item)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return
            query["continue"] = token

    def get(self, key: ObjectKey, version: str | None = None) -> LiveObject | None:
        res = self.discovery.resource(key.group_kind).with_version(version)
        try:
            body = self.transport.request("GET", self._item(res, key), category="read", key=key)
        except NotFound:
            return None
        return LiveObject.of(body)

    def apply(self, body: Mapping[str, Any], *, manager: str, force: bool = False, dry_run: bool = False) -> LiveObject:
        key = ObjectKey.of(body)
        res = self.discovery.resource(key.group_kind).with_version(split_api_version(str(body["apiVersion"]))[1])
        query = {"fieldManager": manager, "fieldValidation": "Strict"}
        if force:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        unconditional = not (body.get("metadata") or {}).get("resourceVersion")
        for attempt in range(1, STALE_RETRIES + 2):
            try:
                result = self.transport.request(
                    "PATCH",
                    self._item(res, key),
                    category="dry-run" if dry_run else "write",
                    query=query,
                    body=body,
                    content_type=APPLY_PATCH,
                    key=key,
                )
            except Stale:
                # 409 "the object has been modified" on an apply without a resourceVersion is a lost race
                # with another writer, not a precondition apictl set: applying again is safe
                if not unconditional or attempt > STALE_RETRIES:
                    raise
                continue
            return LiveObject.of(result)
        raise AssertionError("unreachable")  # pragma: no cover

    def delete(self, key: ObjectKey, *, uid: str, resource_version: str = "", dry_run: bool = False) -> None:
        res = self.discovery.resource(key.group_kind)
        preconditions = {"uid": uid, **({"resourceVersion": resource_version} if resource_version else {})}
        options = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": "Background",
            "preconditions": preconditions,
        }
        try:
            self.transport.request(
                "DELETE",
                self._item(res, key),
                category="dry-run" if dry_run else "write",
                query={"dryRun": "All"} if dry_run else None,
                body=options,
                key=key,
            )
        except NotFound:
            return

    # --- paths ------------------------------------------------------------------------------

    @staticmethod
    def _collection(res: Resource, namespace: str) -> str:
        if res.namespaced and namespace:
            return f"{res.prefix}/namespaces/{namespace}/{res.plural}"
        return f"{res.prefix}/{res.plural}"

    def _item(self, res: Resource, key: ObjectKey) -> str:
        return f"{self._collection(res, key.namespace)}/{key.name}"
