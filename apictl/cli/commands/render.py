"""apictl render: the Kubernetes objects of one environment, as YAML or JSON."""

from __future__ import annotations

from enum import StrEnum

import typer

from apictl.cli import options


class RenderOutput(StrEnum):
    yaml = "yaml"
    json = "json"


def register(app: typer.Typer) -> None:
    app.command("render")(render)


def render(
    path: str = options.PATH,
    env: str = options.ENV,
    ref: str | None = options.REF,
    output: RenderOutput = typer.Option(
        RenderOutput.yaml, "--output", "-o", help="yaml (a multi-document stream) or json (a v1 List)."
    ),
    out_dir: str | None = typer.Option(None, "--out-dir", help="Also write one file per object into this directory."),
) -> None:
    """Render the objects of one environment to stdout (pipe it to `kubectl apply -f -`).

    Nothing is printed to stdout when the repository is invalid (exit 3), so a GitOps engine
    never sees an empty or partial render.
    """
    from apictl.cli import diagnostics_view
    from apictl.cli.console import data, human
    from apictl.cli.exit_codes import ExitCode
    from apictl.cli.rendering import render_checked
    from apictl.render.serialize import to_json, to_yaml

    result = render_checked(path, ref, env).result
    text = to_json(result.objects) if output is RenderOutput.json else to_yaml(result.objects)
    if out_dir is not None:
        _write_files(out_dir, result.objects)
    data(text)
    if result.diagnostics:  # warnings and notes only: errors stopped the render already
        diagnostics_view.print_text(result.diagnostics)
    human().print(f"[green]✓[/] rendered {len(result.objects)} objects for environment {env!r}")
    raise typer.Exit(ExitCode.OK)


def _write_files(out_dir: str, objects: tuple) -> None:
    from pathlib import Path

    from apictl.render.serialize import to_yaml

    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    for obj in objects:
        key = obj.key
        name = f"{key.kind.lower()}.{key.group or 'core'}_{key.namespace or 'cluster'}_{key.name}.yaml"
        (root / name).write_text(to_yaml([obj]), encoding="utf-8")
