"""HTTP to the API server: one pooled connection set, JSON in and out, bounded retries, request counts.

Retried, with exponential backoff (``BACKOFF_BASE`` doubling, capped at ``BACKOFF_CAP``, full jitter
between half and all of it) and at most ``MAX_ATTEMPTS`` tries: 429 (honouring Retry-After, capped at
30 s), 5xx other than schema errors, timeouts, refused and dropped connections, and TLS handshakes cut
off by a reset (certificate failures are not retried). With the defaults a request gives up after
5 tries and at most 7.5 s of backoff (plus Retry-After waits), so an API server restart of a few
seconds is ridden out, and a longer outage fails the request rather than hanging. Every request is idempotent here
(GET, server-side apply PATCH, DELETE with preconditions), so a retry never does something twice.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import urllib3
from kubernetes import client
from urllib3.exceptions import HTTPError as TransportFailure
from urllib3.exceptions import SSLError

from apictl import __version__
from apictl.cluster.errors import retryable, translate
from apictl.model.objects import ObjectKey
from apictl.reconcile.errors import ApiError, Unreachable

MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0


class Transport:
    def __init__(self, configuration: client.Configuration, *, timeout: float, pool_size: int) -> None:
        configuration.retries = False
        configuration.connection_pool_maxsize = pool_size
        self._configuration = configuration
        self._pool = client.ApiClient(configuration).rest_client.pool_manager
        self._timeout = urllib3.Timeout(connect=min(timeout, 15.0), read=timeout)
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.sleep = time.sleep

    @property
    def server(self) -> str:
        return str(self._configuration.host)

    def request(
        self,
        method: str,
        path: str,
        *,
        category: str,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        accept: str = "application/json",
        key: ObjectKey | None = None,
    ) -> Any:
        """The decoded JSON response; raises ApiError/Unreachable. ``category`` names the request in
        the counts (read, dry-run, write, discovery)."""
        url = self.server + path + (f"?{urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            headers = self._headers(accept, content_type if data is not None else None)
            with self._lock:
                self.counts[category] += 1
            try:
                response = self._pool.request(
                    method, url, body=data, headers=headers, timeout=self._timeout, retries=False
                )
            except SSLError as exc:
                if _certificate_problem(exc):
                    raise Unreachable(
                        f"TLS failure talking to {self.server}: {exc}", "check the kubeconfig's CA"
                    ) from None
                # a handshake cut off by a reset or a restart: retry
                if attempt == MAX_ATTEMPTS:
                    raise Unreachable(
                        f"no answer from {self.server} after {attempt} attempts: {type(exc).__name__}: {exc}",
                        "is the cluster up and reachable? (--request-timeout raises the per-request limit)",
                    ) from None
                self.sleep(self._backoff(attempt))
                continue
            except TransportFailure as exc:
                if attempt == MAX_ATTEMPTS:
                    raise Unreachable(
                        f"no answer from {self.server} after {attempt} attempts: {type(exc).__name__}: {exc}",
                        "is the cluster up and reachable? (--request-timeout raises the per-request limit)",
                    ) from None
                self.sleep(self._backoff(attempt))
                continue
            payload = _decode(response.data)
            if 200 <= response.status < 300:
                return payload
            error = translate(response.status, payload, key, response.headers.get("Retry-After"))
            if not retryable(error) or attempt == MAX_ATTEMPTS:
                raise error
            self.sleep(error.retry_after if error.retry_after is not None else self._backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _headers(self, accept: str, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": f"apictl/{__version__}"}
        if content_type:
            headers["Content-Type"] = content_type
        for setting in self._configuration.auth_settings().values():  # refreshes expiring tokens
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        return headers

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def _certificate_problem(exc: SSLError) -> bool:
    text = str(exc)
    return "CERTIFICATE_VERIFY_FAILED" in text or ("certificate" in text.lower() and "verify" in text.lower())


def _decode(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return {"message": data[:500].decode(errors="replace")}


__all__ = ["ApiError", "Transport"]
