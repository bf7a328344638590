"""Toxiproxy for the fault tests: the server built by ``scripts/toxiproxy build``, driven over its HTTP API."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build() -> str:
    """The toxiproxy-server binary (built from its Go module if needed); raises when it cannot be built."""
    r = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "toxiproxy"), "build"], capture_output=True, text=True, timeout=900
    )
    if r.returncode != 0:
        raise RuntimeError(f"scripts/toxiproxy build failed:\n{r.stderr}")
    return r.stdout.strip().splitlines()[-1]


class Toxiproxy:
    def __init__(self, binary: str) -> None:
        self.api_port = _free_port()
        self.process = subprocess.Popen(
            [binary, "-host", "127.0.0.1", "-port", str(self.api_port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.injected: Counter = Counter()
        deadline = time.monotonic() + 20
        while True:
            try:
                self._call("GET", "/version")
                return
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("toxiproxy-server did not start") from None
                time.sleep(0.05)

    def _call(self, method: str, path: str, body: dict | None = None) -> object:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
        return json.loads(text) if text else None

    def proxy(self, name: str, upstream_port: int) -> int:
        """A proxy 127.0.0.1:<port> → 127.0.0.1:upstream_port; returns its port."""
        port = _free_port()
        self._call(
            "POST",
            "/proxies",
            {"name": name, "listen": f"127.0.0.1:{port}", "upstream": f"127.0.0.1:{upstream_port}", "enabled": True},
        )
        return port

    def toxic(self, proxy: str, name: str, kind: str, stream: str = "downstream", **attributes: object) -> None:
        self._call(
            "POST",
            f"/proxies/{proxy}/toxics",
            {"name": name, "type": kind, "stream": stream, "toxicity": 1.0, "attributes": attributes},
        )
        self.injected[kind] += 1

    def remove(self, proxy: str, name: str) -> None:
        self._call("DELETE", f"/proxies/{proxy}/toxics/{name}")

    def enable(self, proxy: str, enabled: bool) -> None:
        """Disabled: the listener is closed and every connection dropped (connection refused), as if the
        API server were down."""
        self._call("POST", f"/proxies/{proxy}", {"enabled": enabled})
        if not enabled:
            self.injected["down"] += 1

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
