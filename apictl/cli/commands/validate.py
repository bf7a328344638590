"""apictl validate: check manifests, definitions, references and governance rules."""

from __future__ import annotations

import typer

from apictl.cli import options


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)


def validate(
    path: str = options.PATH,
    ref: str | None = options.REF,
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
    output: options.CiOutput = typer.Option(
        options.CiOutput.text,
        "--output",
        "-o",
        help="text (stderr), json, github (annotations), sarif or markdown (a PR comment) on stdout.",
    ),
) -> None:
    """Validate a repository and report every problem with file:line:column and a hint.

    Exit codes: 0 valid, 3 invalid (errors, or warnings with --strict), 2 usage error.
    """
    from apictl.cli import diagnostics_view
    from apictl.cli.console import human
    from apictl.cli.exit_codes import ExitCode
    from apictl.cli.validation import validate_repository
    from apictl.model.diagnostics import Severity

    report = validate_repository(path, ref)
    diagnostics = report.diagnostics
    failing = {Severity.ERROR, Severity.WARNING} if strict else {Severity.ERROR}
    ok = not any(d.severity in failing for d in diagnostics)
    if output is options.CiOutput.json:
        diagnostics_view.print_json(diagnostics, valid=ok, root=report.root, revision=report.revision)
    elif output in (options.CiOutput.github, options.CiOutput.sarif, options.CiOutput.markdown):
        from apictl.cli.ci_formats import github, markdown, sarif
        from apictl.cli.console import data

        if output is options.CiOutput.github:
            data(github.annotations(diagnostics, tool="apictl validate"))
        elif output is options.CiOutput.sarif:
            data(sarif.sarif_log(diagnostics, category="apictl-validate"))
        else:
            data(markdown.diagnostics_comment(diagnostics, root=report.root, valid=ok, manifests=report.manifests))
    else:
        diagnostics_view.print_text(diagnostics)
        manifests = report.manifests
        if ok:
            found = f" ({diagnostics_view.summary(diagnostics)})" if diagnostics else ""
            human().print(f"[green]✓[/] {report.root}: {manifests} manifests valid{found}")
        else:
            human().print(f"[red]✗[/] {report.root}: {diagnostics_view.summary(diagnostics)}")
    if not ok:
        raise typer.Exit(ExitCode.INVALID)
