"""cluster: the only package that imports ``kubernetes``.

``connect()`` finds credentials like kubectl (``--kubeconfig``, ``KUBECONFIG``, ``--context``,
in-cluster) and returns a :class:`KubeCluster`, the adapter that implements
:class:`apictl.reconcile.ports.Cluster` over the REST API: aggregated discovery for the REST mapping,
paginated label-selected LISTs, server-side apply (``application/apply-patch+yaml``, strict field
validation, optional force and dry-run), deletes with uid/resourceVersion preconditions, bounded
retries, and translation of every failure into :mod:`apictl.reconcile.errors`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apictl.cluster.kube import KubeCluster

DEFAULT_TIMEOUT = 60.0


def connect(
    kubeconfig: str | None = None, context: str | None = None, *, timeout: float = DEFAULT_TIMEOUT, pool_size: int = 16
) -> KubeCluster:
    from apictl.cluster.kube import KubeCluster
    from apictl.cluster.kubeconfig import load_configuration
    from apictl.cluster.transport import Transport

    configuration = load_configuration(kubeconfig, context)
    return KubeCluster(Transport(configuration, timeout=timeout, pool_size=pool_size))
