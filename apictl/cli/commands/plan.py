"""apictl plan: diff, and save the plan so that `apictl apply --plan` applies exactly that."""

from __future__ import annotations

from pathlib import Path

import typer

from apictl.cli import cluster_options, options
from apictl.cli.commands.diff import OUTPUT, DiffOutput


def register(app: typer.Typer) -> None:
    app.command("plan")(plan)


def plan(
    path: str = options.PATH,
    env: str = options.ENV,
    out: Path = typer.Option(..., "--out", help="Write the plan to this file (JSON; Secret values only as digests)."),
    ref: str | None = options.REF,
    output: DiffOutput = OUTPUT,
    kubeconfig: str | None = cluster_options.KUBECONFIG,
    context: str | None = cluster_options.CONTEXT,
    concurrency: int = cluster_options.CONCURRENCY,
    request_timeout: float = cluster_options.REQUEST_TIMEOUT,
    force_conflicts: bool = cluster_options.FORCE_CONFLICTS,
) -> None:
    """Compute the changes like `apictl diff` and save them with the live resourceVersions they were
    computed against. `apictl apply --plan FILE` later applies exactly these changes, and refuses
    (exit 6), naming the objects, if any of them moved in the meantime.

    Exit codes: 0 no changes, 1 changes (the plan is saved either way), 3, 4, 6 as for diff.
    """
    import json
    import os

    from apictl.cli import plan_view
    from apictl.cli.console import human
    from apictl.cli.errors import CommandError
    from apictl.cli.exit_codes import ExitCode
    from apictl.cli.planning import ClusterOptions, Stopwatch, connect, make_plan, render_for_cluster
    from apictl.cli.progress_view import ProgressView
    from apictl.reconcile import planfile

    clock = Stopwatch()
    rendered = render_for_cluster(path, ref, env)
    clock.lap("render")
    cluster = connect(ClusterOptions(kubeconfig, context, request_timeout, concurrency))
    with ProgressView(human()) as progress:
        result = make_plan(
            cluster, rendered, force_conflicts=force_conflicts, concurrency=concurrency, observer=progress
        )
    clock.lap("plan")
    plan_view.show(result, output, cluster.server, cluster.request_counts(), clock.phases)
    if result.failures:
        raise CommandError(
            ExitCode.CLUSTER,
            f"the server rejected {len(result.failures)} object(s) in its dry-run; no plan was saved",
            "the messages above name each object and the reason",
        )
    source = planfile.Source(os.path.abspath(path), ref, env)
    document = planfile.dump(result, source, cluster.server)
    try:
        out.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CommandError(ExitCode.USAGE, f"cannot write the plan to {out}: {exc.strerror}") from None
    human().print(f"Saved the plan to {out}; apply exactly it with `apictl apply --plan {out}`.")
    raise typer.Exit(ExitCode.CHANGES if result.has_changes else ExitCode.OK)
