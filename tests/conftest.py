"""pytest fixtures for the real Kubernetes control plane (kube-apiserver + etcd, scripts/k8senv).

Fixtures (request them by name; any test using one is marked ``k8s`` automatically):

- ``kube`` (session): a :class:`KubeEnv`; calls ``scripts/k8senv up`` (builds if needed). Fails,
  never skips, when the control plane cannot be started.
- ``k8s_client`` (session): a ``kubernetes.client.ApiClient`` for the admin (system:masters).
- ``namespace`` (function): name of a fresh, uniquely named namespace. Never deleted (with no
  kube-controller-manager a deleted namespace stays Terminating forever).
- ``set_status`` (session): ``set_status(obj_ref, conditions, observed_generation=None, *,
  status=None, parents=None, controller_name=...)`` writes the ``/status`` subresource.
- ``restricted_kubeconfig`` (session): ``restricted_kubeconfig(name, group=None) -> str``, a
  kubeconfig path for a client-certificate identity with no RBAC permissions.

Run offline tests only with ``pytest -m "not k8s"``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
K8SENV = REPO / "scripts" / "k8senv"
UP_TIMEOUT = float(os.environ.get("APICTL_K8SENV_UP_TIMEOUT", "3600"))  # includes a cold build
K8S_FIXTURES = {"kube", "k8s_client", "namespace", "set_status", "restricted_kubeconfig"}
DEFAULT_CONTROLLER = "example.com/apictl-test-controller"
STATUS_FIELD_MANAGER = "apictl-test-controller"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "k8s: needs the real Kubernetes control plane (scripts/k8senv); deselect with -m 'not k8s'",
    )


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if K8S_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.k8s)


def _k8senv(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(K8SENV), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _tail(text: str, n: int = 60) -> str:
    return "\n".join(text.splitlines()[-n:])


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class KubeEnv:
    """The running control plane. Paths are strings so they can go straight into env vars."""

    kubeconfig: str  # admin (CN=apictl-admin, O=system:masters)
    server: str  # https://127.0.0.1:PORT
    kubectl: str  # kubectl built from the same Kubernetes version
    ca_file: str
    state_dir: str
    log: str
    kubernetes_version: str
    _client: Any = field(default=None, repr=False)
    _resources: dict = field(default_factory=dict, repr=False)

    # -- clients ---------------------------------------------------------------------------
    @property
    def client(self):
        """Shared admin ``kubernetes.client.ApiClient``."""
        if self._client is None:
            self._client = self.api_client()
        return self._client

    def api_client(self, kubeconfig: str | None = None):
        """A new ``kubernetes.client.ApiClient`` for ``kubeconfig`` (default: admin)."""
        from kubernetes import config

        return config.new_client_from_config(config_file=kubeconfig or self.kubeconfig)

    def kubectl_run(
        self,
        *args: str,
        kubeconfig: str | None = None,
        check: bool = True,
        input: str | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess:
        """Run the built kubectl (text mode); raises AssertionError with its output if check fails."""
        env = dict(os.environ, KUBECONFIG=kubeconfig or self.kubeconfig)
        r = subprocess.run([self.kubectl, *args], env=env, capture_output=True, text=True, input=input, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def log_tail(self, n: int = 60) -> str:
        try:
            return _tail(Path(self.log).read_text(errors="replace"), n)
        except OSError:
            return f"(no log at {self.log})"

    # -- identities ------------------------------------------------------------------------
    def restricted_kubeconfig(self, name: str, group: str | Sequence[str] | None = None) -> str:
        """Kubeconfig path for a client-cert identity CN=name, O=each group. No RBAC bindings."""
        groups = [group] if isinstance(group, str) else list(group or [])
        args = ["identity", name]
        for g in groups:
            args += ["--group", g]
        r = _k8senv(*args)
        if r.returncode != 0:
            raise AssertionError(f"scripts/k8senv {' '.join(args)} failed:\n{r.stderr}")
        return r.stdout.strip().splitlines()[-1]

    # -- status ----------------------------------------------------------------------------
    def _resource(self, group: str, version: str, kind: str) -> tuple[str, bool, dict]:
        """(plural, namespaced, openAPI schema of .status) for a custom resource kind."""
        key = (group, version, kind)
        if key not in self._resources:
            from kubernetes import client

            rl = client.CustomObjectsApi(self.client).get_api_resources(group, version)
            res = next((r for r in rl.resources if r.kind == kind and "/" not in r.name), None)
            if res is None:
                raise LookupError(f"no resource of kind {kind} in {group}/{version}")
            # raw JSON (not the typed model, whose attribute names vary between client versions)
            crd = client.CustomObjectsApi(self.client).get_cluster_custom_object(
                "apiextensions.k8s.io", "v1", "customresourcedefinitions", f"{res.name}.{group}"
            )
            schema: dict = {}
            for v in crd["spec"]["versions"]:
                if v["name"] == version:
                    top = (v.get("schema") or {}).get("openAPIV3Schema") or {}
                    schema = (top.get("properties") or {}).get("status") or {}
            self._resources[key] = (res.name, bool(res.namespaced), schema)
        return self._resources[key]

    def set_status(
        self,
        obj_ref: Mapping[str, Any] | Sequence[str],
        conditions: Iterable[Mapping[str, Any] | Sequence[Any]] = (),
        observed_generation: int | None = None,
        *,
        status: Mapping[str, Any] | None = None,
        parents: Sequence[Mapping[str, Any]] | None = None,
        controller_name: str = DEFAULT_CONTROLLER,
    ) -> dict:
        """Write the /status subresource of a custom resource, as its controller would.

        obj_ref: the object as a dict (``apiVersion``, ``kind``, ``metadata.name`` and, if
        namespaced, ``metadata.namespace``), or a tuple ``(apiVersion, kind, namespace, name)``
        (namespace ``None`` for cluster-scoped kinds).

        conditions: dicts (``type`` required; ``status`` defaults to "True", booleans allowed;
        ``reason`` defaults to the type, or "Not<type>" when not True; ``message`` to "";
        ``lastTransitionTime`` to now; ``observedGeneration`` to ``observed_generation``) or
        tuples ``(type, status[, reason[, message]])``. Defaults are only filled in for fields
        the CRD's status schema has. ``observed_generation`` defaults to the object's current
        ``metadata.generation``; it is also written to ``status.observedGeneration`` when the
        schema has that field.

        Where the conditions go: ``status.conditions``; for Gateway API route kinds
        (``*Route`` in gateway.networking.k8s.io), or when ``parents`` is given, one
        ``status.parents[]`` entry per parent ref (default: the route's ``spec.parentRefs``)
        with ``controllerName`` and the conditions. ``status`` is merged on top (e.g.
        ``{"listeners": [...]}``) for anything else.

        The write is a JSON merge patch with ``fieldValidation=Strict`` (lists are replaced
        whole); returns the updated object.
        """
        from kubernetes import client

        if isinstance(obj_ref, Mapping):
            api_version, kind = obj_ref["apiVersion"], obj_ref["kind"]
            md = obj_ref.get("metadata") or {}
            ns, name = md.get("namespace"), md["name"]
        else:
            api_version, kind, ns, name = obj_ref
        group, _, version = api_version.rpartition("/")
        if not group:
            raise ValueError("set_status is for custom resources (apiVersion group/version)")
        plural, namespaced, schema = self._resource(group, version, kind)
        co = client.CustomObjectsApi(self.client)
        if namespaced:
            current = co.get_namespaced_custom_object(group, version, ns, plural, name)
        else:
            current = co.get_cluster_custom_object(group, version, plural, name)
        gen = current["metadata"].get("generation", 1)
        og = gen if observed_generation is None else observed_generation

        props = schema.get("properties") or {}
        if parents is None and group == "gateway.networking.k8s.io" and kind.endswith("Route"):
            parents = (current.get("spec") or {}).get("parentRefs") or []
        if parents is not None:
            parent_props = ((props.get("parents") or {}).get("items") or {}).get("properties") or {}
            cond_schema = (parent_props.get("conditions") or {}).get("items") or {}
        else:
            cond_schema = (props.get("conditions") or {}).get("items") or {}
        conds = [_condition(c, og, cond_schema) for c in conditions]

        new_status: dict = {}
        if parents is not None:
            new_status["parents"] = [
                {"parentRef": dict(p), "controllerName": controller_name, "conditions": conds} for p in parents
            ]
        elif conds or status is None:
            new_status["conditions"] = conds
        if "observedGeneration" in props and (observed_generation is not None or conds):
            new_status["observedGeneration"] = og
        new_status.update(status or {})

        kw = dict(
            field_manager=STATUS_FIELD_MANAGER, field_validation="Strict", _content_type="application/merge-patch+json"
        )
        body = {"status": new_status}
        if namespaced:
            return co.patch_namespaced_custom_object_status(group, version, ns, plural, name, body, **kw)
        return co.patch_cluster_custom_object_status(group, version, plural, name, body, **kw)


def _condition(c: Mapping[str, Any] | Sequence[Any], og: int, item_schema: Mapping[str, Any]) -> dict:
    if isinstance(c, Mapping):
        d = dict(c)
    else:
        keys = ("type", "status", "reason", "message")
        d = dict(zip(keys, c, strict=False))  # a condition may give only type and status
    if "type" not in d:
        raise ValueError(f"condition without a type: {c!r}")
    st = d.get("status", "True")
    if isinstance(st, bool):
        st = "True" if st else "False"
    d["status"] = st
    known = set((item_schema.get("properties") or {}).keys())
    permissive = not known  # no schema for the items: fill everything in

    def default(key: str, value: Any) -> None:
        if key not in d and (permissive or key in known):
            d[key] = value

    default("reason", d["type"] if st == "True" else f"Not{d['type']}")
    default("message", "")
    default("lastTransitionTime", _now())
    default("observedGeneration", og)
    return d


@pytest.fixture(scope="session")
def kube() -> KubeEnv:
    """Start (or reuse) the control plane with ``scripts/k8senv up``; fail with the reason."""
    try:
        import kubernetes  # noqa: F401
    except ImportError as e:
        pytest.fail(f"the `kubernetes` Python package is required for cluster tests ({e})", pytrace=False)
    try:
        r = _k8senv("up", timeout=UP_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        pytest.fail(
            f"scripts/k8senv up did not finish in {UP_TIMEOUT:.0f}s:\n{_tail(str(e.stderr or ''))}", pytrace=False
        )
    lines = r.stdout.strip().splitlines()
    if r.returncode != 0 or not lines or not lines[-1].startswith("export KUBECONFIG="):
        pytest.fail(
            f"scripts/k8senv up failed (exit {r.returncode}); the Kubernetes control plane could not "
            f"be started.\nstderr (tail):\n{_tail(r.stderr)}\nstdout:\n{_tail(r.stdout)}",
            pytrace=False,
        )
    started_here = "reusing the running control plane" not in r.stderr
    st = _k8senv("status", "--json")
    if st.returncode != 0:
        pytest.fail(
            f"scripts/k8senv status reports it unhealthy right after up:\n{st.stdout}\n{st.stderr}", pytrace=False
        )
    info = json.loads(st.stdout)
    env = KubeEnv(
        kubeconfig=lines[-1].split("=", 1)[1],
        server=info["server"],
        kubectl=info["kubectl"],
        ca_file=info["ca_file"],
        state_dir=info["state_dir"],
        log=info["log"],
        kubernetes_version=info["kubernetes_version"],
    )
    yield env
    if started_here and os.environ.get("APICTL_K8SENV_DOWN_AFTER") == "1":
        _k8senv("down")


@pytest.fixture(scope="session")
def k8s_client(kube: KubeEnv):
    """Admin ``kubernetes.client.ApiClient`` (group system:masters)."""
    return kube.client


@pytest.fixture
def namespace(kube: KubeEnv, request: pytest.FixtureRequest) -> str:
    """A fresh namespace named after the test; never deleted (no controller-manager runs)."""
    from kubernetes import client

    slug = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")[:44].strip("-") or "test"
    name = f"t-{slug}-{uuid.uuid4().hex[:8]}"
    client.CoreV1Api(kube.client).create_namespace(
        {"metadata": {"name": name, "labels": {"apictl.test/k8senv": "true"}}}
    )
    return name


@pytest.fixture(scope="session")
def set_status(kube: KubeEnv):
    """``set_status(obj_ref, conditions, observed_generation=None, *, status=None, parents=None,
    controller_name=...)``: see :meth:`KubeEnv.set_status`."""
    return kube.set_status


@pytest.fixture(scope="session")
def restricted_kubeconfig(kube: KubeEnv):
    """``restricted_kubeconfig(name, group=None) -> str``: kubeconfig path of an identity with no
    permissions (client cert CN=name, O=group; group may be a list)."""
    return kube.restricted_kubeconfig
