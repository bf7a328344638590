"""The test harness is a real Kubernetes control plane: SSA, strict field validation, CRD CEL
rules, RBAC, the built kubectl, and the /status helper."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.k8s

GW_GROUP, GW_VERSION = "gateway.networking.k8s.io", "v1"
# A real x-kubernetes-validations rule of the Gateway API HTTPRoute CRD
# (spec.rules[].matches[].path, experimental and standard channels):
CEL_RULE = "(self.type in ['Exact','PathPrefix']) ? self.value.startsWith('/') : true"
CEL_MESSAGE = "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']"


def httproute(name: str, namespace: str, **rule_extra) -> dict:
    rule = {
        "matches": [{"path": {"type": "PathPrefix", "value": "/orders"}}],
        "backendRefs": [{"name": "orders", "port": 8080}],
        **rule_extra,
    }
    return {
        "apiVersion": f"{GW_GROUP}/{GW_VERSION}",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"parentRefs": [{"name": "public-gw"}], "hostnames": ["api.example.com"], "rules": [rule]},
    }


def apply(api_client, obj: dict, plural: str = "httproutes", field_manager: str = "apictl") -> dict:
    """Server-side apply with fieldValidation=Strict, as apictl does."""
    from kubernetes import client

    group, version = obj["apiVersion"].split("/")
    co = client.CustomObjectsApi(api_client)
    ns, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
    out = co.patch_namespaced_custom_object(
        group,
        version,
        ns,
        plural,
        name,
        obj,
        field_manager=field_manager,
        field_validation="Strict",
        force=True,
        _content_type="application/apply-patch+yaml",
    )
    if out is None:  # kubernetes client 37 returns None for 201 Created (its response map has only 200)
        out = co.get_namespaced_custom_object(group, version, ns, plural, name)
    return out


def api_error(fn, *args, **kwargs):
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as ei:
        fn(*args, **kwargs)
    return ei.value


def test_server_side_apply_strict(k8s_client, namespace):
    obj = apply(k8s_client, httproute("orders", namespace))
    assert obj["metadata"]["name"] == "orders"
    managers = {(m["manager"], m["operation"]) for m in obj["metadata"]["managedFields"]}
    assert ("apictl", "Apply") in managers
    # defaults from the CRD schema are applied by the apiserver
    assert obj["spec"]["parentRefs"][0]["group"] == GW_GROUP
    assert obj["spec"]["parentRefs"][0]["kind"] == "Gateway"
    # re-applying the same object is a no-op (same resourceVersion)
    again = apply(k8s_client, httproute("orders", namespace))
    assert again["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]


def test_unknown_field_rejected_under_strict(k8s_client, namespace):
    from kubernetes import client

    co = client.CustomObjectsApi(k8s_client)
    bad = httproute("bogus", namespace, timeoutz={"request": "5s"})
    # server-side apply: the apiserver cannot build the typed patch and answers 500 (v1.36,
    # whatever fieldValidation says; the same for built-in kinds)
    err = api_error(apply, k8s_client, bad)
    assert err.status == 500, err.body
    assert ".spec.rules[0].timeoutz: field not declared in schema" in json.loads(err.body)["message"]
    # create (POST) with fieldValidation=Strict: 400 BadRequest, strict decoding error
    err = api_error(
        co.create_namespaced_custom_object,
        GW_GROUP,
        GW_VERSION,
        namespace,
        "httproutes",
        bad,
        field_validation="Strict",
    )
    assert err.status == 400, err.body
    assert 'strict decoding error: unknown field "spec.rules[0].timeoutz"' in json.loads(err.body)["message"]
    gone = api_error(co.get_namespaced_custom_object, GW_GROUP, GW_VERSION, namespace, "httproutes", "bogus")
    assert gone.status == 404
    # without Strict the unknown field would be pruned silently: that is what Strict guards against
    co.create_namespaced_custom_object(GW_GROUP, GW_VERSION, namespace, "httproutes", bad, field_validation="Ignore")
    kept = co.get_namespaced_custom_object(GW_GROUP, GW_VERSION, namespace, "httproutes", "bogus")
    assert "timeoutz" not in kept["spec"]["rules"][0]


def test_crd_cel_rule_rejects_invalid_httproute(k8s_client, namespace):
    from kubernetes import client

    crd = client.CustomObjectsApi(k8s_client).get_cluster_custom_object(
        "apiextensions.k8s.io", "v1", "customresourcedefinitions", f"httproutes.{GW_GROUP}"
    )
    assert CEL_RULE in json.dumps(crd), "the rule is not in the installed CRD"

    bad = httproute("no-slash", namespace)
    bad["spec"]["rules"][0]["matches"][0]["path"]["value"] = "orders"  # no leading '/'
    err = api_error(apply, k8s_client, bad)
    assert err.status == 422, err.body
    assert CEL_MESSAGE in json.loads(err.body)["message"]


def test_rbac_denies_restricted_identity(k8s_client, namespace, restricted_kubeconfig, kube):
    from kubernetes import client

    kc = restricted_kubeconfig("alice", "apictl:testers")
    alice = kube.api_client(kc)
    err = api_error(apply, alice, httproute("from-alice", namespace))
    assert err.status == 403, err.body
    assert 'User "alice" cannot patch resource "httproutes"' in json.loads(err.body)["message"]  # SSA = PATCH

    # grant read-only access: alice can list now, still cannot write
    rbac = client.RbacAuthorizationV1Api(k8s_client)
    rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "httproute-reader"},
            "rules": [{"apiGroups": [GW_GROUP], "resources": ["httproutes"], "verbs": ["get", "list", "watch"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "testers-read"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "httproute-reader"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "apictl:testers"}],
        },
    )
    co = client.CustomObjectsApi(alice)
    deadline = time.monotonic() + 10  # the RBAC authorizer reads from an informer cache
    while True:
        try:
            co.list_namespaced_custom_object(GW_GROUP, GW_VERSION, namespace, "httproutes")
            break
        except client.exceptions.ApiException as e:
            if e.status != 403 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    err = api_error(apply, alice, httproute("from-alice", namespace))
    assert err.status == 403


def test_built_kubectl_lists_crds(kube):
    r = kube.kubectl_run("get", "crds", "-o", "name")
    names = set(r.stdout.split())
    for crd in (
        "httproutes.gateway.networking.k8s.io",
        "backendtlspolicies.gateway.networking.k8s.io",
        "xbackendtrafficpolicies.gateway.networking.x-k8s.io",  # experimental channel only
        "envoyproxies.gateway.envoyproxy.io",
        "kongplugins.configuration.konghq.com",
        "apis.dp.wso2.com",
        "queues.rabbitmq.com",
        "rabbitmqclusters.rabbitmq.com",
        "kafkatopics.kafka.strimzi.io",
        "streams.jetstream.nats.io",
    ):
        assert f"customresourcedefinition.apiextensions.k8s.io/{crd}" in names
    v = json.loads(kube.kubectl_run("version", "-o", "json").stdout)
    assert v["clientVersion"]["gitVersion"] == v["serverVersion"]["gitVersion"] == kube.kubernetes_version


def test_every_crd_is_established(kube):
    items = json.loads(kube.kubectl_run("get", "crds", "-o", "json").stdout)["items"]
    assert len(items) >= 60
    not_ready = [
        i["metadata"]["name"]
        for i in items
        if not any(c["type"] == "Established" and c["status"] == "True" for c in i["status"]["conditions"])
    ]
    assert not_ready == []


def test_set_status_on_route_and_gateway(k8s_client, namespace, set_status):
    from kubernetes import client

    co = client.CustomObjectsApi(k8s_client)
    route = apply(k8s_client, httproute("orders", namespace))
    gen = route["metadata"]["generation"]
    set_status(route, [{"type": "Accepted", "status": "True"}, ("ResolvedRefs", False, "BackendNotFound")])
    got = co.get_namespaced_custom_object(GW_GROUP, GW_VERSION, namespace, "httproutes", "orders")
    (parent,) = got["status"]["parents"]
    assert parent["parentRef"]["name"] == "public-gw"
    assert parent["controllerName"] == "example.com/apictl-test-controller"
    conds = {c["type"]: c for c in parent["conditions"]}
    assert conds["Accepted"]["status"] == "True" and conds["Accepted"]["observedGeneration"] == gen
    assert conds["ResolvedRefs"]["status"] == "False" and conds["ResolvedRefs"]["reason"] == "BackendNotFound"
    assert got["metadata"]["generation"] == gen  # status writes do not bump the generation

    gw = apply(
        k8s_client,
        {
            "apiVersion": f"{GW_GROUP}/{GW_VERSION}",
            "kind": "Gateway",
            "metadata": {"name": "public-gw", "namespace": namespace},
            "spec": {"gatewayClassName": "test", "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
        },
        plural="gateways",
    )
    out = set_status(gw, [{"type": "Programmed", "status": "False", "reason": "Pending"}], observed_generation=7)
    (c,) = out["status"]["conditions"]
    assert (c["type"], c["status"], c["reason"], c["observedGeneration"]) == ("Programmed", "False", "Pending", 7)


def test_set_status_schema_without_condition_generation(k8s_client, namespace, set_status):
    """RabbitMQ topology conditions have no observedGeneration; status.observedGeneration is set."""
    q = apply(
        k8s_client,
        {
            "apiVersion": "rabbitmq.com/v1beta1",
            "kind": "Queue",
            "metadata": {"name": "orders", "namespace": namespace},
            "spec": {"name": "orders", "rabbitmqClusterReference": {"name": "rmq"}},
        },
        plural="queues",
    )
    out = set_status(q, [{"type": "Ready", "status": "False", "reason": "FailedCreateOrUpdate", "message": "boom"}])
    assert out["status"]["observedGeneration"] == q["metadata"]["generation"]
    (c,) = out["status"]["conditions"]
    assert "observedGeneration" not in c and c["message"] == "boom"


def test_up_again_reuses_the_running_control_plane(kube):
    t0 = time.monotonic()
    r = subprocess.run(
        [sys.executable, str(Path(__file__).parent.parent / "scripts" / "k8senv"), "up"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == f"export KUBECONFIG={kube.kubeconfig}"
    assert "reusing" in r.stderr
    assert time.monotonic() - t0 < 30
