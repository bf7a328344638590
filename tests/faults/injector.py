"""An HTTP-level fault injector in front of the test API server.

It terminates TLS with the API server's own certificate (SAN 127.0.0.1, signed by the k8senv CA in
``<state_dir>/pki``), so kubeconfigs that trust the k8senv CA trust it, and forwards every request to
the real API server authenticated as the admin (``pki/admin.crt``). Rules decide, per request, to
answer with a fault instead (or after a delay); ``injected`` counts the faults by kind.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Rule:
    """Answer matching requests with ``status`` (or forward after ``delay`` seconds when status is None).

    ``method``/``path`` are regular expressions matched against the method and the path with its query;
    ``times`` bounds how many requests the rule hits (None: every one); ``after`` skips that many
    matching requests first; ``on_hit`` runs (in the proxy thread) when the rule fires."""

    kind: str
    method: str = ".*"
    path: str = ".*"
    status: int | None = None
    reason: str = ""
    message: str = ""
    retry_after: str | None = None
    delay: float = 0.0
    times: int | None = None
    after: int = 0
    on_hit: Callable[[], None] | None = None
    seen: int = 0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if not re.fullmatch(self.method, method) or not re.search(self.path, path):
            return False
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True


@dataclass
class Injector:
    upstream: str
    pki: Path
    rules: list[Rule] = field(default_factory=list)
    injected: Counter = field(default_factory=Counter)
    requests: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def add(self, rule: Rule) -> Rule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def pick(self, method: str, path: str) -> Rule | None:
        with self._lock:
            self.requests[method] += 1
            for rule in self.rules:
                if rule.matches(method, path):
                    self.injected[rule.kind] += 1
                    return rule
        return None

    # --- serving ----------------------------------------------------------------------------------

    def start(self) -> Injector:
        injector = self
        upstream = urlsplit(self.upstream)
        client_ctx = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        client_ctx.load_cert_chain(str(self.pki / "admin.crt"), str(self.pki / "admin.key"))
        local = threading.local()

        def connection(fresh: bool = False) -> http.client.HTTPSConnection:
            conn = getattr(local, "conn", None)
            if conn is None or fresh:
                if conn is not None:
                    conn.close()
                conn = http.client.HTTPSConnection(upstream.hostname, upstream.port, context=client_ctx, timeout=120)
                local.conn = conn
            return conn

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return None

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                rule = injector.pick(self.command, self.path)
                if rule is not None:
                    if rule.on_hit is not None:
                        rule.on_hit()
                    if rule.delay:
                        time.sleep(rule.delay)
                    if rule.status is not None:
                        self._fault(rule)
                        return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                headers.pop("Authorization", None)
                for attempt in (1, 2):
                    try:
                        conn = connection(fresh=attempt == 2)
                        conn.request(self.command, self.path, body=body, headers=headers)
                        response = conn.getresponse()
                        data = response.read()
                        break
                    except (OSError, http.client.HTTPException):
                        if attempt == 2:
                            self.send_error(502)
                            return
                self.send_response(response.status)
                for k, v in response.getheaders():
                    if k.lower() not in HOP_HEADERS:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _fault(self, rule: Rule) -> None:
                status = {
                    "apiVersion": "v1",
                    "kind": "Status",
                    "status": "Failure",
                    "message": rule.message or f"injected {rule.kind}",
                    "reason": rule.reason,
                    "code": rule.status,
                }
                data = json.dumps(status).encode()
                self.send_response(rule.status)
                self.send_header("Content-Type", "application/json")
                if rule.retry_after is not None:
                    self.send_header("Retry-After", rule.retry_after)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(str(self.pki / "apiserver.crt"), str(self.pki / "apiserver.key"))

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self) -> tuple[socket.socket, object]:
                sock, addr = super().get_request()
                return server_ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

            def handle_error(self, request: object, client_address: object) -> None:
                return None  # resets and timeouts are the point here

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="fault-injector", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
