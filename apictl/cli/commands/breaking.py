"""apictl breaking: changes between two revisions that break consumers, and the applications they reach."""

from __future__ import annotations

import re
from enum import StrEnum

import typer

from apictl.cli import options


class FailOn(StrEnum):
    error = "error"
    warning = "warning"


def register(app: typer.Typer) -> None:
    app.command("breaking")(breaking)


def breaking(
    path: str = options.PATH,
    base: str = typer.Option(..., "--base", help="The git revision to compare against (e.g. origin/main)."),
    head: str | None = typer.Option(None, "--head", help="The revision to check. Default: the files on disk."),
    fail_on: FailOn = typer.Option(FailOn.error, "--fail-on", help="Exit 7 when a finding is at this level or above."),
    output: options.CiOutput = typer.Option(
        options.CiOutput.text,
        "--output",
        "-o",
        help="text (stderr), json, github (annotations), sarif or markdown (a PR comment) on stdout.",
    ),
) -> None:
    """Find the changes between --base and --head that break API consumers.

    OpenAPI checks carry oasdiff's rule ids; AsyncAPI and manifest checks (plans, lifecycle,
    restrictions, security, routing) their own. Every finding names the applications it affects,
    per environment, from the base revision's subscriptions.

    Exit codes: 0 nothing at or above --fail-on, 7 findings at or above it, 2 usage error (such as a
    revision that is not in this clone), 3 either revision is invalid.
    """
    from apictl.cli.console import data, human
    from apictl.cli.exit_codes import ExitCode
    from apictl.model.diagnostics import Severity
    from apictl.validate.breaking import compare
    from apictl.validate.breaking.findings import at_or_above

    base_bundle = _load_valid(path, base, "base")
    head_bundle = _load_valid(path, head, "head")
    findings = compare(base_bundle, head_bundle)
    failing = at_or_above(findings, Severity(fail_on.value))
    base_label = f"{base} ({base_bundle.revision[:12]})" if base_bundle.revision else base
    head_label = (
        f"{head} ({head_bundle.revision[:12]})" if head and head_bundle.revision else head or "the working tree"
    )
    if output is options.CiOutput.json:
        _print_json(findings, base, head, base_bundle.revision, head_bundle.revision, fail_on, len(failing))
    elif output is options.CiOutput.github:
        from apictl.cli.ci_formats.github import annotations

        data(annotations(findings, tool="apictl breaking"))
    elif output is options.CiOutput.sarif:
        from apictl.cli.ci_formats.sarif import sarif_log
        from apictl.validate.breaking.checks import descriptions

        data(sarif_log(findings, category="apictl-breaking", descriptions=descriptions()))
    elif output is options.CiOutput.markdown:
        from apictl.cli.ci_formats.markdown import findings_comment

        command = f"apictl breaking {path} --base {base}" + (f" --head {head}" if head else "")
        data(
            findings_comment(
                findings, base=base_label, head=head_label, failing=len(failing), fail_on=fail_on.value, command=command
            )
        )
    else:
        _print_text(findings)
    out = human()
    apps = sorted({app for f in findings for app in f.applications})
    if not findings:
        out.print(f"[green]✓[/] no breaking changes between {base_label} and {head_label}")
    else:
        mark = "[red]✗[/]" if failing else "[yellow]![/]"
        out.print(
            f"{mark} {_counts(findings)} between {base_label} and {head_label}; "
            f"{len(apps)} application{'s' * (len(apps) != 1)} affected{': ' + ', '.join(apps) if apps else ''}"
        )
    raise typer.Exit(ExitCode.BREAKING if failing else ExitCode.OK)


def _counts(findings: list) -> str:
    from apictl.model.diagnostics import Severity

    parts = []
    for severity in Severity:
        n = sum(1 for f in findings if f.level is severity)
        if n:
            parts.append(f"{n} {severity}{'s' * (n != 1)}")
    return ", ".join(parts)


def _fetch_hint(path: str, ref: str) -> str:
    """What to fetch so that ``ref`` exists in this clone."""
    import subprocess

    try:
        remotes = subprocess.run(
            ["git", "-C", path, "remote"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        remotes = []
    remote, _, branch = ref.partition("/")
    if branch and remote in remotes:
        fetch = f"git fetch {remote} {branch}"
    elif re.fullmatch(r"[0-9a-fA-F]{7,40}", ref):
        fetch = f"git fetch {remotes[0] if remotes else 'origin'} {ref}"
    else:
        fetch = f"git fetch {remotes[0] if remotes else 'origin'} {ref}"
    return (
        f"fetch it first: `{fetch}`. In a shallow CI clone, fetch the base too "
        "(actions/checkout: `fetch-depth: 0`, or `git fetch --depth=1 origin <base sha>`)"
    )


def _load_valid(path: str, ref: str | None, which: str):
    from apictl.cli import diagnostics_view
    from apictl.cli.errors import CommandError
    from apictl.cli.exit_codes import ExitCode
    from apictl.cli.loading import USAGE_PROBLEMS
    from apictl.load.bundle_loader import load_bundle
    from apictl.load.sources import SourceError
    from apictl.model.diagnostics import Severity, has_errors
    from apictl.validate import validate

    try:
        bundle = load_bundle(path, ref)
    except SourceError as exc:
        if exc.code == "git-unknown-revision" and ref:
            raise CommandError(
                ExitCode.USAGE, f"{which} revision {ref!r} is not in this clone", _fetch_hint(path, ref)
            ) from None
        code = ExitCode.USAGE if exc.code in USAGE_PROBLEMS else ExitCode.INVALID
        raise CommandError(code, f"{which}: {exc.message}", exc.hint) from None
    diagnostics = validate(bundle)
    if has_errors(diagnostics):
        diagnostics_view.print_text([d for d in diagnostics if d.severity is Severity.ERROR])
        shown = f"revision {ref}" if ref else "working tree"
        raise CommandError(
            ExitCode.INVALID,
            f"the {which} ({shown}) is invalid; breaking changes are only checked between valid revisions",
            f"run `apictl validate {path}{' --ref ' + ref if ref else ''}` and fix what it reports",
        )
    return bundle


def _print_text(findings: list) -> None:
    from rich.markup import escape

    from apictl.cli.ci_formats import affected_text
    from apictl.cli.console import human
    from apictl.cli.diagnostics_view import STYLE

    out = human()
    for f in findings:
        where = escape(str(f.location)) if f.location else "(repository)"
        out.print(f"{where}: [{STYLE[f.level]}]{f.level}[/]: {escape(f.message)} [dim]\\[{f.id}][/]")
        affected = affected_text(f)
        if affected:
            out.print(f"    [bold]affected:[/] {escape(affected)}")
        if f.hint:
            out.print(f"    [green]hint:[/] {escape(f.hint)}")


def _print_json(findings, base, head, base_sha, head_sha, fail_on, failing: int) -> None:
    import json

    from apictl.cli.console import data

    payload = {
        "base": {"ref": base, "revision": base_sha},
        "head": {"ref": head, "revision": head_sha},
        "failOn": fail_on.value,
        "failing": failing,
        "errors": sum(1 for f in findings if f.level == "error"),
        "warnings": sum(1 for f in findings if f.level == "warning"),
        "infos": sum(1 for f in findings if f.level == "info"),
        "affectedApplications": sorted({app for f in findings for app in f.applications}),
        "findings": [f.to_dict() for f in findings],
    }
    data(json.dumps(payload, indent=2))
