"""Helpers for the diff/apply tests against the real control plane (scripts/k8senv).

- ``Apictl``: run apictl in this process (``run``) or as a real process (``process``), pointed
  at the test cluster through ``KUBECONFIG``.
- ``assetco_repo``: a copy of examples/assetco whose ``dev`` environment deploys into the test
  namespace (and the maintenance API's backend into a second, per-test namespace).
- ``FixtureTarget``: a tiny render target (ConfigMap + HTTPRoute per REST API, plus an optional
  Secret) swapped in for ``envoy-gateway`` through the registry, to exercise exact shapes.
- ``members``/``parent``: what the cluster holds for an ApplySet, read with the plain client.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "assetco"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class Apictl:
    kubeconfig: str
    capsys: Any = None
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *argv: str) -> Result:
        """apictl in this process (fast); needs ``capsys``."""
        from apictl.cli import invoke

        old = os.environ.get("KUBECONFIG")
        os.environ["KUBECONFIG"] = self.kubeconfig
        self.capsys.readouterr()
        try:
            code = invoke(list(argv))
        finally:
            if old is None:
                os.environ.pop("KUBECONFIG", None)
            else:
                os.environ["KUBECONFIG"] = old
        out, err = self.capsys.readouterr()
        return Result(int(code), out, err)

    def process(self, *argv: str, env: dict[str, str] | None = None, timeout: float = 180) -> Result:
        """apictl as a real process, exactly as a user runs it."""
        proc = subprocess.run(
            [sys.executable, "-m", "apictl", *argv],
            env={**os.environ, "NO_COLOR": "1", "KUBECONFIG": self.kubeconfig, **self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


# --- repositories ----------------------------------------------------------------------------


OWNED = [
    "HTTPRoute.gateway.networking.k8s.io",
    "ReferenceGrant.gateway.networking.k8s.io",
    "HTTPRouteFilter.gateway.envoyproxy.io",
    "SecurityPolicy.gateway.envoyproxy.io",
    "BackendTrafficPolicy.gateway.envoyproxy.io",
    "Backend.gateway.envoyproxy.io",
    "Queue.rabbitmq.com",
    "Exchange.rabbitmq.com",
    "Binding.rabbitmq.com",
    "User.rabbitmq.com",
    "Permission.rabbitmq.com",
    "TopicPermission.rabbitmq.com",
    "Policy.rabbitmq.com",
]
"""Kinds the example's dev environment renders (envoy-gateway + rabbitmq)."""


def rendered_keys(render_json: dict) -> set[tuple]:
    """(Kind.group, namespace, name) of every object in `apictl render -o json` output."""
    keys = set()
    for item in render_json["items"]:
        group = item["apiVersion"].rpartition("/")[0]
        keys.add(
            (
                f"{item['kind']}.{group}" if group else item["kind"],
                item["metadata"]["namespace"],
                item["metadata"]["name"],
            )
        )
    return keys


def assetco_repo(tmp_path: Path, namespace: str, backend_namespace: str, name: str = "repo") -> Path:
    root = tmp_path / name
    shutil.copytree(EXAMPLE, root)
    env = root / "environments" / "dev.yaml"
    env.write_text(env.read_text().replace("namespace: assetco-dev", f"namespace: {namespace}"))
    api = root / "apis" / "maintenance.yaml"
    api.write_text(api.read_text().replace("namespace: maintenance", f"namespace: {backend_namespace}"))
    return root


def edit_documents(path: Path, change: Callable[[dict], dict | None]) -> None:
    """Rewrite a multi-document YAML file; ``change`` returns the new document or None to drop it."""
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    kept = [new for d in docs if (new := change(d)) is not None]
    if kept:
        path.write_text(yaml.safe_dump_all(kept, sort_keys=False))
    else:
        path.unlink()


def remove_api(repo: Path, api: str) -> None:
    """Remove an API and every subscription to it."""
    for file in (repo / "apis").glob("*.yaml"):
        edit_documents(file, lambda d: None if d["metadata"]["name"] == api else d)
    for file in (repo / "subscriptions").glob("*.yaml"):
        edit_documents(file, lambda d: None if d["spec"]["api"]["name"] == api else d)


def gateway_only(repo: Path) -> Path:
    """Drop the broker from the dev environment, and the event API with it."""
    remove_api(repo, "asset-events")
    edit_documents(
        repo / "environments" / "dev.yaml",
        lambda d: {**d, "spec": {k: v for k, v in d["spec"].items() if k != "broker"}},
    )
    return repo


def set_environment_namespace(repo: Path, namespace: str) -> None:
    env = repo / "environments" / "dev.yaml"
    env.write_text(re.sub(r"namespace: \S+", f"namespace: {namespace}", env.read_text(), count=1))


# --- a fixture target ------------------------------------------------------------------------


@dataclass
class FixtureTarget:
    """Renders, per REST API deployed to the environment, a ConfigMap and an HTTPRoute; plus a Secret
    ``fixture-credentials`` with ``secret`` as its value when set."""

    secret: str | None = None
    name: str = "envoy-gateway"
    role: str = "gateway"

    @property
    def kinds(self) -> frozenset:
        from apictl.model.objects import GroupKind

        return frozenset(
            {GroupKind("", "ConfigMap"), GroupKind("", "Secret"), GroupKind("gateway.networking.k8s.io", "HTTPRoute")}
        )

    def render(self, ctx: Any) -> None:
        env_doc = ctx.environment_doc
        for api, doc in ctx.apis("rest"):
            name = f"{api.metadata.name}-v{api.spec.version.split('.')[0]}"
            ctx.emit(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": ctx.namespace},
                    "data": {"version": api.spec.version, "basePath": api.spec.base_path or "/"},
                },
                doc,
                api=api.metadata.name,
            )
            ctx.emit(
                {
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "kind": "HTTPRoute",
                    "metadata": {"name": name, "namespace": ctx.namespace},
                    "spec": {
                        "parentRefs": [{"name": "eg", "namespace": "infra", "sectionName": "https"}],
                        "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": api.spec.base_path or "/"}}]}],
                    },
                },
                doc,
                api=api.metadata.name,
            )
        if self.secret is not None:
            ctx.emit(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": "fixture-credentials", "namespace": ctx.namespace},
                    "stringData": {"token": self.secret},
                },
                env_doc,
            )


def use_fixture_target(monkeypatch: Any, target: FixtureTarget) -> None:
    """Make ``envoy-gateway`` render ``target`` (in this process only). Environment snapshots are
    turned off: they assume rendering depends only on the repository and apictl's own code."""
    import apictl.render.registry as registry

    monkeypatch.setenv("APICTL_CACHE", "off")
    real = registry.targets

    def patched() -> dict:
        found = dict(real())
        found[target.name] = target
        return found

    monkeypatch.setattr(registry, "targets", patched)


# --- reading the cluster ---------------------------------------------------------------------

PART_OF = "applyset.kubernetes.io/part-of"
ID = "applyset.kubernetes.io/id"


def parent(kube: Any, namespace: str, env: str = "dev") -> dict | None:
    r = kube.kubectl_run("get", "configmap", f"apictl-applyset-{env}", "-n", namespace, "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def labelled(kube: Any, kinds: Iterable[str], namespaces: Iterable[str], selector: str) -> dict[tuple, dict]:
    """(kind, namespace, name) → object for every object of ``kinds`` matching ``selector``."""
    found: dict[tuple, dict] = {}
    for ns in namespaces:
        r = kube.kubectl_run("get", ",".join(kinds), "-n", ns, "-l", selector, "-o", "json")
        for item in json.loads(r.stdout)["items"]:
            group = item["apiVersion"].rpartition("/")[0]
            kind = f"{item['kind']}.{group}" if group else item["kind"]
            found[(kind, ns, item["metadata"]["name"])] = item
    return found


def members(kube: Any, namespaces: Iterable[str], set_id: str, kinds: Iterable[str]) -> dict[tuple, dict]:
    return labelled(kube, kinds, namespaces, f"{PART_OF}={set_id}")


def create_namespace(kube: Any, name: str) -> str:
    kube.kubectl_run("create", "namespace", name, check=False)
    return name
