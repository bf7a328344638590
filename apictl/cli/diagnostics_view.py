"""Print diagnostics: grouped by file for humans, JSON for programs."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

from rich.markup import escape

from apictl.cli.console import data, human
from apictl.model.diagnostics import Diagnostic, Severity

STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def counts(diagnostics: Sequence[Diagnostic]) -> dict[str, int]:
    return {str(s): sum(1 for d in diagnostics if d.severity is s) for s in Severity}


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    c = counts(diagnostics)
    files = len({d.location.file for d in diagnostics if d.location})
    parts = [f"{c['error']} error{'s' * (c['error'] != 1)}", f"{c['warning']} warning{'s' * (c['warning'] != 1)}"]
    return f"{', '.join(parts)} in {files} file{'s' * (files != 1)}"


def print_text(diagnostics: Sequence[Diagnostic]) -> None:
    """One header per file, then one clickable ``file:line:col: severity: message [code]`` line each."""
    out = human()
    by_file: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in diagnostics:
        by_file[d.location.file if d.location else "(repository)"].append(d)
    for file, items in by_file.items():
        out.print(f"[bold underline]{escape(file)}[/]")
        for d in items:
            where = escape(str(d.location)) if d.location else "(repository)"
            out.print(f"  {where}: [{STYLE[d.severity]}]{d.severity}[/]: {escape(d.message)} [dim]\\[{d.code}][/]")
            if d.hint:
                out.print(f"      [green]hint:[/] {escape(d.hint)}")


def print_json(diagnostics: Sequence[Diagnostic], **extra: object) -> None:
    c = counts(diagnostics)
    payload = {
        **extra,
        "errors": c["error"],
        "warnings": c["warning"],
        "infos": c["info"],
        "diagnostics": [d.to_dict() for d in diagnostics],
    }
    data(json.dumps(payload, indent=2, sort_keys=False))
