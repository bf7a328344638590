"""One writer at a time: a coordination.k8s.io/v1 Lease ``apictl-lock-<env>`` in the environment's namespace.

``apply`` (and ``apply --plan``) holds it for the whole run: created with POST (fails if someone else
holds it), renewed with PUT under a resourceVersion precondition every ``RENEW_SECONDS`` by a daemon
thread, and deleted with uid/resourceVersion preconditions on exit. A killed run cannot delete it, so it
carries an expiry: a Lease whose ``renewTime`` is older than ``leaseDurationSeconds`` is taken over
(PUT under the resourceVersion that was read, so two runs cannot both take over the same stale Lease).
So is a Lease whose holder is an apictl process on this host that no longer exists (holderIdentity
``apictl@<hostname>/<pid>``): a SIGKILLed run, or one whose release failed because the cluster was
unreachable, does not block the next run on the same machine for the rest of the expiry.

Verbs used: get, create, update, delete on ``leases`` (what ``apictl rbac`` grants).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apictl.cluster.transport import Transport
from apictl.reconcile.errors import ApiError, ClusterError, NotFound, Refused

LEASE_SECONDS = 60
RENEW_SECONDS = 20.0
PREFIX = "apictl-lock-"


def lease_name(environment: str) -> str:
    return f"{PREFIX}{environment}"


def identity() -> str:
    return f"apictl@{socket.gethostname()}/{os.getpid()}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _micro(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Holder:
    identity: str
    renewed: dt.datetime | None
    duration: int

    @property
    def expires(self) -> dt.datetime | None:
        return self.renewed + dt.timedelta(seconds=self.duration) if self.renewed else None

    def expired(self, now: dt.datetime) -> bool:
        return self.expires is None or self.expires <= now

    def abandoned(self) -> bool:
        """Held by an apictl process on this host that no longer exists (killed, or its release failed)."""
        host, _, pid = self.identity.removeprefix("apictl@").rpartition("/")
        if not self.identity.startswith("apictl@") or host != socket.gethostname() or not pid.isdigit():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> Holder:
        spec = body.get("spec") or {}
        renewed = _parse(spec.get("renewTime")) or _parse(spec.get("acquireTime"))
        return cls(str(spec.get("holderIdentity") or ""), renewed, int(spec.get("leaseDurationSeconds") or 0))


class LeaseLock:
    """``with LeaseLock(transport, namespace, environment):`` holds the environment's lock or raises Refused."""

    def __init__(
        self,
        transport: Transport,
        namespace: str,
        environment: str,
        *,
        holder: str | None = None,
        duration: int = LEASE_SECONDS,
        renew_every: float = RENEW_SECONDS,
    ) -> None:
        self.transport = transport
        self.namespace = namespace
        self.name = lease_name(environment)
        self.holder = holder or identity()
        self.duration = duration
        self.renew_every = renew_every
        self.lost: str | None = None
        """Set by the renew thread when the lock could not be renewed (someone else holds it now)."""
        self._body: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()

    @property
    def where(self) -> str:
        return f"Lease {self.namespace}/{self.name}"

    @property
    def _collection(self) -> str:
        return f"/apis/coordination.k8s.io/v1/namespaces/{self.namespace}/leases"

    def _spec(self, acquired: str | None = None, transitions: int = 0) -> dict[str, Any]:
        now = _micro(_now())
        return {
            "holderIdentity": self.holder,
            "leaseDurationSeconds": self.duration,
            "acquireTime": acquired or now,
            "renewTime": now,
            "leaseTransitions": transitions,
        }

    # --- acquire / release ----------------------------------------------------------------------

    def acquire(self) -> None:
        body = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {"app.kubernetes.io/managed-by": "apictl"},
            },
            "spec": self._spec(),
        }
        try:
            self._body = self.transport.request("POST", self._collection, category="lock", body=body)
        except NotFound:
            raise ClusterError(
                f"cannot take the apply lock: namespace {self.namespace!r} does not exist",
                "create the environment's namespace first",
            ) from None
        except ApiError as exc:
            if exc.status != 409:
                raise
            self._take_over()
        self._start_renewing()

    def _take_over(self) -> None:
        current = self.transport.request("GET", f"{self._collection}/{self.name}", category="lock")
        holder = Holder.of(current)
        if holder.identity == self.holder:  # our own create, retried after a lost answer
            self._body = current
            return
        now = _now()
        if not holder.expired(now) and not holder.abandoned():
            expires = holder.expires
            assert expires is not None
            raise Refused(
                f"another apply holds the lock on this environment: {holder.identity or 'unknown'} "
                f"({self.where}, renewed {_micro(holder.renewed or now)[:19]}Z, expires "
                f"{_micro(expires)[:19]}Z, in {max(0, int((expires - now).total_seconds()))}s, unless renewed)",
                "wait for that run to finish; a killed run's lock expires by itself "
                f"(or delete it: kubectl delete lease {self.name} -n {self.namespace})",
            )
        spec = current.get("spec") or {}
        body = {
            **current,
            "spec": self._spec(transitions=int(spec.get("leaseTransitions") or 0) + 1),
        }
        try:
            self._body = self.transport.request("PUT", f"{self._collection}/{self.name}", category="lock", body=body)
        except ApiError as exc:
            if exc.status != 409:
                raise
            raise Refused(
                f"another apply took over the expired lock on this environment first ({self.where})",
                "wait for that run to finish",
            ) from None

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._mutex:
            body, self._body = self._body, None
        if body is None or self.lost:
            return
        meta = body.get("metadata") or {}
        options = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "preconditions": {"uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion")},
        }
        with contextlib.suppress(ClusterError):  # taken over, or the cluster is gone: it expires by itself
            self.transport.request("DELETE", f"{self._collection}/{self.name}", category="lock", body=options)

    # --- renewing -------------------------------------------------------------------------------

    def _start_renewing(self) -> None:
        self._thread = threading.Thread(target=self._renew_loop, name="apictl-lease", daemon=True)
        self._thread.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.renew_every):
            try:
                self.renew()
            except ClusterError as exc:
                if isinstance(exc, ApiError) and exc.status == 409:
                    self.lost = f"the lock was taken over by another run: {exc.message}"
                    return
                # transient: the next tick tries again; the Lease outlives a few missed renewals

    def renew(self) -> None:
        with self._mutex:
            if self._body is None:
                return
            spec = self._body.get("spec") or {}
            body = {**self._body, "spec": {**spec, "renewTime": _micro(_now())}}
            path = f"{self._collection}/{self.name}"
            try:
                self._body = self.transport.request("PUT", path, category="lock", body=body)
            except ApiError as exc:
                if exc.status != 409:
                    raise
                current = self.transport.request("GET", path, category="lock")  # our retried PUT landed?
                if Holder.of(current).identity != self.holder:
                    raise
                self._body = current

    def __enter__(self) -> LeaseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
