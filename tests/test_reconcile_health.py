"""Acceptance verdicts on status shapes recorded from Gateway API, Envoy Gateway and broker controllers."""

from __future__ import annotations

from apictl.reconcile.health import Verdict, health

GW = "gateway.networking.k8s.io/v1"


def route(parents: list | None, generation: int = 2) -> dict:
    body = {
        "apiVersion": GW,
        "kind": "HTTPRoute",
        "metadata": {"name": "r", "generation": generation},
        "spec": {"parentRefs": [{"name": "eg", "namespace": "infra", "sectionName": "https"}]},
    }
    if parents is not None:
        body["status"] = {"parents": parents}
    return body


def parent(*conditions: tuple) -> dict:
    return {
        "parentRef": {"name": "eg", "namespace": "infra", "sectionName": "https"},
        "controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
        "conditions": [
            {"type": t, "status": s, "reason": r, "message": m, "observedGeneration": g} for t, s, r, m, g in conditions
        ],
    }


def test_route_without_status_is_pending() -> None:
    assert health(route(None)).verdict is Verdict.PENDING


def test_route_accepted_for_the_current_generation() -> None:
    ok = parent(("Accepted", "True", "Accepted", "", 2), ("ResolvedRefs", "True", "ResolvedRefs", "", 2))
    assert health(route([ok])).verdict is Verdict.ACCEPTED


def test_route_rejection_names_the_parent_and_the_message() -> None:
    bad = parent(("Accepted", "False", "NotAllowedByListeners", "no listener allows this namespace", 2))
    verdict = health(route([bad]))
    assert verdict.verdict is Verdict.REJECTED
    assert verdict.message == (
        "parent infra/eg#https: Accepted=False (NotAllowedByListeners): no listener allows this namespace"
    )


def test_unresolved_backend_rejects_even_when_accepted() -> None:
    bad = parent(("Accepted", "True", "Accepted", "", 2), ("ResolvedRefs", "False", "BackendNotFound", "svc x", 2))
    assert health(route([bad])).verdict is Verdict.REJECTED


def test_conditions_for_an_older_generation_do_not_count() -> None:
    stale_ok = parent(("Accepted", "True", "Accepted", "", 1))
    stale_bad = parent(("Accepted", "False", "Invalid", "old", 1))
    assert health(route([stale_ok])).verdict is Verdict.PENDING
    assert health(route([stale_bad])).verdict is Verdict.PENDING


def test_policies_report_on_ancestors() -> None:
    policy = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "SecurityPolicy",
        "metadata": {"name": "p", "generation": 1},
    }
    assert health(policy).verdict is Verdict.PENDING
    ancestor = {
        "ancestorRef": {"name": "r", "kind": "HTTPRoute"},
        "conditions": [{"type": "Accepted", "status": "False", "reason": "TargetNotFound", "message": "no route r"}],
    }
    rejected = health({**policy, "status": {"ancestors": [ancestor]}})
    assert rejected.verdict is Verdict.REJECTED and "TargetNotFound" in rejected.message
    ancestor["conditions"][0].update(status="True", reason="Accepted", message="")
    assert health({**policy, "status": {"ancestors": [ancestor]}}).verdict is Verdict.ACCEPTED


def test_broker_resources_are_ready_with_observed_generation() -> None:
    queue = {"apiVersion": "rabbitmq.com/v1beta1", "kind": "Queue", "metadata": {"name": "q", "generation": 3}}
    assert health(queue).verdict is Verdict.PENDING
    ready = {"type": "Ready", "status": "True", "reason": "SuccessfulCreateOrUpdate"}
    assert health({**queue, "status": {"conditions": [ready], "observedGeneration": 3}}).verdict is Verdict.ACCEPTED
    assert health({**queue, "status": {"conditions": [ready], "observedGeneration": 2}}).verdict is Verdict.PENDING
    failed = {"type": "Ready", "status": "False", "reason": "FailedCreateOrUpdate", "message": "vhost missing"}
    verdict = health({**queue, "status": {"conditions": [failed], "observedGeneration": 3}})
    assert verdict.verdict is Verdict.REJECTED and verdict.message.endswith("vhost missing")
    working = {"type": "Ready", "status": "False", "reason": "Reconciling"}
    assert health({**queue, "status": {"conditions": [working], "observedGeneration": 3}}).verdict is Verdict.PENDING


def test_strimzi_not_ready_is_a_rejection() -> None:
    user = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaUser",
        "metadata": {"name": "u", "generation": 1},
        "status": {"observedGeneration": 1, "conditions": [{"type": "NotReady", "status": "True", "message": "ACL"}]},
    }
    assert health(user).verdict is Verdict.REJECTED


def test_kinds_nobody_reports_on_have_no_opinion() -> None:
    assert health({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}).verdict is Verdict.NONE
    grant = {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant", "metadata": {"name": "g"}}
    assert health(grant).verdict is Verdict.NONE
