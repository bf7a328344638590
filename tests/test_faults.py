"""Faults between apictl and the API server: apictl → Toxiproxy (TCP) → HTTP injector → kube-apiserver.

Every scenario starts from v1 of the assetco ``dev`` environment applied normally, then applies v2
(one API removed: prunes; one changed: updates) through the faulty path. Expected everywhere: bounded
retries with backoff, then either convergence (exit 0, the cluster holds exactly v2) or a report of
what was applied, what failed and what was not attempted, exit 5 (or 4 when nothing could be
written), and NO prune after the failure, checked in the cluster; an ordinary re-run then converges.

A real API server restart is simulated by Toxiproxy refusing connections for N seconds (the shared
control plane serves other tests at the same time, so it is never stopped here).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from cluster_testkit import OWNED, Apictl, Result, assetco_repo, create_namespace, members, remove_api
from faults.injector import Injector, Rule
from faults.toxiproxy import Toxiproxy, build
from test_cluster_interruption import _bystanders, _bystanders_intact, _desired, _no_orphans

from apictl.cli.exit_codes import ExitCode
from apictl.reconcile.applyset import applyset_id

WRITES = r"fieldValidation=Strict$"
"""Server-side applies of rendered objects (not dry runs, not forced): the query ends there."""
ROUTE_WRITE = r"/httproutes/assets-v1\?fieldManager=apictl&fieldValidation=Strict$"
TOTALS: Counter = Counter()
"""Faults injected over the module, by kind (printed at the end)."""


class Chain:
    def __init__(self, kube, tmp: Path) -> None:
        self.injector = Injector(kube.server, Path(kube.state_dir) / "pki").start()
        self.toxi = Toxiproxy(build())
        self.port = self.toxi.proxy("apiserver", self.injector.port)
        doc = yaml.safe_load(Path(kube.kubeconfig).read_text())
        for cluster in doc["clusters"]:
            cluster["cluster"]["server"] = f"https://127.0.0.1:{self.port}"
        self.kubeconfig = tmp / "faulty-kubeconfig"
        self.kubeconfig.write_text(yaml.safe_dump(doc))
        self.toxics: list[str] = []

    def reset(self) -> None:
        TOTALS.update(self.injector.injected)
        TOTALS.update(self.toxi.injected)
        self.injector.clear()
        self.injector.injected.clear()
        self.toxi.injected.clear()
        for name in self.toxics:
            with contextlib.suppress(OSError):
                self.toxi.remove("apiserver", name)
        self.toxics.clear()
        self.toxi.enable("apiserver", True)
        self.toxi.injected.pop("down", None)

    def toxic_for(self, seconds: float, name: str, kind: str, **attributes: object) -> None:
        """Add a toxic now and remove it after ``seconds`` (from a timer thread)."""
        self.toxi.toxic("apiserver", name, kind, **attributes)
        self.toxics.append(name)

        def lift() -> None:
            with contextlib.suppress(OSError):
                self.toxi.remove("apiserver", name)

        threading.Timer(seconds, lift).start()

    def down_for(self, seconds: float) -> None:
        self.toxi.enable("apiserver", False)
        threading.Timer(seconds, lambda: self.toxi.enable("apiserver", True)).start()


@pytest.fixture(scope="module")
def chain(kube, tmp_path_factory):
    c = Chain(kube, tmp_path_factory.mktemp("faults"))
    yield c
    c.reset()
    c.toxi.stop()
    c.injector.stop()
    print(f"\nfaults injected: {dict(sorted(TOTALS.items()))}")


class Scenario:
    def __init__(self, kube, namespace: str, tmp_path: Path, chain: Chain) -> None:
        chain.reset()
        self.kube, self.ns, self.chain = kube, namespace, chain
        self.backend = create_namespace(kube, f"{namespace}-be")
        self.namespaces = [namespace, self.backend]
        self.repo = assetco_repo(tmp_path, namespace, self.backend)
        self.direct = Apictl(kube.kubeconfig)
        self.faulty = Apictl(str(chain.kubeconfig))
        self.set_id = applyset_id("apictl-applyset-dev", namespace, "ConfigMap", "")
        _bystanders(kube, namespace)
        first = self.direct.process("apply", str(self.repo), "--env", "dev")
        assert first.code == 0, first.output
        self.v1 = _desired(self.direct, self.repo)
        remove_api(self.repo, "maintenance")
        api = self.repo / "apis" / "assets.yaml"
        api.write_text(api.read_text().replace("basePath: /assets", "basePath: /assets-v2"))
        self.v2 = _desired(self.direct, self.repo)
        assert self.v1 - self.v2, "v2 must prune something"

    def apply(self, *extra: str) -> tuple[Result, float]:
        start = time.monotonic()
        result = self.faulty.process("apply", str(self.repo), "--env", "dev", *extra, env={"APICTL_SNAPSHOTS": "off"})
        return result, time.monotonic() - start

    def live(self) -> set[tuple]:
        return set(members(self.kube, self.namespaces, self.set_id, OWNED))

    def converged(self) -> None:
        assert self.live() == self.v2
        _no_orphans(self.kube, self.namespaces, self.set_id, self.ns)
        _bystanders_intact(self.kube, self.ns)

    def failed_safely(self, result: Result, code: int = ExitCode.APPLY_FAILED) -> None:
        """The documented exit code, a report, nothing pruned; then an ordinary re-run converges."""
        assert result.code == code, result.output
        if code == ExitCode.APPLY_FAILED:
            assert "Apply failed:" in result.stderr and "not attempted" in result.stderr, result.stderr
            assert "nothing was pruned" in result.stderr
            assert "✗ failed" in result.stderr
        assert "✓ pruned" not in result.stderr
        live = self.live()
        assert self.v1 - self.v2 <= live, "nothing may be pruned after a failure"
        assert self.v1 & self.v2 <= live
        _no_orphans(self.kube, self.namespaces, self.set_id, self.ns)
        _bystanders_intact(self.kube, self.ns)
        self.chain.reset()
        rerun = self.direct.process("apply", str(self.repo), "--env", "dev")
        assert rerun.code == 0, rerun.output
        self.converged()


@pytest.fixture
def scenario(kube, namespace, tmp_path, chain) -> Scenario:
    return Scenario(kube, namespace, tmp_path, chain)


# --- status codes (HTTP injector) ----------------------------------------------------------------


def test_429_with_retry_after_is_honoured_then_converges(scenario: Scenario) -> None:
    scenario.chain.injector.add(
        Rule("429", "PATCH", WRITES, status=429, reason="TooManyRequests", retry_after="1", times=3)
    )
    result, took = scenario.apply("--concurrency", "1")
    assert result.code == 0, result.output
    assert scenario.chain.injector.injected["429"] == 3
    assert took >= 3.0, "each Retry-After: 1 was waited for"
    scenario.converged()


def test_bursts_of_500_and_503_are_retried_then_converge(scenario: Scenario) -> None:
    inj = scenario.chain.injector
    inj.add(Rule("500", "PATCH", WRITES, status=500, reason="InternalError", times=2))
    inj.add(Rule("503", "PATCH", WRITES, status=503, reason="ServiceUnavailable", times=2))
    inj.add(Rule("503", "DELETE", ".*", status=503, reason="ServiceUnavailable", times=2))
    result, _ = scenario.apply("--concurrency", "1")
    assert result.code == 0, result.output
    assert inj.injected["500"] == 2 and inj.injected["503"] == 4
    scenario.converged()


def test_an_object_that_keeps_failing_with_503_is_reported_and_nothing_is_pruned(scenario: Scenario) -> None:
    inj = scenario.chain.injector
    inj.add(Rule("503", "PATCH", ROUTE_WRITE, status=503, reason="ServiceUnavailable"))
    result, _ = scenario.apply("--concurrency", "1")
    assert inj.injected["503"] == 5, "retries are bounded: 5 attempts, then the object fails"
    assert "assets-v1" in result.stderr
    scenario.failed_safely(result)


def test_a_409_race_is_retried_and_a_persistent_409_fails_safely(scenario: Scenario) -> None:
    inj = scenario.chain.injector
    modified = (
        "Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version"
    )
    inj.add(Rule("409", "PATCH", ROUTE_WRITE, status=409, reason="Conflict", message=modified, times=2))
    result, _ = scenario.apply()
    assert result.code == 0, result.output
    assert inj.injected["409"] == 2
    scenario.converged()


def test_a_persistent_409_is_reported_and_nothing_is_pruned(scenario: Scenario) -> None:
    inj = scenario.chain.injector
    inj.add(Rule("409", "PATCH", ROUTE_WRITE, status=409, reason="Conflict", message="Operation cannot be fulfilled"))
    result, _ = scenario.apply("--concurrency", "1")
    assert inj.injected["409"] == 1, "a conflict that is not a lost race is not retried"
    assert "assets-v1" in result.stderr
    scenario.failed_safely(result)


def test_responses_slower_than_the_request_timeout_are_retried_then_converge(scenario: Scenario) -> None:
    inj = scenario.chain.injector
    inj.add(Rule("slow", "PATCH", WRITES, delay=3.0, times=2))
    result, _ = scenario.apply("--request-timeout", "1", "--concurrency", "1")
    assert result.code == 0, result.output
    assert inj.injected["slow"] == 2
    scenario.converged()


def test_an_object_that_always_answers_too_late_is_reported_and_nothing_is_pruned(scenario: Scenario) -> None:
    inj = scenario.chain.injector
    inj.add(Rule("slow", "PATCH", ROUTE_WRITE, delay=2.5))
    result, _ = scenario.apply("--request-timeout", "1", "--concurrency", "1")
    assert inj.injected["slow"] == 5, "retries are bounded"
    assert "no answer" in result.stderr and "assets-v1" in result.stderr
    scenario.failed_safely(result)


# --- TCP faults (Toxiproxy) ----------------------------------------------------------------------


def test_connection_resets_mid_request_are_retried_then_converge(scenario: Scenario) -> None:
    chain = scenario.chain
    # when the first object write arrives, reset every connection (the one carrying it included) for 1.5 s
    chain.injector.add(
        Rule(
            "reset-trigger",
            "PATCH",
            WRITES,
            times=1,
            on_hit=lambda: chain.toxic_for(1.5, "reset", "reset_peer", timeout=0),
        )
    )
    result, _ = scenario.apply()
    assert result.code == 0, result.output
    assert chain.toxi.injected["reset_peer"] == 1
    scenario.converged()


def test_the_api_server_down_for_two_seconds_during_the_apply_is_ridden_out(scenario: Scenario) -> None:
    chain = scenario.chain
    chain.injector.add(Rule("down-trigger", "PATCH", WRITES, times=1, on_hit=lambda: chain.down_for(2.0)))
    result, _ = scenario.apply()
    assert result.code == 0, result.output
    assert chain.toxi.injected["down"] == 1
    scenario.converged()


def test_the_api_server_down_longer_than_the_retries_fails_safely(scenario: Scenario) -> None:
    chain = scenario.chain
    chain.injector.add(Rule("down-trigger", "PATCH", WRITES, times=1, on_hit=lambda: chain.down_for(25.0)))
    result, took = scenario.apply("--concurrency", "2")
    assert took < 60, "bounded: the run gives up instead of hanging"
    assert "no answer" in result.stderr
    time.sleep(max(0.0, 26.0 - took))
    scenario.failed_safely(result)


def test_latency_below_the_timeout_only_slows_the_apply(scenario: Scenario) -> None:
    chain = scenario.chain
    chain.toxi.toxic("apiserver", "latency", "latency", latency=150, jitter=50)
    chain.toxics.append("latency")
    result, _ = scenario.apply()
    assert result.code == 0, result.output
    scenario.converged()
