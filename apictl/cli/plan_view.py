"""Show a plan: colour text on stderr for people, JSON and Markdown on stdout for programs and PRs.

Every view masks Secret values (the planner already masked the field diffs; created bodies are
masked here) and never shows server bookkeeping (the planner compared normalised objects).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml
from rich.markup import escape

from apictl.cli.console import human
from apictl.model.objects import ObjectKey
from apictl.reconcile.fielddiff import ABSENT, FieldChange
from apictl.reconcile.plan import Action, Change, Plan
from apictl.reconcile.redact import masked_body

MARKDOWN_LIMIT = 60_000
TEXT_BODIES_UP_TO = 50
"""Text output prints created bodies only for this many creates (JSON/Markdown always have them)."""
SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.PRUNE: "-"}
COLOUR = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.PRUNE: "red"}


def value_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def field_line(change: FieldChange) -> tuple[str, str]:
    """(marker, text) for one field: ``+`` added, ``-`` removed, ``~`` changed."""
    if change.kind == "added":
        return "+", f"{change.dotted}: {value_text(change.after)}"
    if change.kind == "removed":
        return "-", f"{change.dotted}: {value_text(change.before)}"
    return "~", f"{change.dotted}: {value_text(change.before)} → {value_text(change.after)}"


def body_yaml(change: Change) -> str:
    body = masked_body(change.desired or {})
    return yaml.safe_dump(body, sort_keys=False, default_flow_style=False, width=1000, allow_unicode=True)


def title(change: Change) -> str:
    return title_of(change.key)


def title_of(key: ObjectKey) -> str:
    where = f"{key.namespace}/{key.name}" if key.namespace else key.name
    return f"{key.group_kind} {where}"


# --- text ------------------------------------------------------------------------------------


def print_text(plan: Plan, header: str) -> None:
    out = human()
    out.print(f"[bold]{escape(header)}[/]")
    show_bodies = len(plan.creates) <= TEXT_BODIES_UP_TO
    for change in plan.changes:
        colour, symbol = COLOUR[change.action], SYMBOL[change.action]
        out.print(f"[{colour}]{symbol} {change.action}[/] {escape(title(change))}")
        if change.action is Action.CREATE and show_bodies:
            for line in body_yaml(change).splitlines():
                out.print(f"[green]    {escape(line)}[/]")
        for field in change.fields:
            marker, text = field_line(field)
            style = {"+": "green", "-": "red", "~": "yellow"}[marker]
            out.print(f"    [{style}]{marker} {escape(text)}[/]")
        if change.conflicts:
            out.print(
                f"    [bold red]! conflict[/]: other managers own {escape(', '.join(change.conflicts))} "
                "(apply needs --force-conflicts)"
            )
    if plan.creates and not show_bodies:
        out.print(f"[dim]({len(plan.creates)} objects to create; `-o json` shows their bodies)[/]")
    for failure in plan.failures:
        out.print(f"[bold red]✗ rejected[/] {escape(str(failure.key))}: {escape(failure.message)}")
    for warning in plan.warnings:
        out.print(f"[yellow]warning:[/] {escape(warning)}")
    for key in plan.stranded:
        out.print(f"[yellow]warning:[/] {escape(str(key))} is in the set but no target owns its kind; it is kept")
    if plan.prunes_everything:
        out.print("[bold red]warning:[/] every member would be pruned; apply needs --confirm-prune-all")
    if plan.has_changes:
        out.print(f"[bold]{plan.summary()}[/]")
    else:
        out.print(f"[bold green]No changes.[/] {len(plan.unchanged)} objects match the cluster.")


# --- JSON ------------------------------------------------------------------------------------


def key_fields(change: Change) -> dict[str, str]:
    k = change.key
    return {"group": k.group, "kind": k.kind, "namespace": k.namespace, "name": k.name}


def change_json(change: Change) -> dict[str, Any]:
    entry: dict[str, Any] = {"action": str(change.action), **key_fields(change), "wave": change.wave}
    if change.action is Action.CREATE:
        entry["body"] = masked_body(change.desired or {})
    if change.fields:
        entry["fields"] = [
            {
                "path": f.dotted,
                "op": f.kind,
                **({"before": f.before} if f.before is not ABSENT else {}),
                **({"after": f.after} if f.after is not ABSENT else {}),
            }
            for f in change.fields
        ]
    if change.conflicts:
        entry["conflicts"] = list(change.conflicts)
    if change.live is not None:
        entry["uid"] = change.live.uid
        entry["resourceVersion"] = change.live.resource_version
    return entry


def plan_json(plan: Plan, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "environment": plan.environment,
        "applyset": {
            "parent": str(plan.parent.key),
            "id": plan.parent.id,
            "kubectl": f"--applyset={plan.parent.kubectl_flag()} -n {plan.parent.namespace}",
        },
        "summary": {
            "create": len(plan.creates),
            "update": len(plan.updates),
            "prune": len(plan.prunes),
            "unchanged": len(plan.unchanged),
            "rejected": len(plan.failures),
            "text": plan.summary(),
        },
        "changes": [change_json(c) for c in plan.changes],
        "rejected": [{**_key(f.key), "message": f.message} for f in plan.failures],
        "stranded": [_key(k) for k in plan.stranded],
        "warnings": list(plan.warnings),
    }


def _key(key: Any) -> dict[str, str]:
    return {"group": key.group, "kind": key.kind, "namespace": key.namespace, "name": key.name}


def to_json(plan: Plan, **extra: Any) -> str:
    return json.dumps(plan_json(plan, **extra), indent=2, ensure_ascii=False, default=str) + "\n"


# --- Markdown --------------------------------------------------------------------------------


def to_markdown(plan: Plan, header: str, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: summary table, prunes highlighted, one collapsible diff per object.

    Kept under ``limit`` characters: sections that do not fit are counted in a truncation note.
    """
    head = [f"### apictl diff — {header}", ""]
    if not plan.has_changes and not plan.failures:
        head.append(f"**No changes.** {len(plan.unchanged)} objects match the cluster.")
        return "\n".join(head) + "\n"
    head += [
        f"**{plan.summary()}**",
        "",
        "| Action | Objects |",
        "| --- | ---: |",
        f"| ➕ create | {len(plan.creates)} |",
        f"| ✏️ update | {len(plan.updates)} |",
        f"| 🗑️ prune | {len(plan.prunes)} |",
        f"| unchanged | {len(plan.unchanged)} |",
        "",
    ]
    if plan.failures:
        head += [f"> [!CAUTION]\n> **{len(plan.failures)} object(s) rejected by the server's dry-run**", ""]
        head += [f"- `{f.key}`: {_inline(f.message)}" for f in plan.failures] + [""]
    if plan.prunes:
        head += [f"> [!WARNING]\n> **{len(plan.prunes)} object(s) will be deleted (pruned)**", ""]
        head += [f"- 🗑️ `{title(c)}`" for c in plan.prunes] + [""]
    if plan.prunes_everything:
        head += ["**Every member would be pruned: `apply` needs `--confirm-prune-all`.**", ""]
    if plan.conflicted:
        head += [
            f"**{len(plan.conflicted)} update(s) conflict with other field managers** (apply needs `--force-conflicts`).",
            "",
        ]
    text = "\n".join(head)
    sections = [section(c) for c in plan.changes if c.action is not Action.PRUNE]
    shown = 0
    for part in sections:
        if len(text) + len(part) + 300 > limit:
            break
        text += part
        shown += 1
    if shown < len(sections):
        note = (
            f"\n> [!NOTE]\n> Output truncated to stay under {limit:,} characters: "
            f"{len(sections) - shown} of {len(sections)} object diffs are not shown. "
            "Run `apictl diff -o json` for the complete plan.\n"
        )
        if len(text) + len(note) > limit:  # even the head was too long: cut it honestly
            text = text[: limit - len(note) - 20] + "\n…\n"
        text += note
    return text


def section(change: Change) -> str:
    symbol = {Action.CREATE: "➕", Action.UPDATE: "✏️"}[change.action]
    if change.action is Action.CREATE:
        body = "\n".join(f"+ {line}" for line in body_yaml(change).splitlines())
        summary = f"{symbol} create <code>{title(change)}</code>"
    else:
        lines = []
        for field in change.fields:
            if field.before is not ABSENT:
                lines.append(f"- {field.dotted}: {value_text(field.before)}")
            if field.after is not ABSENT:
                lines.append(f"+ {field.dotted}: {value_text(field.after)}")
        if change.conflicts:
            lines.append(f"! conflicts with other managers on {', '.join(change.conflicts)}")
        body = "\n".join(lines)
        summary = f"{symbol} update <code>{title(change)}</code> ({len(change.fields)} fields)"
    return f"<details><summary>{summary}</summary>\n\n```diff\n{body}\n```\n\n</details>\n"


def _inline(text: str) -> str:
    return text.replace("\n", " ").replace("|", "\\|")


def header_for(plan: Plan, server: str) -> str:
    return f"environment `{plan.environment}` on {server} (ApplySet {plan.parent.key})"


def counts(mapping: Mapping[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in mapping.items())


def show(plan: Plan, output: str, server: str, requests: Mapping[str, int], timings: Mapping[str, float]) -> None:
    """Print ``plan`` in the chosen output format (text to stderr, json/markdown to stdout)."""
    from apictl.cli.console import data

    if output == "json":
        data(to_json(plan, server=server, requests=dict(requests), seconds=dict(timings)))
    elif output == "markdown":
        data(to_markdown(plan, header_for(plan, server)))
    else:
        print_text(plan, f"environment {plan.environment} on {server} (ApplySet {plan.parent.key})")
        took = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in timings.items())
        human().print(f"[dim]API requests: {counts(requests)}; took {took}[/]")


def show_unchanged(
    environment: str,
    parent: Any,
    objects: int,
    output: str,
    server: str,
    requests: Mapping[str, int],
    timings: Mapping[str, float],
) -> None:
    """The empty plan, known from the environment's snapshot without rendering."""
    from apictl.cli.console import data

    note = "nothing changed since apictl last verified them; APICTL_SNAPSHOTS=off re-checks every object"
    if output == "json":
        payload = {
            "server": server,
            "requests": dict(requests),
            "seconds": dict(timings),
            "environment": environment,
            "applyset": {"parent": str(parent.key), "id": parent.id},
            "summary": {
                "create": 0,
                "update": 0,
                "prune": 0,
                "unchanged": objects,
                "rejected": 0,
                "text": "Plan: 0 to create, 0 to update, 0 to prune.",
            },
            "changes": [],
            "rejected": [],
            "stranded": [],
            "warnings": [],
            "snapshot": note,
        }
        data(json.dumps(payload, indent=2))
    elif output == "markdown":
        data(
            f"### apictl diff — environment `{environment}` on {server}\n\n**No changes.** {objects} objects match the cluster.\n"
        )
    else:
        human().print(f"[bold green]No changes.[/] {objects} objects match the cluster ({note}).")
        took = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in timings.items())
        human().print(f"[dim]API requests: {counts(requests)}; took {took}[/]")
