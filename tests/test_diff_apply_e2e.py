"""apictl diff / plan / apply against the real control plane, as a user sees them: exit codes, output,
and what ends up in the cluster. Each test deploys the assetco example's ``dev`` environment into its
own namespace (the maintenance API's backend into a second one, so the set spans two namespaces)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from cluster_testkit import (
    ID,
    OWNED,
    PART_OF,
    Apictl,
    assetco_repo,
    create_namespace,
    labelled,
    members,
    parent,
    remove_api,
    rendered_keys,
)

from apictl.reconcile.applyset import applyset_id


class Deployment:
    """One test's repository, namespaces and ApplySet."""

    def __init__(self, kube, namespace: str, tmp_path: Path, capsys) -> None:
        self.kube = kube
        self.ns = namespace
        self.backend_ns = create_namespace(kube, f"{namespace}-be")
        self.repo = assetco_repo(tmp_path, namespace, self.backend_ns)
        self.apictl = Apictl(kube.kubeconfig, capsys)
        self.set_id = applyset_id("apictl-applyset-dev", namespace, "ConfigMap", "")

    def run(self, *args: str):
        return self.apictl.run(*args)

    def diff(self, *extra: str):
        return self.run("diff", str(self.repo), "--env", "dev", *extra)

    def apply(self, *extra: str):
        return self.run("apply", str(self.repo), "--env", "dev", *extra)

    def members(self) -> dict[tuple, dict]:
        return members(self.kube, [self.ns, self.backend_ns], self.set_id, OWNED)

    def desired_keys(self) -> set[tuple]:
        result = self.run("render", str(self.repo), "--env", "dev", "-o", "json")
        assert result.code == 0, result.output
        return rendered_keys(result.json())


@pytest.fixture
def dep(kube, namespace, tmp_path, capsys) -> Deployment:
    return Deployment(kube, namespace, tmp_path, capsys)


def test_apply_then_diff_is_clean_and_a_second_apply_writes_nothing(dep: Deployment) -> None:
    first = dep.apply()
    assert first.code == 0, first.output
    assert "Apply complete:" in first.stderr
    live = dep.members()
    assert set(live) == dep.desired_keys()
    assert len(live) >= 20
    assert {ns for _, ns, _ in live} == {dep.ns, dep.backend_ns}

    p = parent(dep.kube, dep.ns)
    assert p["metadata"]["labels"][ID] == dep.set_id
    annotations = p["metadata"]["annotations"]
    assert annotations["applyset.kubernetes.io/tooling"].startswith("apictl/v")
    assert annotations["applyset.kubernetes.io/additional-namespaces"] == dep.backend_ns
    kinds = annotations["applyset.kubernetes.io/contains-group-kinds"].split(",")
    assert kinds == sorted(kinds) and set(kinds) == {k for k, _, _ in live}

    diff = dep.diff()
    assert diff.code == 0, diff.output
    assert "No changes." in diff.stderr
    assert diff.stdout == ""

    versions = {k: o["metadata"]["resourceVersion"] for k, o in live.items()}
    again = dep.apply("-o", "json")
    assert again.code == 0, again.output
    report = again.json()
    assert report["requests"].get("write", 0) == 0, report["requests"]
    assert report["requests"].get("dry-run", 0) == 0, report["requests"]
    assert report["outcomes"] == []
    assert {k: o["metadata"]["resourceVersion"] for k, o in dep.members().items()} == versions


def test_an_out_of_band_edit_to_an_owned_field_shows_in_diff(dep: Deployment) -> None:
    assert dep.apply().code == 0
    dep.kube.kubectl_run(
        "patch",
        "httproute",
        "assets-v1",
        "-n",
        dep.ns,
        "--type",
        "merge",
        "-p",
        '{"spec":{"hostnames":["evil.example"]}}',
    )
    diff = dep.diff()
    assert diff.code == 1, diff.output
    assert f"~ update HTTPRoute.gateway.networking.k8s.io {dep.ns}/assets-v1" in diff.stderr
    assert 'spec.hostnames[0]: "evil.example" → "api.dev.assetco.example"' in diff.stderr
    assert "Plan: 0 to create, 1 to update, 0 to prune." in diff.stderr
    for noise in ("managedFields", "resourceVersion", "creationTimestamp", "generation", "uid"):
        assert noise not in diff.stderr

    as_json = dep.diff("-o", "json")
    assert as_json.code == 1
    (change,) = as_json.json()["changes"]
    assert change["fields"] == [
        {"path": "spec.hostnames[0]", "op": "changed", "before": "evil.example", "after": "api.dev.assetco.example"}
    ]
    assert change["conflicts"] == [".spec.hostnames"]

    refused = dep.apply()
    assert refused.code == 5, refused.output
    assert "--force-conflicts" in refused.stderr and "conflict" in refused.stderr
    hosts = dep.kube.kubectl_run("get", "httproute", "assets-v1", "-n", dep.ns, "-o", "jsonpath={.spec.hostnames}")
    assert "evil.example" in hosts.stdout

    forced = dep.apply("--force-conflicts")
    assert forced.code == 0, forced.output
    assert dep.diff().code == 0


def test_removing_an_api_prunes_exactly_its_objects(dep: Deployment) -> None:
    assert dep.apply().code == 0
    before = dep.members()
    maintenance = {k for k, o in before.items() if o["metadata"]["labels"].get("apictl.io/api") == "maintenance"}
    assert any(ns == dep.backend_ns for _, ns, _ in maintenance), "the ReferenceGrant in the backend namespace"
    assert len(maintenance) >= 4

    remove_api(dep.repo, "maintenance")
    diff = dep.diff("-o", "json")
    assert diff.code == 1, diff.output
    plan = diff.json()
    pruned = {
        (f"{c['kind']}.{c['group']}" if c["group"] else c["kind"], c["namespace"], c["name"])
        for c in plan["changes"]
        if c["action"] == "prune"
    }
    assert pruned == maintenance
    markdown = dep.diff("-o", "markdown")
    assert "[!WARNING]" in markdown.stdout and "will be deleted (pruned)" in markdown.stdout

    applied = dep.apply()
    assert applied.code == 0, applied.output
    after = dep.members()
    assert set(after) == set(before) - maintenance
    assert {k: o["metadata"]["uid"] for k, o in after.items()} == {k: before[k]["metadata"]["uid"] for k in after}
    annotations = parent(dep.kube, dep.ns)["metadata"]["annotations"]
    assert annotations["applyset.kubernetes.io/additional-namespaces"] == "", "narrowed after the prune"
    assert dep.diff().code == 0


def test_an_apply_that_fails_after_the_dry_run_prunes_nothing(dep: Deployment, kube) -> None:
    assert dep.apply().code == 0
    name = f"deny-{dep.ns}"[:63]
    policy = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": ["gateway.networking.k8s.io"],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["httproutes"],
                    }
                ]
            },
            "validations": [
                {
                    "expression": "request.dryRun || object.metadata.name != 'assets-v1'",
                    "message": "test policy: assets-v1 cannot be written for real",
                }
            ],
        },
    }
    binding = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {
            "policyName": name,
            "validationActions": ["Deny"],
            "matchResources": {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": dep.ns}}},
        },
    }
    kube.kubectl_run("apply", "-f", "-", input=yaml.safe_dump_all([policy, binding]))
    try:
        _wait_until_denied(kube, dep.ns)
        before = dep.members()
        remove_api(dep.repo, "maintenance")
        api = dep.repo / "apis" / "assets.yaml"
        api.write_text(api.read_text().replace("basePath: /assets", "basePath: /assets-v2"))

        result = dep.apply()
        assert result.code == 5, result.output
        assert "assets-v1" in result.stderr and "test policy: assets-v1 cannot be written for real" in result.stderr
        assert "nothing was pruned" in result.stderr
        after = dep.members()
        assert set(after) == set(before), "no prune after a failed apply"
        kinds = parent(dep.kube, dep.ns)["metadata"]["annotations"]["applyset.kubernetes.io/additional-namespaces"]
        assert kinds == dep.backend_ns, "the inventory keeps the superset"
    finally:
        kube.kubectl_run("delete", "validatingadmissionpolicybinding,validatingadmissionpolicy", name, check=False)


def _wait_until_denied(kube, namespace: str) -> None:
    deadline = time.monotonic() + 180  # the admission plugin picks new policies up through an informer
    while time.monotonic() < deadline:
        r = kube.kubectl_run(
            "label", "httproute", "assets-v1", "-n", namespace, "probe=1", "--overwrite", "--dry-run=none", check=False
        )
        if r.returncode != 0 and "test policy" in r.stderr:
            return
        kube.kubectl_run("label", "httproute", "assets-v1", "-n", namespace, "probe-", check=False)
        time.sleep(0.5)
    raise AssertionError("the ValidatingAdmissionPolicy never became effective")


def test_a_parent_owned_by_another_tool_is_refused(dep: Deployment, kube) -> None:
    manifest = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kubectl-owned", "namespace": dep.ns}}
    made = _kubectl(
        kube,
        {"KUBECTL_APPLYSET": "true"},
        "apply",
        "-n",
        dep.ns,
        "--server-side",
        "--prune",
        "--applyset=configmaps/apictl-applyset-dev",
        "-f",
        "-",
        input=yaml.safe_dump(manifest),
    )
    assert made.returncode == 0, made.stderr
    for result in (dep.diff(), dep.apply()):
        assert result.code == 6, result.output
        assert "managed by tooling 'kubectl' instead of 'apictl'" in result.stderr
    assert not dep.members(), "nothing was written"


def test_an_impersonated_applyset_id_is_refused(dep: Deployment, kube) -> None:
    other = applyset_id("apictl-applyset-dev", "someone-else", "ConfigMap", "")
    forged = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "apictl-applyset-dev",
            "namespace": dep.ns,
            "labels": {ID: other},
            "annotations": {
                "applyset.kubernetes.io/tooling": "apictl/v0.1.0",
                "applyset.kubernetes.io/contains-group-kinds": "ConfigMap",
            },
        },
    }
    kube.kubectl_run("apply", "-f", "-", input=yaml.safe_dump(forged))
    result = dep.apply()
    assert result.code == 6, result.output
    assert "incorrect value for label" in result.stderr and other in result.stderr
    assert not dep.members()


def test_pruning_everything_needs_confirmation(dep: Deployment) -> None:
    assert dep.apply().code == 0
    count = len(dep.members())
    for folder in ("apis", "subscriptions", "applications"):
        for file in (dep.repo / folder).glob("*.yaml"):
            file.unlink()
    (dep.repo / "environments" / "prod.yaml").unlink()  # it overrides an API
    diff = dep.diff()
    assert diff.code == 1
    assert "--confirm-prune-all" in diff.stderr
    assert f"Plan: 0 to create, 0 to update, {count} to prune." in diff.stderr

    refused = dep.apply()
    assert refused.code == 6, refused.output
    assert "--confirm-prune-all" in refused.stderr
    assert len(dep.members()) == count

    confirmed = dep.apply("--confirm-prune-all")
    assert confirmed.code == 0, confirmed.output
    assert dep.members() == {}
    annotations = parent(dep.kube, dep.ns)["metadata"]["annotations"]
    assert annotations["applyset.kubernetes.io/contains-group-kinds"] == ""
    assert dep.diff().code == 0


def test_a_saved_plan_is_applied_exactly_and_refused_when_stale(dep: Deployment, tmp_path: Path) -> None:
    assert dep.apply().code == 0
    remove_api(dep.repo, "maintenance")
    api = dep.repo / "apis" / "assets.yaml"
    api.write_text(api.read_text().replace("basePath: /assets", "basePath: /assets-v2"))
    plan_file = tmp_path / "plan.json"

    planned = dep.run("plan", str(dep.repo), "--env", "dev", "--out", str(plan_file))
    assert planned.code == 1, planned.output
    saved = json.loads(plan_file.read_text())
    assert saved["format"] == "apictl.io/plan/v1"
    updates = [c for c in saved["changes"] if c["action"] == "update"]
    assert updates and all(c["live"]["resourceVersion"] for c in updates)

    moved = updates[0]["key"]
    dep.kube.kubectl_run(
        "label", moved["kind"] + "." + moved["group"], moved["name"], "-n", moved["namespace"], "touched=1"
    )
    stale = dep.run("apply", "--plan", str(plan_file))
    assert stale.code == 6, stale.output
    assert "stale" in stale.stderr and moved["name"] in stale.stderr
    assert len(dep.members()) > len(dep.desired_keys()), "nothing was pruned"

    fresh_file = tmp_path / "fresh.json"
    assert dep.run("plan", str(dep.repo), "--env", "dev", "--out", str(fresh_file)).code == 1
    applied = dep.run("apply", "--plan", str(fresh_file))
    assert applied.code == 0, applied.output
    assert set(dep.members()) == dep.desired_keys()
    assert dep.diff().code == 0
    assert dep.run("apply", "--plan", str(fresh_file)).code == 6, "a plan is only good once"


def test_dry_run_server_writes_nothing(dep: Deployment) -> None:
    result = dep.apply("--dry-run=server", "-o", "json")
    assert result.code == 0, result.output
    report = result.json()
    assert report["dryRun"] is True
    assert report["requests"].get("write", 0) == 0
    assert report["summary"]["applied"] == len(dep.desired_keys())
    assert dep.members() == {}
    assert parent(dep.kube, dep.ns) is None


def test_kubectl_recognises_the_applyset(dep: Deployment, kube, tmp_path: Path) -> None:
    assert dep.apply().code == 0
    env = {"KUBECTL_APPLYSET": "true"}
    # the members are exactly what kubectl lists with the membership label
    listed = labelled(kube, OWNED, [dep.ns, dep.backend_ns], f"{PART_OF}={dep.set_id}")
    assert set(listed) == dep.desired_keys()

    # kubectl computes the same id for the same parent (its own parent, in another namespace)
    other = create_namespace(kube, f"{dep.ns}-kubectl")
    probe = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "probe", "namespace": other}}
    made = _kubectl(
        kube,
        env,
        "apply",
        "-n",
        other,
        "--server-side",
        "--prune",
        "--applyset=configmaps/apictl-applyset-dev",
        "-f",
        "-",
        input=yaml.safe_dump(probe),
    )
    assert made.returncode == 0, made.stderr
    theirs = json.loads(kube.kubectl_run("get", "configmap", "apictl-applyset-dev", "-n", other, "-o", "json").stdout)
    assert theirs["metadata"]["labels"][ID] == applyset_id("apictl-applyset-dev", other, "ConfigMap", "")

    rendered = tmp_path / "rendered.yaml"
    remove_api(dep.repo, "maintenance")
    rendered.write_text(dep.run("render", str(dep.repo), "--env", "dev").stdout)
    flags = [
        "apply",
        "-n",
        dep.ns,
        "--server-side",
        "--force-conflicts",
        "--prune",
        "--applyset=configmaps/apictl-applyset-dev",
        "--dry-run=server",
        "-f",
        str(rendered),
    ]
    # kubectl reads apictl's parent and refuses to touch another tool's set, naming apictl
    refused = _kubectl(kube, env, *flags)
    assert refused.returncode != 0
    assert 'managed by tooling "apictl" instead of "kubectl"' in refused.stderr

    # handed over to kubectl, kubectl's own prune finds exactly what apictl would prune
    planned = dep.diff("-o", "json").json()
    ours = {
        f"{c['kind'].lower()}.{c['group']}/{c['name']}".replace("./", "/")
        for c in planned["changes"]
        if c["action"] == "prune"
    }
    kube.kubectl_run(
        "annotate",
        "configmap",
        "apictl-applyset-dev",
        "-n",
        dep.ns,
        "applyset.kubernetes.io/tooling=kubectl/v1.36.3",
        "--overwrite",
    )
    try:
        dry = _kubectl(kube, env, *flags)
        assert dry.returncode == 0, dry.stderr
        theirs_pruned = {line.split()[0] for line in dry.stdout.splitlines() if "pruned" in line}
        assert theirs_pruned == ours
    finally:
        kube.kubectl_run(
            "annotate",
            "configmap",
            "apictl-applyset-dev",
            "-n",
            dep.ns,
            "applyset.kubernetes.io/tooling=apictl/v0.1.0",
            "--overwrite",
        )


def _kubectl(kube, env: dict, *args: str, input: str | None = None):
    import os
    import subprocess

    return subprocess.run(
        [kube.kubectl, *args],
        env={**os.environ, "KUBECONFIG": kube.kubeconfig, **env},
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
    )


def test_an_unchanged_environment_is_recognised_without_rendering(dep: Deployment) -> None:
    assert dep.apply().code == 0
    quick = dep.apply("-o", "json")
    assert quick.code == 0, quick.output
    report = quick.json()
    assert "snapshot" in report and "render" not in report["seconds"]
    assert report["requests"].get("write", 0) == 0 and report["requests"].get("dry-run", 0) == 0
    assert dep.diff("-o", "json").json()["summary"]["unchanged"] == len(dep.desired_keys())

    # anyone's write to a member invalidates the snapshot: the full comparison runs again
    dep.kube.kubectl_run("delete", "httproute", "assets-v1", "-n", dep.ns)
    gone = dep.diff("-o", "json")
    assert gone.code == 1, gone.output
    assert "snapshot" not in gone.json() and gone.json()["summary"]["create"] == 1
    assert dep.apply().code == 0
    assert "snapshot" in dep.apply("-o", "json").json()

    # so does any change to the repository
    api = dep.repo / "apis" / "assets.yaml"
    api.write_text(api.read_text() + "\n# a comment changes nothing rendered\n")
    full = dep.diff("-o", "json")
    assert full.code == 0 and "snapshot" not in full.json() and "render" in full.json()["seconds"]
