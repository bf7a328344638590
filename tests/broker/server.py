"""A private RabbitMQ node for tests: Debian's rabbitmq-server, on loopback, in a temporary directory.

Nothing is shared with a system-wide RabbitMQ: own node name, own free ports (AMQP, management,
Erlang distribution, and an epmd started here), own config, cookie (HOME), Mnesia and log
directories. Install the server with ``scripts/install-rabbitmq``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

SBIN = Path(os.environ.get("APICTL_RABBITMQ_SBIN", "/usr/lib/rabbitmq/bin"))
EPMD = os.environ.get("APICTL_EPMD", "epmd")
PLUGINS = ("rabbitmq_management",)
START_TIMEOUT = float(os.environ.get("APICTL_RABBITMQ_START_TIMEOUT", "60"))


class BrokerError(RuntimeError):
    """The broker could not be started; the message says why (with the log's tail)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no {path.name})"


@dataclass
class RabbitServer:
    base: Path
    amqp_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    epmd_port: int = field(default_factory=free_port)
    admin_user: str = "apictl-admin"
    admin_password: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    node: str = field(default_factory=lambda: f"apictl-test-{os.getpid()}@localhost")
    _server: subprocess.Popen | None = None
    _epmd: subprocess.Popen | None = None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log_file(self) -> Path:
        return self.base / "log" / f"{self.node}.log"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.base / "home"),  # the Erlang cookie lives here
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def write_config(self) -> None:
        for sub in ("home", "mnesia", "log"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq-env.conf").write_text("")
        (self.base / "enabled_plugins").write_text(f"[{','.join(PLUGINS)}].\n")
        (self.base / "rabbitmq.conf").write_text(
            "\n".join(
                [
                    f"listeners.tcp.1 = 127.0.0.1:{self.amqp_port}",
                    "management.tcp.ip = 127.0.0.1",
                    f"management.tcp.port = {self.http_port}",
                    f"default_user = {self.admin_user}",
                    f"default_pass = {self.admin_password}",
                    "default_user_tags.administrator = true",
                    "disk_free_limit.absolute = 10MB",
                    "collect_statistics_interval = 500",
                    "log.console = false",
                    "log.file.level = info",
                    "",
                ]
            )
        )

    def start(self) -> None:
        server = SBIN / "rabbitmq-server"
        if not server.exists():
            raise BrokerError(
                f"{server} not found: RabbitMQ is not installed. Run `scripts/install-rabbitmq` "
                "(apt-get install rabbitmq-server)"
            )
        self.write_config()
        env = self.env()
        self._epmd = subprocess.Popen(
            [EPMD, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        with (self.base / "server.out").open("wb") as out:
            self._server = subprocess.Popen(
                [str(server)], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise BrokerError(f"rabbitmq-server exited with {self._server.returncode}:\n{self.diagnostics()}")
            if self._ready():
                return
            time.sleep(0.2)
        raise BrokerError(f"rabbitmq-server was not ready after {START_TIMEOUT:.0f}s:\n{self.diagnostics()}")

    def _ready(self) -> bool:
        token = base64.b64encode(f"{self.admin_user}:{self.admin_password}".encode()).decode()
        request = urllib.request.Request(f"{self.http_url}/api/overview", headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return bool(json.loads(response.read()).get("node"))
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def ctl(self, *args: str) -> str:
        """Run rabbitmqctl against this node; its stdout."""
        result = subprocess.run(
            [str(SBIN / "rabbitmqctl"), "-n", self.node, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise BrokerError(f"rabbitmqctl {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def diagnostics(self) -> str:
        return f"--- server output\n{_tail(self.base / 'server.out')}\n--- {self.log_file.name}\n{_tail(self.log_file)}"

    def stop(self) -> None:
        """Stop the node (rabbitmqctl stop, then SIGKILL of its process group) and our epmd."""
        if self._server is not None and self._server.poll() is None:
            try:
                subprocess.run(
                    [str(SBIN / "rabbitmqctl"), "-n", self.node, "stop"],
                    env=self.env(),
                    capture_output=True,
                    timeout=30,
                )
                self._server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            if self._server.poll() is None:
                os.killpg(self._server.pid, signal.SIGKILL)
                self._server.wait(timeout=10)
        if self._server is not None:
            # helpers the node spawned (erl_child_setup, inet_gethost) share its process group
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._server.pid, signal.SIGKILL)
        if self._epmd is not None and self._epmd.poll() is None:
            self._epmd.terminate()
            self._epmd.wait(timeout=10)

    def remove(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)
