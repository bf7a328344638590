"""Cluster access follows kubectl: --kubeconfig, KUBECONFIG (a merged list), --context, in-cluster;
failures to reach or to be allowed by the cluster exit 4 with a message that says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cluster_testkit import Apictl, assetco_repo, create_namespace, gateway_only


@pytest.fixture
def repo(kube, namespace, tmp_path) -> Path:
    return gateway_only(assetco_repo(tmp_path, namespace, create_namespace(kube, f"{namespace}-be")))


def _kubeconfig(kube, tmp_path: Path, name: str, **changes) -> str:
    config = json.loads(Path(kube.kubeconfig).read_text())
    if "server" in changes:
        config["clusters"][0]["cluster"]["server"] = changes["server"]
    if "context" in changes:
        config["contexts"][0]["name"] = changes["context"]
        config["current-context"] = "does-not-exist"
    path = tmp_path / name
    path.write_text(json.dumps(config))
    return str(path)


def test_explicit_kubeconfig_wins_over_the_environment(kube, repo, tmp_path) -> None:
    apictl = Apictl(str(tmp_path / "missing"))
    result = apictl.process("diff", str(repo), "--env", "dev", "--kubeconfig", kube.kubeconfig)
    assert result.code == 1, result.output
    assert "to create" in result.stderr


def test_kubeconfig_variable_is_a_merged_list_and_context_selects(kube, repo, tmp_path) -> None:
    renamed = _kubeconfig(kube, tmp_path, "renamed.json", context="staging")
    apictl = Apictl(f"{tmp_path / 'absent'}:{renamed}")
    picked = apictl.process("diff", str(repo), "--env", "dev", "--context", "staging")
    assert picked.code == 1, picked.output
    unknown = apictl.process("diff", str(repo), "--env", "dev", "--context", "nope")
    assert unknown.code == 4, unknown.output
    assert "nope" in unknown.stderr


def test_an_unreachable_cluster_exits_4_after_bounded_retries(kube, repo, tmp_path) -> None:
    dead = _kubeconfig(kube, tmp_path, "dead.json", server="https://127.0.0.1:1")
    result = Apictl(dead).process("apply", str(repo), "--env", "dev", "--request-timeout", "2", timeout=60)
    assert result.code == 4, result.output
    assert "no answer from https://127.0.0.1:1 after 5 attempts" in result.stderr


def test_an_identity_without_rbac_exits_4_and_says_so(kube, repo, restricted_kubeconfig) -> None:
    result = Apictl(restricted_kubeconfig("apictl-nobody")).process("diff", str(repo), "--env", "dev")
    assert result.code == 4, result.output
    assert "forbidden" in result.stderr and "RBAC" in result.stderr


def test_without_any_kubeconfig_apictl_tries_the_in_cluster_service_account(kube, repo, tmp_path) -> None:
    env = {"HOME": str(tmp_path), "KUBECONFIG": ""}
    nothing = Apictl("").process("diff", str(repo), "--env", "dev", env=env)
    assert nothing.code == 4, nothing.output
    assert "no cluster configuration" in nothing.stderr
    in_pod = Apictl("").process(
        "diff",
        str(repo),
        "--env",
        "dev",
        env={**env, "KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "1"},
    )
    assert in_pod.code == 4, in_pod.output
    assert "token" in in_pod.stderr.lower()
