"""Wait until applied objects are accepted by their controllers, or one rejects them.

Polls with one LIST per (group/kind × namespace) per round, never a GET per object.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from apictl.model.objects import GroupKind, ObjectKey, split_api_version
from apictl.reconcile.health import Health, health
from apictl.reconcile.ports import Cluster

POLL_SECONDS = 1.0


def wait_for_acceptance(
    cluster: Cluster,
    applied: Mapping[ObjectKey, Mapping[str, Any]],
    selector: str,
    deadline: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[ObjectKey, Health]:
    """``applied``: key → the object the apply returned. Returns a settled Health per key, or the last
    pending Health for keys still pending at ``deadline``."""
    verdicts = {key: health(body) for key, body in applied.items()}
    versions = {key: split_api_version(str(body.get("apiVersion")))[1] for key, body in applied.items()}
    while True:
        pending = [key for key, h in verdicts.items() if not h.settled]
        if not pending or clock() >= deadline:
            return verdicts
        sleep(max(0.0, min(POLL_SECONDS, deadline - clock())))
        for key, body in _read(cluster, pending, versions, selector):
            verdicts[key] = health(body)


def _read(
    cluster: Cluster, keys: Iterable[ObjectKey], versions: Mapping[ObjectKey, str], selector: str
) -> Iterable[tuple[ObjectKey, Mapping[str, Any]]]:
    groups: dict[tuple[GroupKind, str], set[ObjectKey]] = defaultdict(set)
    for key in keys:
        groups[(key.group_kind, key.namespace)].add(key)
    for (gk, namespace), wanted in groups.items():
        version = versions[next(iter(wanted))]
        for live in cluster.list(gk, namespace, selector, version):
            if live.key in wanted:
                yield live.key, live.body
