"""Which group/kinds the cluster serves, under which resource names, versions and scopes.

Aggregated discovery (``/api`` and ``/apis`` as APIGroupDiscoveryList: two requests for the whole
cluster), falling back to legacy per-group discovery on servers without it. Refreshed once when a
kind is not found, in case its CRD was installed a moment ago.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from apictl.cluster.transport import Transport
from apictl.model.objects import GroupKind
from apictl.reconcile.errors import UnknownKind

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"


@dataclass(frozen=True, slots=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    def with_version(self, version: str | None) -> Resource:
        if not version or version == self.version:
            return self
        return Resource(self.group, version, self.plural, self.kind, self.namespaced)

    @property
    def prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


class Discovery:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._lock = threading.Lock()
        self._kinds: dict[GroupKind, Resource] | None = None

    def resource(self, gk: GroupKind) -> Resource:
        """The preferred version's resource for ``gk``; raises UnknownKind."""
        with self._lock:
            if self._kinds is None or gk not in self._kinds:
                self._kinds = self._load()
            found = self._kinds.get(gk)
        if found is None:
            raise UnknownKind(
                f"the cluster does not serve {gk}",
                "is its CRD installed? (`kubectl api-resources` lists what the cluster serves)",
            )
        return found

    def _load(self) -> dict[GroupKind, Resource]:
        kinds: dict[GroupKind, Resource] = {}
        for path in ("/api", "/apis"):
            doc = self._transport.request("GET", path, category="discovery", accept=AGGREGATED)
            if (doc or {}).get("kind") == "APIGroupDiscoveryList":
                kinds.update(_aggregated(doc))
            else:
                kinds.update(self._legacy(path, doc or {}))
        return kinds

    def _legacy(self, path: str, doc: dict) -> dict[GroupKind, Resource]:
        found: dict[GroupKind, Resource] = {}
        if path == "/api":
            targets = [("", v) for v in reversed(doc.get("versions") or [])]
        else:
            targets = []
            for group in doc.get("groups") or []:
                preferred = (group.get("preferredVersion") or {}).get("version")
                others = [v["version"] for v in group.get("versions") or [] if v["version"] != preferred]
                targets += [(group["name"], v) for v in [*reversed(others), preferred] if v]
        for group, version in targets:  # preferred last: it wins
            prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
            listing = self._transport.request("GET", prefix, category="discovery") or {}
            for res in listing.get("resources") or []:
                if "/" not in res["name"]:
                    found[GroupKind(group, res["kind"])] = Resource(
                        group, version, res["name"], res["kind"], bool(res.get("namespaced"))
                    )
        return found


def _aggregated(doc: dict) -> dict[GroupKind, Resource]:
    found: dict[GroupKind, Resource] = {}
    for group in doc.get("items") or []:
        name = (group.get("metadata") or {}).get("name", "")
        for version in reversed(group.get("versions") or []):  # first listed = preferred: insert it last
            for res in version.get("resources") or []:
                kind = (res.get("responseKind") or {}).get("kind")
                if not kind:
                    continue
                found[GroupKind(name, kind)] = Resource(
                    name, version["version"], res["resource"], kind, res.get("scope") == "Namespaced"
                )
    return found
