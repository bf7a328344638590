"""apictl diff: what `apictl apply` would change in the cluster, per field, before it happens."""

from __future__ import annotations

from enum import StrEnum

import typer

from apictl.cli import cluster_options, options


class DiffOutput(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


OUTPUT = typer.Option(
    DiffOutput.text,
    "--output",
    "-o",
    help="text (colours, on stderr), json (stdout) or markdown (stdout: a pull-request comment under 60,000 characters).",
)


def register(app: typer.Typer) -> None:
    app.command("diff")(diff)


def diff(
    path: str = options.PATH,
    env: str = options.ENV,
    ref: str | None = options.REF,
    output: DiffOutput = OUTPUT,
    kubeconfig: str | None = cluster_options.KUBECONFIG,
    context: str | None = cluster_options.CONTEXT,
    concurrency: int = cluster_options.CONCURRENCY,
    request_timeout: float = cluster_options.REQUEST_TIMEOUT,
    force_conflicts: bool = cluster_options.FORCE_CONFLICTS,
) -> None:
    """Compare the rendered environment with the live cluster: creates, per-field updates (from a
    server-side dry-run) and prunes (ApplySet members no longer rendered). Secret values are masked.

    Exit codes: 0 no changes, 1 changes, 3 invalid repository, 4 cluster error or an object the
    server rejects, 6 refused (e.g. the ApplySet parent belongs to another tool).
    """
    from apictl.cli import plan_view
    from apictl.cli.console import human
    from apictl.cli.errors import CommandError
    from apictl.cli.exit_codes import ExitCode
    from apictl.cli.planning import (
        ClusterOptions,
        Stopwatch,
        check_snapshot,
        connect,
        make_plan,
        remember,
        render_for_cluster,
    )
    from apictl.cli.progress_view import ProgressView
    from apictl.reconcile.fingerprint import after_diff

    clock = Stopwatch()
    options = ClusterOptions(kubeconfig, context, request_timeout, concurrency)
    shortcut = check_snapshot(path, ref, env, options)
    if shortcut.snapshot is not None and shortcut.cluster is not None:
        clock.lap("check")
        cluster, snap = shortcut.cluster, shortcut.snapshot
        plan_view.show_unchanged(
            env, snap.parent, snap.objects, output, cluster.server, cluster.request_counts(), clock.phases
        )
        raise typer.Exit(ExitCode.OK)
    rendered = render_for_cluster(path, ref, env)
    clock.lap("render")
    cluster = shortcut.cluster or connect(options)
    with ProgressView(human()) as progress:
        plan = make_plan(cluster, rendered, force_conflicts=force_conflicts, concurrency=concurrency, observer=progress)
    clock.lap("plan")
    plan_view.show(plan, output, cluster.server, cluster.request_counts(), clock.phases)
    remember(shortcut, path, env, after_diff(plan))
    if plan.failures:
        raise CommandError(
            ExitCode.CLUSTER,
            f"the server rejected {len(plan.failures)} object(s) in its dry-run; apply would write nothing",
            "the messages above name each object and the reason",
        )
    raise typer.Exit(ExitCode.CHANGES if plan.has_changes else ExitCode.OK)
