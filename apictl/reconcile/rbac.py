"""The least-privilege RBAC that ``apictl diff``, ``plan`` and ``apply`` need for one environment.

Pure: kinds, namespaces and names in, Kubernetes RBAC manifests (plain dicts) out; no cluster.
Derived from what apictl actually sends (``apictl/cluster/kube.py``, ``reconcile/build.py``,
``executor.py``, ``wait.py``, ``fingerprint.py``):

- ``get``: the ApplySet parent; desired objects that are not members yet (to adopt or refuse).
- ``list``: members of every owned kind in every namespace of the set (label selector, paged, also
  metadata-only for environment snapshots and once per second for ``--wait``); a plain LIST when
  more than 50 desired objects of one kind and namespace are missing.
- ``patch``: server-side apply (``PATCH application/apply-patch+yaml``), dry-runs included.
- ``create``: a server-side apply that creates the object is authorised as ``create`` as well.
- ``delete``: prune (with uid/resourceVersion preconditions).

Never ``update`` (PUT) or ``watch`` on the kinds apictl renders: it uses neither. The parent ConfigMap
and the one-writer Lease are granted by name. Discovery (``/api``, ``/apis``) is open to every
authenticated user through the built-in ``system:discovery`` ClusterRole, so a ClusterRole is only
emitted when an owned kind is cluster-scoped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from apictl.model.objects import GroupKind
from apictl.reconcile.applyset import parent_for
from apictl.render.plurals import Resource

OBJECT_VERBS = ("get", "list", "create", "patch", "delete")
"""On every resource of the owned kinds (see the module docstring for which request needs which)."""
PARENT_VERBS = ("get", "create", "patch")
"""On the ApplySet parent ConfigMap: read, and server-side apply (which creates it the first time)."""
LEASE_VERBS = ("get", "update", "delete")
"""On the one-writer Lease ``apictl-lock-<env>``: read it, renew or take it over, release it."""
LEASE_CREATE = ("create",)
"""A POST carries no name when it is authorised, so ``create`` cannot be limited to the lock's name."""

RBAC_API = "rbac.authorization.k8s.io/v1"
MANAGED_BY = {"app.kubernetes.io/managed-by": "apictl"}


def role_name(environment: str) -> str:
    return f"apictl-{environment}"


def lock_name(environment: str) -> str:
    return f"apictl-lock-{environment}"


def _rules(owned: Iterable[GroupKind], resource: Callable[[GroupKind], Resource]) -> list[dict[str, Any]]:
    by_group: dict[str, set[str]] = defaultdict(set)
    for gk in owned:
        by_group[gk.group].add(resource(gk).plural)
    return [
        {"apiGroups": [group], "resources": sorted(plurals), "verbs": list(OBJECT_VERBS)}
        for group, plurals in sorted(by_group.items())
    ]


def manifests(
    *,
    environment: str,
    namespace: str,
    namespaces: Iterable[str],
    owned: Iterable[GroupKind],
    resource: Callable[[GroupKind], Resource],
) -> list[dict[str, Any]]:
    """A Role per namespace the environment renders into (``namespace`` first), plus a ClusterRole
    when an owned kind is cluster-scoped.

    ``namespaces``: namespaces of the rendered objects (the environment's own is always included).
    ``resource``: the plural and scope of a kind (``apictl.render.plurals.resource``).
    """
    owned = sorted(set(owned))
    namespaced = [gk for gk in owned if resource(gk).namespaced]
    cluster_scoped = [gk for gk in owned if not resource(gk).namespaced]
    others = sorted(set(namespaces) - {namespace, ""})
    labels = {**MANAGED_BY, "apictl.io/environment": environment}
    parent = parent_for(environment, namespace)

    found: list[dict[str, Any]] = []
    for ns in [namespace, *others]:
        rules = _rules(namespaced, resource)
        if ns == namespace:
            rules += [
                {
                    "apiGroups": [""],
                    "resources": ["configmaps"],
                    "resourceNames": [parent.name],
                    "verbs": list(PARENT_VERBS),
                },
                {
                    "apiGroups": ["coordination.k8s.io"],
                    "resources": ["leases"],
                    "resourceNames": [lock_name(environment)],
                    "verbs": list(LEASE_VERBS),
                },
                {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": list(LEASE_CREATE)},
            ]
        found.append(
            {
                "apiVersion": RBAC_API,
                "kind": "Role",
                "metadata": {"name": role_name(environment), "namespace": ns, "labels": labels},
                "rules": rules,
            }
        )
    if cluster_scoped:
        found.append(
            {
                "apiVersion": RBAC_API,
                "kind": "ClusterRole",
                "metadata": {"name": role_name(environment), "labels": labels},
                "rules": _rules(cluster_scoped, resource),
            }
        )
    return found


def example_bindings(roles: Iterable[dict[str, Any]], subject: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """A RoleBinding (ClusterRoleBinding) per role for ``subject`` (default: a ServiceAccount ``apictl``
    in the environment's namespace): the binding is the user's choice, this is an example."""
    roles = list(roles)
    home = next((r["metadata"]["namespace"] for r in roles if r["kind"] == "Role"), "default")
    subject = subject or {"kind": "ServiceAccount", "name": "apictl", "namespace": home}
    found = []
    for role in roles:
        meta = role["metadata"]
        binding: dict[str, Any] = {
            "apiVersion": RBAC_API,
            "kind": "RoleBinding" if role["kind"] == "Role" else "ClusterRoleBinding",
            "metadata": {"name": meta["name"], **({"namespace": meta["namespace"]} if "namespace" in meta else {})},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role["kind"], "name": meta["name"]},
            "subjects": [dict(subject)],
        }
        found.append(binding)
    return found
