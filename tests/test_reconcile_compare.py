"""Normalisation, the local no-op check and per-field diffs, on objects recorded from a real API server."""

from __future__ import annotations

import copy

from apictl.model.objects import ObjectKey
from apictl.reconcile.fielddiff import ABSENT, FieldChange, field_changes, format_path
from apictl.reconcile.normalize import normalized
from apictl.reconcile.ownership import already_applied, owned_fields
from apictl.reconcile.redact import digested_body, masked_body, masked_changes, matches_digests

DESIRED_ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {"name": "r", "namespace": "exp1", "labels": {"app": "x"}, "annotations": {}},
    "spec": {
        "parentRefs": [{"name": "eg", "namespace": "infra", "sectionName": "https"}],
        "hostnames": ["a.example"],
        "rules": [
            {
                "matches": [{"path": {"type": "PathPrefix", "value": "/assets"}, "method": "GET"}],
                "backendRefs": [{"name": "svc", "port": 8080}],
            }
        ],
    },
}

# What kube-apiserver v1.36 returned after server-side applying DESIRED_ROUTE as "apictl":
# CRD defaults filled in (group, kind, weight), bookkeeping added, empty annotations dropped.
LIVE_ROUTE = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "HTTPRoute",
    "metadata": {
        "name": "r",
        "namespace": "exp1",
        "labels": {"app": "x"},
        "uid": "0b5c3e0e-6f2a-4b55-8d0e-3f3d0c9d1a11",
        "resourceVersion": "731",
        "generation": 1,
        "creationTimestamp": "2026-11-25T13:02:43Z",
        "managedFields": [
            {
                "manager": "apictl",
                "operation": "Apply",
                "apiVersion": "gateway.networking.k8s.io/v1",
                "time": "2026-11-25T13:02:43Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {
                    "f:metadata": {"f:annotations": {}, "f:labels": {"f:app": {}}},
                    "f:spec": {"f:hostnames": {}, "f:parentRefs": {}, "f:rules": {}},
                },
            }
        ],
    },
    "spec": {
        "hostnames": ["a.example"],
        "parentRefs": [
            {
                "group": "gateway.networking.k8s.io",
                "kind": "Gateway",
                "name": "eg",
                "namespace": "infra",
                "sectionName": "https",
            }
        ],
        "rules": [
            {
                "backendRefs": [{"group": "", "kind": "Service", "name": "svc", "port": 8080, "weight": 1}],
                "matches": [{"method": "GET", "path": {"type": "PathPrefix", "value": "/assets"}}],
            }
        ],
    },
    "status": {"parents": []},
}


def test_normalised_objects_have_no_server_bookkeeping() -> None:
    body = normalized(LIVE_ROUTE)
    assert "status" not in body
    assert set(body["metadata"]) == {"name", "namespace", "labels"}
    assert LIVE_ROUTE["metadata"]["managedFields"], "the input is not modified"


def test_last_applied_and_empty_maps_are_dropped() -> None:
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "a",
            "labels": {},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        },
    }
    assert normalized(body)["metadata"] == {"name": "a"}


def test_secret_string_data_is_folded_into_data() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "stringData": {"k": "hi"},
        "data": {"j": "eA=="},
    }
    assert normalized(secret)["data"] == {"j": "eA==", "k": "aGk="}
    assert "stringData" not in normalized(secret)


def test_an_unchanged_object_is_proven_a_no_op_locally_despite_server_defaults() -> None:
    assert already_applied(DESIRED_ROUTE, LIVE_ROUTE, "apictl")


def test_a_changed_value_needs_the_server() -> None:
    desired = copy.deepcopy(DESIRED_ROUTE)
    desired["spec"]["hostnames"] = ["b.example"]
    assert not already_applied(desired, LIVE_ROUTE, "apictl")


def test_an_out_of_band_edit_of_an_owned_field_is_not_a_no_op() -> None:
    live = copy.deepcopy(LIVE_ROUTE)
    live["spec"]["rules"][0]["matches"][0]["path"]["value"] = "/edited"
    assert not already_applied(DESIRED_ROUTE, live, "apictl")


def test_removing_a_field_apictl_owns_needs_the_server() -> None:
    desired = copy.deepcopy(DESIRED_ROUTE)
    del desired["metadata"]["labels"]
    assert not already_applied(desired, LIVE_ROUTE, "apictl")


def test_fields_added_by_another_manager_do_not_matter() -> None:
    live = copy.deepcopy(LIVE_ROUTE)
    live["metadata"]["labels"]["team"] = "other"
    assert already_applied(DESIRED_ROUTE, live, "apictl")


def test_objects_apictl_never_applied_need_the_server() -> None:
    live = copy.deepcopy(LIVE_ROUTE)
    live["metadata"]["managedFields"][0]["manager"] = "kubectl"
    assert owned_fields(live, "apictl") is None
    assert not already_applied(DESIRED_ROUTE, live, "apictl")


def test_list_map_keys_in_managed_fields_are_matched_by_key() -> None:
    desired = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80, "protocol": "TCP"}]},
    }
    live = {
        **desired,
        "metadata": {
            "name": "s",
            "managedFields": [
                {
                    "manager": "apictl",
                    "operation": "Apply",
                    "fieldsV1": {"f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}}}},
                }
            ],
        },
        "spec": {"ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}], "clusterIP": "10.0.0.1"},
    }
    assert already_applied(desired, live, "apictl")
    removed = {**desired, "spec": {"ports": [{"port": 81, "protocol": "TCP"}]}}
    assert not already_applied(removed, live, "apictl")


def test_field_changes_name_paths_and_both_sides() -> None:
    before = normalized(LIVE_ROUTE)
    after = copy.deepcopy(before)
    after["spec"]["hostnames"] = ["a.example", "b.example"]
    after["metadata"]["labels"]["app.kubernetes.io/name"] = "x"
    del after["metadata"]["labels"]["app"]
    changes = field_changes(before, after)
    assert [(c.dotted, c.kind) for c in changes] == [
        ("metadata.labels.app", "removed"),
        ('metadata.labels["app.kubernetes.io/name"]', "added"),
        ("spec.hostnames[1]", "added"),
    ]
    assert changes[2].after == "b.example" and changes[2].before is ABSENT


def test_named_list_items_are_paired_by_name() -> None:
    before = {"spec": {"c": [{"name": "a", "v": 1}, {"name": "b", "v": 2}]}}
    after = {"spec": {"c": [{"name": "b", "v": 3}]}}
    changes = field_changes(before, after)
    assert [(c.dotted, c.before, c.after) for c in changes] == [
        ("spec.c[0].v", 2, 3),
        ('spec.c["name=a"]', {"name": "a", "v": 1}, ABSENT),
    ]


def test_type_changes_are_changes() -> None:
    assert field_changes({"a": 1}, {"a": "1"}) == (FieldChange(("a",), 1, "1"),)
    assert format_path(("spec", "rules", 0, "x-y")) == "spec.rules[0].x-y"


def test_secret_values_are_masked_like_kubectl() -> None:
    key = ObjectKey("", "Secret", "ns", "s")
    changes = field_changes(
        {"data": {"k": "b2xk", "same": "eA=="}}, {"data": {"k": "bmV3", "same": "eA=="}, "type": "Opaque"}
    )
    masked = masked_changes(key, changes)
    assert [(c.dotted, c.before, c.after) for c in masked] == [
        ("data.k", "*** (before)", "*** (after)"),
        ("type", ABSENT, "Opaque"),
    ]
    body = masked_body({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "c2VjcmV0"}})
    assert body["data"] == {"k": "***"}
    other = ObjectKey("", "ConfigMap", "ns", "c")
    assert masked_changes(other, changes) == changes


def test_saved_plans_keep_only_digests_of_secret_values() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"password": "hunter2"}}
    digested, replaced = digested_body(secret)
    assert replaced and "hunter2" not in str(digested)
    assert matches_digests(secret, digested)
    assert not matches_digests({**secret, "stringData": {"password": "changed"}}, digested)
