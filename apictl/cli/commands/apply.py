"""apictl apply: server-side apply the environment (or a saved plan) in dependency waves, then prune."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from apictl.cli import cluster_options, options
from apictl.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from apictl.cli.planning import ClusterOptions, Stopwatch
    from apictl.cluster.kube import KubeCluster
    from apictl.reconcile.executor import ApplyOptions, ApplyResult, Outcome
    from apictl.reconcile.plan import Plan
    from apictl.reconcile.ports import Cluster


class DryRun(StrEnum):
    none = "none"
    server = "server"


class ApplyOutput(StrEnum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)


def apply(
    path: str = options.PATH,
    env: str | None = typer.Option(None, "--env", "-e", help="The Environment to apply (not with --plan)."),
    ref: str | None = options.REF,
    plan_file: Path | None = typer.Option(
        None, "--plan", help="Apply exactly this saved plan (from `apictl plan --out`); refused if the cluster moved."
    ),
    kubeconfig: str | None = cluster_options.KUBECONFIG,
    context: str | None = cluster_options.CONTEXT,
    concurrency: int = cluster_options.CONCURRENCY,
    request_timeout: float = cluster_options.REQUEST_TIMEOUT,
    force_conflicts: bool = cluster_options.FORCE_CONFLICTS,
    dry_run: DryRun = typer.Option(
        DryRun.none, "--dry-run", help="server: send every request as a server-side dry run; nothing is persisted."
    ),
    wait: bool = typer.Option(False, "--wait", help="Wait until each wave is accepted by its controllers."),
    timeout: str = typer.Option("5m", "--timeout", help="How long --wait may take in total (e.g. 90s, 5m, 1h)."),
    prune: bool = typer.Option(True, "--prune/--no-prune", help="Delete members of the ApplySet no longer rendered."),
    confirm_prune_all: bool = typer.Option(
        False, "--confirm-prune-all", help="Allow pruning every member when the environment renders nothing."
    ),
    output: ApplyOutput = typer.Option(ApplyOutput.text, "--output", "-o", help="text (stderr) or json (stdout)."),
    allow_context_mismatch: bool = typer.Option(
        False,
        "--allow-context-mismatch",
        help="Apply even though the kube context differs from the Environment's spec.kubeContext (for CI).",
    ),
) -> None:
    """Server-side apply (field manager `apictl`, strict field validation) in dependency waves with
    bounded concurrency; then prune ApplySet members that are no longer rendered. Nothing is written
    when the server's dry-run rejects any object; nothing is pruned when any apply fails.

    Exit codes: 0 applied, 3 invalid repository, 4 cluster error, 5 some objects failed or were
    rejected (nothing pruned), 6 refused (stale plan, foreign ApplySet, unconfirmed prune-all,
    another apply holds the environment's lock, kube context differs from spec.kubeContext),
    130 interrupted (re-run to converge).

    One writer at a time: apply holds the Lease `apictl-lock-<env>` in the environment's namespace
    (60 s expiry, renewed every 20 s); --dry-run=server takes no lock.
    """
    from apictl.cli.errors import CommandError
    from apictl.cli.planning import ClusterOptions
    from apictl.reconcile.executor import ApplyOptions

    if (env is None) == (plan_file is None):
        raise CommandError(ExitCode.USAGE, "pass either --env ENV or --plan FILE", "apictl apply PATH --env dev")
    if plan_file is not None and ref is not None:
        raise CommandError(ExitCode.USAGE, "--ref cannot be used with --plan (the plan records its source)")
    cluster_opts = ClusterOptions(kubeconfig, context, request_timeout, concurrency)
    apply_opts = ApplyOptions(
        force_conflicts=force_conflicts,
        dry_run=dry_run is DryRun.server,
        concurrency=concurrency,
        prune=prune,
        confirm_prune_all=confirm_prune_all,
        wait=wait,
        timeout=_seconds(timeout),
    )
    if plan_file is not None:
        _apply_saved(plan_file, cluster_opts, apply_opts, output)
    else:
        assert env is not None
        _apply_environment(path, ref, env, cluster_opts, apply_opts, output, allow_context_mismatch)


def _apply_environment(
    path: str,
    ref: str | None,
    env: str,
    cluster_opts: ClusterOptions,
    apply_opts: ApplyOptions,
    output: ApplyOutput,
    allow_context_mismatch: bool = False,
) -> None:
    import sys

    from apictl.cli import apply_view, fault_hooks
    from apictl.cli.console import human
    from apictl.cli.planning import (
        Stopwatch,
        apply_lock,
        check_context,
        check_snapshot,
        connect,
        make_plan,
        remember,
        render_for_cluster,
    )
    from apictl.cli.progress_view import ProgressView
    from apictl.reconcile.executor import ApplyResult
    from apictl.reconcile.fingerprint import after_apply, after_diff

    clock = Stopwatch()
    shortcut = check_snapshot(path, ref, env, cluster_opts)
    if shortcut.snapshot is not None and shortcut.cluster is not None:
        clock.lap("check")
        cluster, objects = shortcut.cluster, shortcut.snapshot.objects
        if output is ApplyOutput.json:
            apply_view.to_json(
                ApplyResult(()),
                environment=env,
                dryRun=apply_opts.dry_run,
                server=cluster.server,
                unchanged=objects,
                requests=cluster.request_counts(),
                seconds=clock.phases,
                snapshot="nothing changed since apictl last verified the environment; APICTL_SNAPSHOTS=off re-checks every object",
            )
        else:
            apply_view.print_text(ApplyResult(()), apply_opts.dry_run, objects, cluster.request_counts(), clock.text())
        raise typer.Exit(ExitCode.OK)
    rendered = render_for_cluster(path, ref, env)
    clock.lap("render")
    if not apply_opts.dry_run:
        check_context(
            rendered.kube_context,
            cluster_opts,
            env,
            allow_mismatch=allow_context_mismatch,
            interactive=sys.stdin.isatty() and sys.stderr.isatty(),
        )
    cluster = shortcut.cluster or connect(cluster_opts)
    with apply_lock(cluster, rendered.namespace, env, enabled=not apply_opts.dry_run):
        with ProgressView(human()) as progress:
            plan = make_plan(
                cluster,
                rendered,
                force_conflicts=apply_opts.force_conflicts,
                concurrency=apply_opts.concurrency,
                observer=progress,
            )
        clock.lap("plan")
        result = _execute(plan, cluster, fault_hooks.wrap(cluster), apply_opts, output, clock)
        if not apply_opts.dry_run:
            remember(shortcut, path, env, after_diff(plan) if not plan.has_changes else after_apply(plan, result))
    raise typer.Exit(ExitCode.OK)


def _apply_saved(plan_file: Path, cluster_opts: ClusterOptions, apply_opts: ApplyOptions, output: ApplyOutput) -> None:
    import json

    from apictl.cli.errors import CommandError
    from apictl.cli.planning import Stopwatch, apply_lock, connect, reconcile_errors
    from apictl.reconcile import planfile

    try:
        document = json.loads(plan_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(ExitCode.USAGE, f"cannot read the plan {plan_file}: {exc}") from None
    clock = Stopwatch()
    cluster = connect(cluster_opts)
    with reconcile_errors():
        saved = planfile.load(document)
    if saved.server != cluster.server:
        raise CommandError(
            ExitCode.REFUSED,
            f"the plan was made against {saved.server}, but the kubeconfig points at {cluster.server}",
            "use the same --kubeconfig/--context as for `apictl plan`",
        )
    with apply_lock(cluster, saved.plan.parent.namespace, saved.plan.environment, enabled=not apply_opts.dry_run):
        _apply_loaded(saved, cluster, cluster_opts, apply_opts, output, clock)


def _apply_loaded(
    saved: Any,
    cluster: KubeCluster,
    cluster_opts: ClusterOptions,
    apply_opts: ApplyOptions,
    output: ApplyOutput,
    clock: Stopwatch,
) -> None:
    import dataclasses

    from apictl.cli import fault_hooks
    from apictl.cli.errors import CommandError
    from apictl.cli.planning import reconcile_errors, render_for_cluster
    from apictl.reconcile import planfile
    from apictl.reconcile.build import desired_bodies

    with reconcile_errors():
        plan = saved.plan
        if saved.redacted:
            src = saved.source
            rendered = render_for_cluster(src.path, src.ref, src.environment)
            bodies = desired_bodies(cluster, rendered.result.objects, plan.parent, rendered.namespace)
            plan = planfile.fill_secrets(saved, bodies)
        moved = planfile.moved(cluster, plan, apply_opts.concurrency)
    if moved:
        listing = "\n  ".join(moved)
        raise CommandError(
            ExitCode.REFUSED,
            f"the saved plan is stale: {len(moved)} object(s) changed since it was made:\n  {listing}",
            "run `apictl plan` again and review the new plan",
        )
    clock.lap("check")
    options = dataclasses.replace(apply_opts, preconditions=True)
    _execute(plan, cluster, fault_hooks.wrap(cluster), options, output, clock)
    raise typer.Exit(ExitCode.OK)


def _execute(
    plan: Plan, cluster: KubeCluster, writer: Cluster, apply_opts: ApplyOptions, output: ApplyOutput, clock: Stopwatch
) -> ApplyResult:
    """Apply ``plan``; returns the result when it succeeded, raises CommandError otherwise."""
    from apictl.cli import apply_view
    from apictl.cli.console import human
    from apictl.cli.errors import CommandError
    from apictl.cli.planning import reconcile_errors
    from apictl.cli.progress_view import ProgressView
    from apictl.reconcile.executor import Interrupted, execute

    if output is ApplyOutput.text and plan.has_changes:
        human().print(f"[bold]{plan.summary()}[/]")
    for warning in plan.warnings:
        human().print(f"[yellow]warning:[/] {warning}")

    def show(outcome: Outcome) -> None:
        if output is ApplyOutput.text:
            apply_view.outcome_line(outcome, apply_opts.dry_run)

    try:
        with reconcile_errors(), ProgressView(human(), show) as progress:
            result = execute(plan, writer, apply_opts, progress)
    except Interrupted as stop:
        clock.lap("apply")
        _report(stop.result, plan, cluster, apply_opts, output, clock)
        raise CommandError(
            ExitCode.INTERRUPTED,
            "interrupted: in-flight requests finished, nothing more was written and nothing was pruned",
            "re-run the same command to converge",
        ) from None
    clock.lap("apply")
    _report(result, plan, cluster, apply_opts, output, clock)
    if not result.ok:
        if result.wrote:
            message = "some objects failed; nothing was pruned after the failure"
        else:
            message = "nothing was written: the server's dry-run rejected objects, or conflicts need --force-conflicts"
        raise CommandError(ExitCode.APPLY_FAILED, message, "the lines above name each object and the reason")
    return result


def _report(
    result: ApplyResult,
    plan: Plan,
    cluster: KubeCluster,
    apply_opts: ApplyOptions,
    output: ApplyOutput,
    clock: Stopwatch,
) -> None:
    from apictl.cli import apply_view

    if output is ApplyOutput.json:
        apply_view.to_json(
            result,
            environment=plan.environment,
            dryRun=apply_opts.dry_run,
            server=cluster.server,
            unchanged=len(plan.unchanged),
            requests=cluster.request_counts(),
            seconds=clock.phases,
        )
    else:
        apply_view.print_text(result, apply_opts.dry_run, len(plan.unchanged), cluster.request_counts(), clock.text())


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def _seconds(text: str) -> float:
    from apictl.cli.errors import CommandError

    match = _DURATION.match(text)
    if not match:
        raise CommandError(ExitCode.USAGE, f"--timeout {text!r} is not a duration", "use e.g. 90s, 5m or 1h")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]
    return float(match.group(1)) * scale
