"""apictl rbac: the printed Role is exactly what diff/plan/apply need.

Offline: golden output for the example, plural names checked against the CRD files. Against the real
control plane: the whole diff/apply flow (create, no-op diff, change, prune across two namespaces)
runs as a client-certificate identity bound to nothing but the printed Role(s), and a write outside
the Role is refused with 403 → exit 4. ApplySet id impersonation and a parent owned by another tool
are refused by ``tests/test_diff_apply_e2e.py::test_an_impersonated_applyset_id_is_refused`` and
``::test_a_parent_owned_by_another_tool_is_refused`` (and ``test_reconcile_applyset.py`` offline).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from cluster_testkit import (
    EXAMPLE,
    OWNED,
    Apictl,
    FixtureTarget,
    assetco_repo,
    create_namespace,
    members,
    remove_api,
    use_fixture_target,
)

from apictl.model.objects import GroupKind
from apictl.reconcile.applyset import applyset_id
from apictl.reconcile.rbac import manifests
from apictl.render.plurals import RESOURCES, Resource, UnknownResource, resource
from apictl.render.registry import targets

GOLDEN = Path(__file__).parent / "golden" / "rbac"
CRDS = Path(os.environ.get("APICTL_CRDS_DIR", "/work/shared/crds"))


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "apictl", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


# --- offline --------------------------------------------------------------------------------------


def test_the_example_dev_role_matches_the_golden_file_and_needs_no_cluster(tmp_path: Path) -> None:
    result = _cli("rbac", str(EXAMPLE), "--env", "dev", env={"KUBECONFIG": str(tmp_path / "missing")})
    assert result.returncode == 0, result.stderr
    golden = (GOLDEN / "assetco-dev.yaml").read_text()
    assert result.stdout == golden.replace("examples/assetco", str(EXAMPLE)) or result.stdout == golden
    assert "2 role(s) for environment 'dev': assetco-dev, maintenance" in result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert [(d["kind"], d["metadata"]["namespace"]) for d in docs] == [
        ("Role", "assetco-dev"),
        ("Role", "maintenance"),
    ]
    # the example binding is in comments: applying the stream never binds anything by itself
    assert "# kind: RoleBinding" in result.stdout and "\nkind: RoleBinding" not in result.stdout


def test_the_example_prod_role_as_json_matches_the_golden_file() -> None:
    result = _cli("rbac", str(EXAMPLE), "--env", "prod", "-o", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads((GOLDEN / "assetco-prod.json").read_text())


def test_the_role_grants_exactly_the_verbs_apictl_uses() -> None:
    docs = json.loads(_cli("rbac", str(EXAMPLE), "--env", "dev", "-o", "json").stdout)["items"]
    home = docs[0]
    verbs = {v for rule in home["rules"] for v in rule["verbs"]}
    assert verbs == {"get", "list", "create", "patch", "delete", "update"}
    for rule in home["rules"]:
        assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"]
        assert "watch" not in rule["verbs"]
        if rule["apiGroups"] != ["coordination.k8s.io"]:
            assert "update" not in rule["verbs"], "apictl never PUTs"
    assert not any("secrets" in rule["resources"] for d in docs for rule in d["rules"]), "apictl reads no Secret"
    parent = next(r for r in home["rules"] if r["resources"] == ["configmaps"])
    assert parent == {
        "apiGroups": [""],
        "resources": ["configmaps"],
        "resourceNames": ["apictl-applyset-dev"],
        "verbs": ["get", "create", "patch"],
    }
    lease = [r for r in home["rules"] if r["resources"] == ["leases"]]
    assert lease == [
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "resourceNames": ["apictl-lock-dev"],
            "verbs": ["get", "update", "delete"],
        },
        {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
    ]
    other = docs[1]
    assert not any(r["resources"] in (["configmaps"], ["leases"]) for r in other["rules"])


def test_an_invalid_repository_prints_no_role(tmp_path: Path) -> None:
    result = _cli("rbac", str(EXAMPLE.parent / "invalid" / "unknown-field"), "--env", "dev")
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    unknown = _cli("rbac", str(EXAMPLE), "--env", "staging")
    assert unknown.returncode == 2 and unknown.stdout == ""


def _crd_names() -> dict[GroupKind, Resource]:
    found: dict[GroupKind, Resource] = {}
    for file in sorted(CRDS.rglob("*.y*ml")):
        for doc in yaml.safe_load_all(file.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                spec = doc["spec"]
                gk = GroupKind(spec["group"], spec["names"]["kind"])
                found[gk] = Resource(spec["names"]["plural"], spec["scope"] == "Namespaced")
    return found


def test_plural_names_are_the_crds_own() -> None:
    crds = _crd_names()
    assert len(crds) >= 40, f"no CRDs under {CRDS}"
    for gk, res in RESOURCES.items():
        if (gk.group and not gk.group.endswith("k8s.io")) or gk.group.startswith("gateway.networking"):
            assert crds.get(gk) == res, f"{gk}: table {res}, CRD {crds.get(gk)}"
    for target in targets().values():
        for gk in target.kinds:
            assert resource(gk) == crds[gk], gk  # every owned kind: known, and as its CRD says
    with pytest.raises(UnknownResource):
        resource(GroupKind("example.com", "Widget"))


def test_a_cluster_scoped_owned_kind_gets_a_cluster_role() -> None:
    table = {
        GroupKind("a.io", "Thing"): Resource("things", True),
        GroupKind("a.io", "Global"): Resource("globals", False),
    }
    docs = manifests(
        environment="e", namespace="ns", namespaces={"ns", "other"}, owned=table, resource=table.__getitem__
    )
    assert [(d["kind"], d["metadata"].get("namespace")) for d in docs] == [
        ("Role", "ns"),
        ("Role", "other"),
        ("ClusterRole", None),
    ]
    assert docs[2]["rules"] == [
        {"apiGroups": ["a.io"], "resources": ["globals"], "verbs": ["get", "list", "create", "patch", "delete"]}
    ]
    assert docs[0]["rules"][0]["resources"] == ["things"]


# --- against the real control plane ---------------------------------------------------------------


class Restricted:
    """The example deployed as an identity bound only to what `apictl rbac` printed."""

    def __init__(self, kube, namespace: str, tmp_path: Path, capsys) -> None:
        self.kube = kube
        self.ns = namespace
        self.backend_ns = create_namespace(kube, f"{namespace}-be")
        self.repo = assetco_repo(tmp_path, namespace, self.backend_ns)
        self.user = f"apictl-ci-{uuid.uuid4().hex[:8]}"
        self.kubeconfig = kube.restricted_kubeconfig(self.user)
        self.apictl = Apictl(self.kubeconfig, capsys)
        self.set_id = applyset_id("apictl-applyset-dev", namespace, "ConfigMap", "")

    def grant(self) -> list[dict]:
        printed = _cli("rbac", str(self.repo), "--env", "dev", "-o", "json")  # a process: the real targets
        assert printed.returncode == 0, printed.stderr
        roles = json.loads(printed.stdout)["items"]
        bindings = [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": role["metadata"]["name"], "namespace": role["metadata"]["namespace"]},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": self.user}],
            }
            for role in roles
        ]
        stream = yaml.safe_dump_all([*roles, *bindings])
        self.kube.kubectl_run("apply", "-f", "-", input=stream)
        deadline = time.monotonic() + 30  # the authorizer sees new bindings a moment later
        probes = [("create", "leases.coordination.k8s.io", ns) for ns in [self.ns]] + [
            ("list", "httproutes.gateway.networking.k8s.io", role["metadata"]["namespace"]) for role in roles
        ]
        while not all(self.can(verb, res, "-n", ns) for verb, res, ns in probes):
            assert time.monotonic() < deadline, "the RoleBindings never took effect"
            time.sleep(0.2)
        return roles

    def can(self, *args: str) -> bool:
        r = self.kube.kubectl_run("auth", "can-i", *args, kubeconfig=self.kubeconfig, check=False)
        return r.stdout.strip() == "yes"

    def run(self, *args: str):
        return self.apictl.run(*args)

    def members(self) -> dict:
        return members(self.kube, [self.ns, self.backend_ns], self.set_id, OWNED)


@pytest.fixture
def restricted(kube, namespace, tmp_path, capsys, monkeypatch) -> Restricted:
    monkeypatch.setenv("APICTL_CACHE_DIR", str(tmp_path / "cache"))
    return Restricted(kube, namespace, tmp_path, capsys)


def test_diff_and_apply_work_under_the_printed_role_alone(restricted: Restricted) -> None:
    r = restricted
    before = r.run("diff", str(r.repo), "--env", "dev")
    assert before.code == 4, "the identity has no permission before the Role is bound"
    assert "forbidden" in before.stderr.lower()

    roles = r.grant()
    assert [x["metadata"]["namespace"] for x in roles] == [r.ns, r.backend_ns]
    assert not r.can("get", "secrets", "-n", r.ns)
    assert not r.can("list", "configmaps", "-n", r.ns)
    assert not r.can("create", "httproutes.gateway.networking.k8s.io", "-n", "default")

    first = r.run("apply", str(r.repo), "--env", "dev")
    assert first.code == 0, first.output
    live = r.members()
    assert len(live) >= 20 and {ns for _, ns, _ in live} == {r.ns, r.backend_ns}

    clean = r.run("diff", str(r.repo), "--env", "dev")
    assert clean.code == 0, clean.output
    assert "No changes." in clean.stderr

    api = r.repo / "apis" / "assets.yaml"
    api.write_text(api.read_text().replace("basePath: /assets", "basePath: /assets-v2"))
    changed = r.run("diff", str(r.repo), "--env", "dev", "-o", "json")
    assert changed.code == 1, changed.output
    assert {c["action"] for c in changed.json()["changes"]} == {"update"}
    assert r.run("apply", str(r.repo), "--env", "dev").code == 0

    plan_file = r.repo.parent / "plan.json"
    remove_api(r.repo, "maintenance")
    planned = r.run("plan", str(r.repo), "--env", "dev", "--out", str(plan_file))
    assert planned.code == 1, planned.output
    pruned = r.run("apply", "--plan", str(plan_file))
    assert pruned.code == 0, pruned.output
    after = r.members()
    gone = set(live) - set(after)
    assert gone and all(live[k]["metadata"]["labels"].get("apictl.io/api") == "maintenance" for k in gone)
    assert any(ns == r.backend_ns for _, ns, _ in gone), "the ReferenceGrant in the other namespace was pruned"
    assert r.run("diff", str(r.repo), "--env", "dev").code == 0
    assert r.run("apply", str(r.repo), "--env", "dev", "--dry-run=server").code == 0


def test_a_write_outside_the_role_is_forbidden_with_exit_4(
    restricted: Restricted, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = restricted
    # the environment now renders ConfigMaps, a kind the Role printed for the real targets does not cover
    use_fixture_target(monkeypatch, FixtureTarget())
    r.grant()
    result = r.run("apply", str(r.repo), "--env", "dev")
    assert result.code == 4, result.output
    # the fixture target owns ConfigMaps and Secrets, listed concurrently: either may be refused first
    assert "forbidden" in result.stderr and ("configmaps" in result.stderr or "secrets" in result.stderr)
    assert f'User "{r.user}"' in result.stderr
    assert "lacks RBAC permission" in result.stderr
    assert "Traceback" not in result.output
    assert r.members() == {}, "nothing was written"
