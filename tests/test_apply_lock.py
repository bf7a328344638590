"""One writer at a time: apply holds the Lease ``apictl-lock-<env>`` in the environment's namespace.

Two applies at once: one proceeds, the other exits 6 naming the holder and the expiry. A stale Lease
(renewTime older than its duration) is taken over. The Lease is gone after success, after a failure
and after an interruption (SIGTERM); ``--dry-run=server`` and ``diff`` take no lock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import yaml
from cluster_testkit import Apictl, assetco_repo, create_namespace

from apictl.cli.exit_codes import ExitCode

LEASE = "apictl-lock-dev"


def _lease(kube, ns: str) -> dict | None:
    r = kube.kubectl_run("get", "lease", LEASE, "-n", ns, "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def _plant_lease(kube, ns: str, holder: str, renewed: dt.datetime, seconds: int = 60) -> None:
    stamp = renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    doc = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": LEASE, "namespace": ns},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": seconds, "acquireTime": stamp, "renewTime": stamp},
    }
    kube.kubectl_run("create", "-f", "-", input=yaml.safe_dump(doc))


def _setup(kube, namespace, tmp_path):
    backend = create_namespace(kube, f"{namespace}-be")
    repo = assetco_repo(tmp_path, namespace, backend)
    return repo, Apictl(kube.kubeconfig)


def test_a_second_apply_is_refused_while_the_lease_is_held(kube, namespace, tmp_path) -> None:
    repo, apictl = _setup(kube, namespace, tmp_path)
    _plant_lease(kube, namespace, "apictl@elsewhere/4242", dt.datetime.now(dt.UTC))
    refused = apictl.process("apply", str(repo), "--env", "dev")
    assert refused.code == ExitCode.REFUSED, refused.output
    assert "apictl@elsewhere/4242" in refused.stderr
    assert "expires" in refused.stderr and LEASE in refused.stderr
    assert _lease(kube, namespace)["spec"]["holderIdentity"] == "apictl@elsewhere/4242"  # not stolen, not deleted
    r = kube.kubectl_run("get", "configmap", "apictl-applyset-dev", "-n", namespace, check=False)
    assert r.returncode != 0, "nothing may be written while another run holds the lock"
    # a server-side dry run and diff take no lock
    assert apictl.process("apply", str(repo), "--env", "dev", "--dry-run=server").code == 0
    assert apictl.process("diff", str(repo), "--env", "dev").code == ExitCode.CHANGES


def test_two_applies_at_once_one_proceeds_the_other_exits_6(kube, namespace, tmp_path) -> None:
    repo, _ = _setup(kube, namespace, tmp_path)
    env = {**os.environ, "NO_COLOR": "1", "KUBECONFIG": kube.kubeconfig, "APICTL_SNAPSHOTS": "off"}
    argv = [sys.executable, "-m", "apictl", "apply", str(repo), "--env", "dev"]
    procs = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = [(p.wait(timeout=180), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, ExitCode.REFUSED], results
    loser = next(err for code, err in results if code == ExitCode.REFUSED)
    assert "another apply holds the lock" in loser and "apictl@" in loser
    assert _lease(kube, namespace) is None, "released after the successful run"


def test_a_stale_lease_is_taken_over(kube, namespace, tmp_path) -> None:
    repo, apictl = _setup(kube, namespace, tmp_path)
    _plant_lease(kube, namespace, "apictl@killed/1", dt.datetime.now(dt.UTC) - dt.timedelta(seconds=120))
    result = apictl.process("apply", str(repo), "--env", "dev")
    assert result.code == 0, result.output
    assert _lease(kube, namespace) is None
    kube.kubectl_run("get", "configmap", "apictl-applyset-dev", "-n", namespace)


def test_the_lease_is_released_after_a_failure(kube, namespace, tmp_path) -> None:
    repo, apictl = _setup(kube, namespace, tmp_path)
    # an object the server rejects at apply time: a foreign manager owns a field apictl sets differently
    assert apictl.process("apply", str(repo), "--env", "dev").code == 0
    route = json.loads(kube.kubectl_run("get", "httproute", "-n", namespace, "-o", "json").stdout)["items"][0]
    name = route["metadata"]["name"]
    patch = {"apiVersion": route["apiVersion"], "kind": "HTTPRoute", "metadata": {"name": name, "namespace": namespace}}
    patch["spec"] = {"hostnames": ["conflict.example.com"]}
    kube.kubectl_run(
        "apply",
        "--server-side",
        "--field-manager=intruder",
        "--force-conflicts",
        "-f",
        "-",
        input=yaml.safe_dump(patch),
    )
    failed = apictl.process("apply", str(repo), "--env", "dev", env={"APICTL_SNAPSHOTS": "off"})
    assert failed.code == ExitCode.APPLY_FAILED, failed.output
    assert _lease(kube, namespace) is None


def test_the_lease_is_released_after_an_interruption(kube, namespace, tmp_path) -> None:
    repo, apictl = _setup(kube, namespace, tmp_path)
    stopped = apictl.process("apply", str(repo), "--env", "dev", env={"APICTL_TEST_SIGTERM_AFTER_WRITES": "2"})
    assert stopped.code == ExitCode.INTERRUPTED, stopped.output
    assert _lease(kube, namespace) is None
    assert apictl.process("apply", str(repo), "--env", "dev").code == 0


def test_the_lease_is_held_during_the_apply(kube, namespace, tmp_path) -> None:
    """While an apply runs (slowed by --wait on routes no controller accepts), the Lease names it."""
    repo, _ = _setup(kube, namespace, tmp_path)
    env = {**os.environ, "NO_COLOR": "1", "KUBECONFIG": kube.kubeconfig}
    argv = [sys.executable, "-m", "apictl", "apply", str(repo), "--env", "dev", "--wait", "--timeout", "8s"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        seen = _lease(kube, namespace)
        if seen:
            break
        time.sleep(0.1)
    proc.wait(timeout=120)
    assert seen is not None, proc.stderr.read()
    assert seen["spec"]["holderIdentity"] == f"apictl@{os.uname().nodename}/{proc.pid}"
    assert seen["spec"]["leaseDurationSeconds"] == 60
    assert _lease(kube, namespace) is None


def test_a_lease_of_a_dead_apictl_on_this_host_is_taken_over(kube, namespace, tmp_path) -> None:
    """A SIGKILLed run (or one that could not release) must not block this machine for the rest of the expiry."""
    repo, apictl = _setup(kube, namespace, tmp_path)
    gone = subprocess.Popen(["true"])
    gone.wait()
    _plant_lease(kube, namespace, f"apictl@{os.uname().nodename}/{gone.pid}", dt.datetime.now(dt.UTC))
    result = apictl.process("apply", str(repo), "--env", "dev")
    assert result.code == 0, result.output
    assert _lease(kube, namespace) is None


def test_the_holder_renews_the_lease_and_a_second_holder_is_refused(kube, namespace) -> None:
    from apictl.cluster import connect
    from apictl.cluster.lease import LeaseLock
    from apictl.reconcile.errors import Refused

    transport = connect(kube.kubeconfig).transport
    with LeaseLock(transport, namespace, "dev", holder="apictl@test/1", duration=5, renew_every=0.3):
        first = _lease(kube, namespace)["spec"]["renewTime"]
        time.sleep(1.2)
        assert _lease(kube, namespace)["spec"]["renewTime"] > first, "renewed while held"
        try:
            LeaseLock(transport, namespace, "dev", holder="apictl@test/2").acquire()
        except Refused as refused:
            assert "apictl@test/1" in refused.message
        else:
            raise AssertionError("a second holder got the lock")
    assert _lease(kube, namespace) is None
