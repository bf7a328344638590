"""Show apply progress and results: one line per write on stderr, or JSON on stdout."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.markup import escape

from apictl.cli.console import data, human
from apictl.cli.plan_view import title
from apictl.reconcile.executor import FAILED_STATUSES, ApplyResult, Outcome, Status
from apictl.reconcile.plan import Action

VERB = {Action.CREATE: "created", Action.UPDATE: "configured", Action.PRUNE: "pruned"}


def outcome_line(outcome: Outcome, dry_run: bool) -> None:
    """Print one finished write (successes and failures; skipped objects are only counted)."""
    suffix = " (server dry run)" if dry_run else ""
    name = escape(title(outcome.change))
    if outcome.status in (Status.APPLIED, Status.PRUNED):
        human().print(f"[green]✓[/] {VERB[outcome.change.action]} {name}{suffix}")
    elif outcome.status in FAILED_STATUSES:
        human().print(f"[bold red]✗ {outcome.status}[/] {name}: {escape(outcome.message)}")


def summary(result: ApplyResult, dry_run: bool) -> str:
    created = sum(1 for o in result.outcomes if o.status is Status.APPLIED and o.change.action is Action.CREATE)
    configured = sum(1 for o in result.outcomes if o.status is Status.APPLIED and o.change.action is Action.UPDATE)
    pruned = result.count(Status.PRUNED)
    failed = sum(1 for o in result.outcomes if o.status in FAILED_STATUSES)
    skipped = result.count(Status.SKIPPED)
    label = "Dry run" if dry_run else "Apply"
    done = f"{created} created, {configured} configured, {pruned} pruned"
    if result.ok:
        return f"{label} complete: {done}."
    return f"{label} failed: {failed} failed, {skipped} not attempted; {done}; nothing was pruned after the failure."


def print_text(result: ApplyResult, dry_run: bool, unchanged: int, requests: Mapping[str, int], took: str) -> None:
    out = human()
    if not result.outcomes:
        out.print(f"[bold green]No changes.[/] {unchanged} objects already match the cluster; nothing was written.")
    else:
        style = "bold green" if result.ok else "bold red"
        out.print(f"[{style}]{escape(summary(result, dry_run))}[/]")
    steps = ", ".join(str(s) for s in result.inventory)
    if steps:
        out.print(f"[dim]ApplySet inventory: {steps}[/]")
    out.print("[dim]API requests: " + ", ".join(f"{v} {k}" for k, v in requests.items()) + f"; took {took}[/]")


def to_json(result: ApplyResult, **extra: Any) -> None:
    outcomes = [
        {
            "action": str(o.change.action),
            "group": o.key.group,
            "kind": o.key.kind,
            "namespace": o.key.namespace,
            "name": o.key.name,
            "status": str(o.status),
            **({"message": o.message} if o.message else {}),
        }
        for o in result.outcomes
    ]
    counts = {str(s): result.count(s) for s in Status}
    payload = {
        **extra,
        "ok": result.ok,
        "summary": counts,
        "inventory": [str(s) for s in result.inventory],
        "pruned": result.pruned,
        "outcomes": outcomes,
    }
    data(json.dumps(payload, indent=2, ensure_ascii=False))
