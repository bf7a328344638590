"""Test hook: ``APICTL_TEST_SIGTERM_AFTER_WRITES=N`` makes apictl send itself SIGTERM right after its
N-th write request (the ApplySet parent counts), to test interruption at exact points. Unset in
normal use; it only ever wraps the cluster, never changes what apictl does."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Mapping
from typing import Any

from apictl.reconcile.ports import Cluster, LiveObject

ENV = "APICTL_TEST_SIGTERM_AFTER_WRITES"


def wrap(cluster: Cluster) -> Cluster:
    value = os.environ.get(ENV)
    return _SigtermAfterWrites(cluster, int(value)) if value else cluster


class _SigtermAfterWrites:
    def __init__(self, inner: Cluster, after: int) -> None:
        self._inner = inner
        self._after = after
        self._count = 0
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _wrote(self) -> None:
        with self._lock:
            self._count += 1
            if self._count == self._after:
                os.kill(os.getpid(), signal.SIGTERM)

    def apply(self, body: Mapping[str, Any], *, manager: str, force: bool = False, dry_run: bool = False) -> LiveObject:
        result = self._inner.apply(body, manager=manager, force=force, dry_run=dry_run)
        if not dry_run:
            self._wrote()
        return result

    def delete(self, key: Any, *, uid: str, resource_version: str = "", dry_run: bool = False) -> None:
        self._inner.delete(key, uid=uid, resource_version=resource_version, dry_run=dry_run)
        if not dry_run:
            self._wrote()
