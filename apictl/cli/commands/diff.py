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
    env: str | None = typer.Option(
        None, "--env", "-e", help="The Environment to compare (required against a cluster; with --base: default all)."
    ),
    ref: str | None = options.REF,
    base: str | None = typer.Option(
        None, "--base", help="Compare the render at this git revision with the working tree (or --head); no cluster."
    ),
    head: str | None = typer.Option(
        None, "--head", help="With --base: the revision to compare against (default: the working tree)."
    ),
    output: DiffOutput = OUTPUT,
    kubeconfig: str | None = cluster_options.KUBECONFIG,
    context: str | None = cluster_options.CONTEXT,
    concurrency: int = cluster_options.CONCURRENCY,
    request_timeout: float = cluster_options.REQUEST_TIMEOUT,
    force_conflicts: bool = cluster_options.FORCE_CONFLICTS,
) -> None:
    """Compare the rendered environment with the live cluster: creates, per-field updates (from a
    server-side dry-run) and prunes (ApplySet members no longer rendered). Secret values are masked.

    With --base REV, compare two git revisions instead (no cluster): the rendered objects of every
    environment (or --env) at REV vs the working tree (or --head), plus which manifests changed.

    Exit codes: 0 no changes, 1 changes, 2 usage (e.g. a revision not in this clone), 3 invalid
    repository, 4 cluster error or an object the server rejects, 6 refused (e.g. the ApplySet parent
    belongs to another tool).
    """
    if base is not None:
        _revision_diff(path, env, ref, base, head, output)
    if head is not None:
        _usage("--head needs --base", "e.g. `apictl diff . --base origin/main --head HEAD`")
    if env is None:
        _usage("missing option '--env'", "name the environment to compare with the cluster, or use --base REV")
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


def _usage(message: str, hint: str) -> None:
    from apictl.cli.errors import CommandError
    from apictl.cli.exit_codes import ExitCode

    raise CommandError(ExitCode.USAGE, message, hint)


def _revision_diff(
    path: str, env: str | None, ref: str | None, base: str, head: str | None, output: DiffOutput
) -> None:
    """Render both revisions of every environment and compare them (no cluster). Exits 0 or 1."""
    from apictl.cli import revision_view
    from apictl.cli.errors import CommandError
    from apictl.cli.exit_codes import ExitCode
    from apictl.cli.loading import load
    from apictl.cli.rendering import render_checked
    from apictl.reconcile.revision_diff import compare_environment, manifest_changes
    from apictl.render import environment_names

    if ref is not None:
        _usage("--ref cannot be combined with --base", "use --base REV [--head REV]")
    bundles = {"base": load(path, base), "head": load(path, head)}
    names = {side: set(environment_names(b)) for side, b in bundles.items()}
    wanted = [env] if env is not None else sorted(names["base"] | names["head"])
    if env is not None and env not in names["base"] | names["head"]:
        _usage(f"environment {env!r} exists in neither revision", f"environments: {', '.join(sorted(names['head']))}")
    labels = {"base": f"{base} ({(bundles['base'].revision or '')[:12]})", "head": head or "working tree"}
    diffs = []
    for name in wanted:
        renders = {}
        for side, rev in (("base", base), ("head", head)):
            if name not in names[side]:
                renders[side] = None
                continue
            try:
                renders[side] = render_checked(path, rev, name).result.objects
            except CommandError as exc:
                raise CommandError(exc.code, f"{labels[side]}: {exc.message}", exc.hint) from None
        diffs.append(compare_environment(name, renders["base"], renders["head"]))
    revision_view.show(
        diffs, manifest_changes(bundles["base"], bundles["head"]), output, labels["base"], labels["head"]
    )
    raise typer.Exit(ExitCode.CHANGES if revision_view.has_changes(diffs) else ExitCode.OK)
