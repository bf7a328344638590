"""Ctrl-C/SIGTERM during apply stops cleanly, and re-running converges: no orphan, no wrong prune.

apictl runs as a real process and sends itself SIGTERM right after its N-th write
(APICTL_TEST_SIGTERM_AFTER_WRITES), at points before, inside and after the applies and the prune.
After every interruption: every object carrying the set's label is covered by the parent's
inventory, nothing still desired was deleted, nothing apictl does not own was touched. Then an
ordinary re-run converges to exactly the desired set.
"""

from __future__ import annotations

import json

import pytest
import yaml
from cluster_testkit import (
    ID,
    OWNED,
    PART_OF,
    Apictl,
    assetco_repo,
    create_namespace,
    members,
    parent,
    remove_api,
    rendered_keys,
)

from apictl.reconcile.applyset import applyset_id


def _desired(apictl: Apictl, repo) -> set[tuple]:
    rendered = apictl.process("render", str(repo), "--env", "dev", "-o", "json")
    assert rendered.code == 0, rendered.output
    return rendered_keys(rendered.json())


def _bystanders(kube, namespace: str) -> None:
    """Objects apictl must never touch: unlabelled, and labelled for another ApplySet."""
    other = applyset_id("someone-else", namespace, "ConfigMap", "")
    docs = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bystander", "namespace": namespace}},
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": "other-set", "namespace": namespace, "labels": {PART_OF: other}},
            "spec": {"parentRefs": [{"name": "eg"}]},
        },
    ]
    kube.kubectl_run("apply", "-f", "-", input=yaml.safe_dump_all(docs))


def _bystanders_intact(kube, namespace: str) -> None:
    kube.kubectl_run("get", "configmap", "bystander", "-n", namespace)
    kube.kubectl_run("get", "httproute", "other-set", "-n", namespace)


def _no_orphans(kube, namespaces: list[str], set_id: str, ns: str) -> None:
    annotations = parent(kube, ns)["metadata"]["annotations"]
    kinds = set(filter(None, annotations["applyset.kubernetes.io/contains-group-kinds"].split(",")))
    spaces = {ns} | set(filter(None, annotations["applyset.kubernetes.io/additional-namespaces"].split(",")))
    for kind, namespace, name in members(kube, namespaces, set_id, OWNED):
        assert kind in kinds, f"{kind} {namespace}/{name} is a member but its kind is not in the inventory"
        assert namespace in spaces, f"{kind} {namespace}/{name} is a member outside the inventory's namespaces"


# writes of the v1 → v2 apply: 1 parent (superset), then creates/updates, then prunes, then 1 parent (narrow)
POINTS = {
    "after-the-inventory-superset": 1,
    "after-the-first-object": 2,
    "midway-through-the-applies": 4,
    "after-the-applies-before-the-prune": "applies",
    "midway-through-the-prune": "applies+2",
}


@pytest.mark.parametrize("point", list(POINTS))
def test_interrupted_apply_stops_cleanly_and_a_rerun_converges(kube, namespace, tmp_path, point: str) -> None:
    backend = create_namespace(kube, f"{namespace}-be")
    inventory_backend = create_namespace(kube, f"{namespace}-inv")
    namespaces = [namespace, backend, inventory_backend]
    repo = assetco_repo(tmp_path, namespace, backend)
    apictl = Apictl(kube.kubeconfig)
    set_id = applyset_id("apictl-applyset-dev", namespace, "ConfigMap", "")
    _bystanders(kube, namespace)
    first = apictl.process("apply", str(repo), "--env", "dev")
    assert first.code == 0, first.output
    v1 = _desired(apictl, repo)

    # v2: one API removed (prunes, incl. its backend namespace), one changed (updates), one added with its
    # backend in a third namespace (creates; the inventory must widen first, so write 1 is the parent)
    remove_api(repo, "maintenance")
    api = repo / "apis" / "assets.yaml"
    api.write_text(api.read_text().replace("basePath: /assets", "basePath: /assets-v2"))
    added = yaml.safe_load((repo / "apis" / "assets.yaml").read_text())
    added["metadata"]["name"] = "inventory"
    added["spec"]["basePath"] = "/inventory"
    added["spec"]["backend"]["service"]["namespace"] = inventory_backend
    (repo / "apis" / "inventory.yaml").write_text(yaml.safe_dump(added, sort_keys=False))
    v2 = _desired(apictl, repo)

    plan = apictl.process("diff", str(repo), "--env", "dev", "-o", "json", "--concurrency", "1")
    assert plan.code == 1, plan.output
    summary = plan.json()["summary"]
    applies = summary["create"] + summary["update"]
    assert applies >= 4 and summary["prune"] >= 3
    after = POINTS[point]
    if isinstance(after, str):
        after = 1 + applies + (2 if after.endswith("+2") else 0)

    stopped = apictl.process(
        "apply", str(repo), "--env", "dev", "--concurrency", "1", env={"APICTL_TEST_SIGTERM_AFTER_WRITES": str(after)}
    )
    assert stopped.code == 130, stopped.output
    assert "interrupted" in stopped.stderr and "re-run" in stopped.stderr
    done = [line for line in stopped.stderr.splitlines() if line.startswith("✓ ")]
    assert after - 2 <= len(done) <= after - 1, stopped.stderr  # the parent is write 1; one may be unreported
    if after <= 1 + applies:
        assert not [line for line in done if line.startswith("✓ pruned")], stopped.stderr

    live = set(members(kube, namespaces, set_id, OWNED))
    _no_orphans(kube, namespaces, set_id, namespace)
    _bystanders_intact(kube, namespace)
    assert (v1 & v2) <= live, "nothing still desired was deleted"
    if after <= 1 + applies:
        assert (v1 - v2) <= live, "nothing is pruned before every apply succeeded"

    rerun = apictl.process("apply", str(repo), "--env", "dev")
    assert rerun.code == 0, rerun.output
    assert set(members(kube, namespaces, set_id, OWNED)) == v2
    _no_orphans(kube, namespaces, set_id, namespace)
    _bystanders_intact(kube, namespace)
    final = parent(kube, namespace)
    assert final["metadata"]["labels"][ID] == set_id
    assert final["metadata"]["annotations"]["applyset.kubernetes.io/additional-namespaces"] == inventory_backend
    clean = apictl.process("diff", str(repo), "--env", "dev", "-o", "json")
    assert clean.code == 0, clean.output
    assert json.loads(clean.stdout)["summary"]["unchanged"] == len(v2)
