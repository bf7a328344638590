"""What diff, plan and apply share: render the environment, connect, build the plan, map errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apictl.cli import diagnostics_view
from apictl.cli.errors import CommandError
from apictl.cli.exit_codes import ExitCode
from apictl.cli.rendering import Rendered, render_checked
from apictl.model.diagnostics import Severity
from apictl.reconcile.errors import ClusterError, InvalidDesired, ReconcileError, Refused

if TYPE_CHECKING:
    from apictl.cluster.kube import KubeCluster
    from apictl.reconcile.fingerprint import Snapshot
    from apictl.reconcile.plan import Plan
    from apictl.reconcile.progress import Observer


class Stopwatch:
    """Seconds spent per phase (render, plan, apply), for the JSON output and the benchmark."""

    def __init__(self) -> None:
        self._last = time.perf_counter()
        self.phases: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases[phase] = round(now - self._last, 3)
        self._last = now

    def text(self) -> str:
        return ", ".join(f"{name} {seconds:.2f}s" for name, seconds in self.phases.items())


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    kubeconfig: str | None
    context: str | None
    request_timeout: float
    concurrency: int


def render_for_cluster(path: str, ref: str | None, env: str) -> Rendered:
    """Load, validate and render like ``apictl render``; exit 3 on any error (nothing reaches the cluster)."""
    rendered = render_checked(path, ref, env, consequence="nothing was sent to the cluster")
    warnings = [d for d in rendered.result.diagnostics if d.severity is not Severity.ERROR]
    if warnings:
        diagnostics_view.print_text(warnings)
    return rendered


@contextmanager
def reconcile_errors() -> Iterator[None]:
    """The one place reconcile/cluster errors become exit codes."""
    try:
        yield
    except Refused as exc:
        raise CommandError(ExitCode.REFUSED, exc.message, exc.hint) from None
    except InvalidDesired as exc:
        raise CommandError(ExitCode.INVALID, exc.message, exc.hint) from None
    except ClusterError as exc:
        raise CommandError(ExitCode.CLUSTER, exc.message, exc.hint) from None
    except ReconcileError as exc:
        raise CommandError(ExitCode.CLUSTER, exc.message, exc.hint) from None


def connect(options: ClusterOptions) -> KubeCluster:
    from apictl.cluster import connect as connect_cluster

    with reconcile_errors():
        return connect_cluster(
            options.kubeconfig,
            options.context,
            timeout=options.request_timeout,
            pool_size=options.concurrency + 4,
        )


def make_plan(
    cluster: KubeCluster, rendered: Rendered, *, force_conflicts: bool, concurrency: int, observer: Observer
) -> Plan:
    from apictl.reconcile.build import build_plan

    with reconcile_errors():
        return build_plan(
            cluster,
            environment=rendered.environment,
            namespace=rendered.namespace,
            objects=rendered.result.objects,
            owned=rendered.result.owned_kinds,
            force_conflicts=force_conflicts,
            concurrency=concurrency,
            observer=observer,
        )


@dataclass(frozen=True, slots=True)
class Shortcut:
    """The outcome of checking the environment's snapshot before rendering anything."""

    cluster: KubeCluster | None
    """Connected already (the slow path reuses it), or None when the kubeconfig could not be used."""
    source: str | None
    """Digest of the repository as it was read, to save with a new snapshot."""
    snapshot: Snapshot | None
    """Set when nothing changed since apictl last verified the environment: the plan is empty."""


def check_snapshot(path: str, ref: str | None, env: str, options: ClusterOptions) -> Shortcut:
    """Whether the repository and the cluster are exactly as apictl last left them (no render needed)."""
    from apictl.cli import snapshots
    from apictl.reconcile.fingerprint import still_current

    if ref is not None or not snapshots.enabled():
        return Shortcut(None, None, None)
    try:
        cluster = connect(options)
    except CommandError:  # reported after rendering, so that an invalid repository still exits 3
        return Shortcut(None, None, None)
    source = snapshots.source_digest(path)
    snapshot = snapshots.load(cluster.server, path, env, source) if source else None
    if snapshot is None:
        return Shortcut(cluster, source, None)
    try:
        current = still_current(cluster, snapshot, options.concurrency)
    except ReconcileError:
        current = False
    return Shortcut(cluster, source, snapshot if current else None)


def remember(shortcut: Shortcut, path: str, env: str, snapshot: Snapshot | None) -> None:
    """Save a snapshot after a verified run, if the repository did not change while apictl ran."""
    from apictl.cli import snapshots

    if snapshot is None or shortcut.cluster is None or shortcut.source is None:
        return
    if snapshots.source_digest(path) == shortcut.source:
        snapshots.save(shortcut.cluster.server, path, env, shortcut.source, snapshot)


@contextmanager
def apply_lock(cluster: KubeCluster, namespace: str, environment: str, *, enabled: bool = True) -> Iterator[None]:
    """Hold the environment's Lease ``apictl-lock-<env>`` for the block (exit 6 when another run holds it).
    Released on every exit, Ctrl-C and SIGTERM included; a SIGKILLed run's Lease expires by itself."""
    if not enabled:
        yield
        return
    from apictl.cli.console import human
    from apictl.cluster.lease import LeaseLock

    lock = LeaseLock(cluster.transport, namespace, environment)
    with reconcile_errors():
        lock.acquire()
    try:
        yield
    finally:
        lock.release()
        if lock.lost:
            human().print(f"[yellow]warning:[/] {lock.lost}")


def check_context(
    expected: str | None, options: ClusterOptions, environment: str, *, allow_mismatch: bool, interactive: bool
) -> None:
    """Refuse (exit 6) to write when the Environment declares ``spec.kubeContext`` and the kube context in use
    differs, unless confirmed on a terminal or allowed with --allow-context-mismatch."""
    if not expected:
        return
    from apictl.cluster.kubeconfig import context_name

    with reconcile_errors():
        current = context_name(options.kubeconfig, options.context)
    if current == expected or allow_mismatch:
        return
    question = (
        f"Environment {environment} expects kube context {expected!r} but the current context is "
        f"{current or '(in-cluster)'!r}."
    )
    if interactive:
        import typer

        if typer.confirm(f"{question} Apply anyway?", default=False, err=True):
            return
        raise CommandError(ExitCode.REFUSED, f"{question} Nothing was applied.", "use --context " + expected)
    raise CommandError(
        ExitCode.REFUSED,
        f"{question} Refusing to apply without a terminal to confirm; nothing was written.",
        f"pass --context {expected}, or --allow-context-mismatch if this cluster is intended",
    )
