"""ApplySet ids, labels and parent checks, exactly as kubectl implements them (pure, no cluster)."""

from __future__ import annotations

import pytest

from apictl.model.objects import GroupKind, ObjectKey
from apictl.reconcile.applyset import (
    GROUP_KINDS_ANNOTATION,
    ID_LABEL,
    NAMESPACES_ANNOTATION,
    PART_OF_LABEL,
    TOOLING,
    TOOLING_ANNOTATION,
    Inventory,
    ParentRef,
    applyset_id,
    parent_body,
    parent_for,
    parent_is_current,
    parse_group_kind,
    read_parent,
    with_membership,
)
from apictl.reconcile.errors import InvalidDesired, Refused
from apictl.reconcile.ports import LiveObject


def test_id_matches_the_kep_test_vectors() -> None:
    assert applyset_id("set1", "foo", "Secret", "") == "applyset-7CmtoRyMlhBIeIT1oJFa9-afdKAlctFH-0bE1dsQUDQ-v1"
    assert (
        applyset_id("automata", "", "ApplySet", "starjunk.net")
        == "applyset-xjZyH1FmMYtP-oSkfLUgubxDYIbsrD-IuDRLmezicIo-v1"
    )


def test_one_configmap_parent_per_environment_in_its_namespace() -> None:
    ref = parent_for("dev", "assetco-dev")
    assert ref.key == ObjectKey("", "ConfigMap", "assetco-dev", "apictl-applyset-dev")
    assert ref.id == applyset_id("apictl-applyset-dev", "assetco-dev", "ConfigMap", "")
    assert ref.selector == f"{PART_OF_LABEL}={ref.id}"
    assert ref.kubectl_flag() == "configmaps/apictl-applyset-dev"
    assert len(ref.id) <= 63


def test_parse_group_kind_splits_at_the_first_dot_like_kubectl() -> None:
    assert parse_group_kind("ConfigMap") == GroupKind("", "ConfigMap")
    assert parse_group_kind("HTTPRoute.gateway.networking.k8s.io") == GroupKind(
        "gateway.networking.k8s.io", "HTTPRoute"
    )


def test_parent_body_records_a_sorted_inventory_without_the_parent_namespace() -> None:
    ref = parent_for("dev", "ns1")
    inventory = Inventory(
        frozenset({GroupKind("gateway.networking.k8s.io", "HTTPRoute"), GroupKind("", "ConfigMap")}),
        frozenset({"ns1", "zeta", "alpha"}),
    )
    body = parent_body(ref, inventory, "dev")
    assert body["apiVersion"] == "v1" and body["kind"] == "ConfigMap"
    assert body["metadata"]["labels"][ID_LABEL] == ref.id
    annotations = body["metadata"]["annotations"]
    assert annotations[GROUP_KINDS_ANNOTATION] == "ConfigMap,HTTPRoute.gateway.networking.k8s.io"
    assert annotations[NAMESPACES_ANNOTATION] == "alpha,zeta"
    assert annotations[TOOLING_ANNOTATION] == TOOLING and TOOLING.startswith("apictl/v")
    assert "data" not in body


def _parent(ref: ParentRef, labels: dict | None = None, annotations: dict | None = None) -> LiveObject:
    meta = {"name": ref.name, "namespace": ref.namespace, "labels": labels or {}, "annotations": annotations or {}}
    return LiveObject.of({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta})


def test_read_parent_returns_the_recorded_inventory() -> None:
    ref = parent_for("dev", "ns1")
    live = LiveObject.of(
        parent_body(ref, Inventory(frozenset({GroupKind("", "Secret")}), frozenset({"ns1", "b"})), "dev")
    )
    assert read_parent(live, ref) == Inventory(frozenset({GroupKind("", "Secret")}), frozenset({"ns1", "b"}))
    assert read_parent(None, ref) == Inventory(frozenset(), frozenset({"ns1"}))


def test_empty_kinds_annotation_is_an_empty_set() -> None:
    ref = parent_for("dev", "ns1")
    live = _parent(ref, {ID_LABEL: ref.id}, {TOOLING_ANNOTATION: "apictl/v9", GROUP_KINDS_ANNOTATION: ""})
    assert read_parent(live, ref).group_kinds == frozenset()


@pytest.mark.parametrize(
    ("labels", "annotations", "message"),
    [
        ({}, {}, "missing required annotation 'applyset.kubernetes.io/tooling'"),
        ({}, {TOOLING_ANNOTATION: "kubectl/v1.36"}, "managed by tooling 'kubectl' instead of 'apictl'"),
        ({}, {TOOLING_ANNOTATION: "helm"}, "managed by tooling 'helm' instead of 'apictl'"),
        ({}, {TOOLING_ANNOTATION: "apictl/v0.1.0"}, "does not have required label applyset.kubernetes.io/id"),
        (
            {ID_LABEL: "applyset-someone-else-v1"},
            {TOOLING_ANNOTATION: "apictl/v0.1.0"},
            "has incorrect value for label 'applyset.kubernetes.io/id' (got: applyset-someone-else-v1",
        ),
    ],
)
def test_foreign_or_impersonated_parents_are_refused(labels: dict, annotations: dict, message: str) -> None:
    ref = parent_for("dev", "ns1")
    with pytest.raises(Refused) as info:
        read_parent(_parent(ref, labels, annotations), ref)
    assert message in info.value.message


def test_parent_is_current_only_for_the_exact_inventory_and_version() -> None:
    ref = parent_for("dev", "ns1")
    inventory = Inventory(frozenset({GroupKind("", "Secret")}), frozenset({"ns1"}))
    live = LiveObject.of(parent_body(ref, inventory, "dev"))
    assert parent_is_current(live, ref, inventory)
    assert not parent_is_current(live, ref, inventory.union(Inventory(frozenset(), frozenset({"other"}))))
    assert not parent_is_current(None, ref, inventory)
    older = _parent(ref, {ID_LABEL: ref.id}, {**live.metadata["annotations"], TOOLING_ANNOTATION: "apictl/v0.0.1"})
    assert not parent_is_current(older, ref, inventory)


def test_membership_label_is_added_without_touching_the_input() -> None:
    ref = parent_for("dev", "ns1")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"x": "1"}}}
    labelled = with_membership(body, ref)
    assert labelled["metadata"]["labels"] == {"x": "1", PART_OF_LABEL: ref.id}
    assert body["metadata"]["labels"] == {"x": "1"}


def test_input_that_already_carries_applyset_labels_is_refused() -> None:
    ref = parent_for("dev", "ns1")
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {PART_OF_LABEL: "x"}}}
    with pytest.raises(InvalidDesired, match="already set in input data"):
        with_membership(body, ref)
