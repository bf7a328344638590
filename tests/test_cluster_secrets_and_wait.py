"""Exact shapes through the CLI code path: a fixture target renders a ConfigMap and an HTTPRoute per
REST API (and a Secret), swapped in for envoy-gateway. Secret values never appear in any output or
saved plan; --wait waits for acceptance and reports a rejection with the controller's message."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from cluster_testkit import Apictl, FixtureTarget, assetco_repo, create_namespace, gateway_only, use_fixture_target

OLD_SECRET = "hunter2-old-Zq8x"
NEW_SECRET = "correct-horse-New-7Yb"


@pytest.fixture
def fixture_repo(kube, namespace, tmp_path):
    return gateway_only(assetco_repo(tmp_path, namespace, create_namespace(kube, f"{namespace}-be")))


def test_secret_values_never_appear_in_any_output(kube, namespace, fixture_repo: Path, tmp_path, capsys, monkeypatch):
    target = FixtureTarget(secret=OLD_SECRET)
    use_fixture_target(monkeypatch, target)
    apictl = Apictl(kube.kubeconfig, capsys)
    repo = str(fixture_repo)

    outputs = []
    for fmt in ("text", "json", "markdown"):
        created = apictl.run("diff", repo, "--env", "dev", "-o", fmt)
        assert created.code == 1, created.output
        assert "fixture-credentials" in created.output
        outputs.append(created.output)
    applied = apictl.run("apply", repo, "--env", "dev")
    assert applied.code == 0, applied.output
    outputs.append(applied.output)

    target.secret = NEW_SECRET
    for fmt in ("text", "json", "markdown"):
        changed = apictl.run("diff", repo, "--env", "dev", "-o", fmt)
        assert changed.code == 1, changed.output
        assert "*** (before)" in changed.output and "*** (after)" in changed.output
        outputs.append(changed.output)
    plan_file = tmp_path / "plan.json"
    planned = apictl.run("plan", repo, "--env", "dev", "--out", str(plan_file))
    assert planned.code == 1
    outputs += [planned.output, plan_file.read_text()]

    applied = apictl.run("apply", "--plan", str(plan_file))
    assert applied.code == 0, applied.output
    outputs.append(applied.output)
    stored = kube.kubectl_run("get", "secret", "fixture-credentials", "-n", namespace, "-o", "jsonpath={.data.token}")
    import base64

    assert base64.b64decode(stored.stdout).decode() == NEW_SECRET, "the saved plan applied the real value"

    for text in outputs:
        for value in (OLD_SECRET, NEW_SECRET):
            assert value not in text
            assert base64.b64encode(value.encode()).decode() not in text


def test_wait_returns_when_every_route_is_accepted(kube, namespace, fixture_repo, capsys, monkeypatch, set_status):
    use_fixture_target(monkeypatch, FixtureTarget())
    apictl = Apictl(kube.kubeconfig, capsys)
    accept = _controller(kube, namespace, set_status, [("Accepted", "True"), ("ResolvedRefs", "True")])
    result = apictl.run("apply", str(fixture_repo), "--env", "dev", "--wait", "--timeout", "60s")
    accept.join()
    assert result.code == 0, result.output
    assert "Apply complete: 4 created" in result.stderr


def test_wait_reports_a_rejection_with_the_condition_message(
    kube, namespace, fixture_repo, capsys, monkeypatch, set_status
):
    use_fixture_target(monkeypatch, FixtureTarget())
    apictl = Apictl(kube.kubeconfig, capsys)
    reject = _controller(
        kube,
        namespace,
        set_status,
        [("Accepted", "False", "NotAllowedByListeners", "listener https does not allow routes from this namespace")],
    )
    result = apictl.run("apply", str(fixture_repo), "--env", "dev", "--wait", "--timeout", "60s")
    reject.join()
    assert result.code == 5, result.output
    assert f"HTTPRoute.gateway.networking.k8s.io {namespace}/assets-v1" in result.stderr
    assert "Accepted=False (NotAllowedByListeners): listener https does not allow routes from this namespace" in (
        result.stderr
    )
    assert "nothing was pruned" in result.stderr


def test_wait_times_out_naming_what_is_pending(kube, namespace, fixture_repo, capsys, monkeypatch):
    use_fixture_target(monkeypatch, FixtureTarget())
    apictl = Apictl(kube.kubeconfig, capsys)
    started = time.monotonic()
    result = apictl.run("apply", str(fixture_repo), "--env", "dev", "--wait", "--timeout", "3s")
    assert result.code == 5, result.output
    assert time.monotonic() - started < 30
    assert "timed out" in result.stderr and "waiting for the controller to report on every parent" in result.stderr


def _controller(kube, namespace: str, set_status, conditions) -> threading.Thread:
    """Play the gateway controller: report ``conditions`` on both routes as soon as they exist."""

    def run() -> None:
        pending = {"assets-v1", "maintenance-v2"}
        deadline = time.monotonic() + 45
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                ref = ("gateway.networking.k8s.io/v1", "HTTPRoute", namespace, name)
                try:
                    set_status(ref, conditions)
                except Exception:  # not created yet
                    continue
                pending.discard(name)
            time.sleep(0.2)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread
