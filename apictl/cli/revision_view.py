"""Show a revision diff (git base vs head, no cluster): text on stderr, JSON and Markdown on stdout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.markup import escape

from apictl.cli.console import data, human
from apictl.cli.plan_view import COLOUR, MARKDOWN_LIMIT, SYMBOL, body_yaml, change_json, field_line, section, title
from apictl.reconcile.plan import Action
from apictl.reconcile.revision_diff import EnvironmentDiff, ManifestChange


def has_changes(diffs: Sequence[EnvironmentDiff]) -> bool:
    return any(d.changes for d in diffs)


def _where(diff: EnvironmentDiff) -> str:
    return {"head": " (new in head)", "base": " (removed in head)"}.get(diff.only_in or "", "")


def print_text(diffs: Sequence[EnvironmentDiff], manifests: Sequence[ManifestChange], header: str) -> None:
    out = human()
    out.print(f"[bold]{escape(header)}[/]")
    for m in manifests:
        out.print(f"  {escape(m.kind)} {escape(m.name)}: {escape(m.change)}")
    for diff in diffs:
        out.print(f"\n[bold]Environment {escape(diff.environment)}{_where(diff)}[/]")
        for change in diff.changes:
            colour, symbol = COLOUR[change.action], SYMBOL[change.action]
            out.print(f"[{colour}]{symbol} {change.action}[/] {escape(title(change))}")
            if change.action is Action.CREATE:
                for line in body_yaml(change).splitlines():
                    out.print(f"[green]    {escape(line)}[/]")
            for field in change.fields:
                marker, text = field_line(field)
                out.print(f"    [{ {'+': 'green', '-': 'red', '~': 'yellow'}[marker] }]{marker} {escape(text)}[/]")
        out.print(
            f"[bold]{diff.summary()}[/]"
            if diff.changes
            else f"[green]No changes.[/] {diff.unchanged} objects unchanged."
        )


def to_json(diffs: Sequence[EnvironmentDiff], manifests: Sequence[ManifestChange], **extra: Any) -> str:
    payload = {
        **extra,
        "changes": has_changes(diffs),
        "manifests": [{"kind": m.kind, "name": m.name, "change": m.change} for m in manifests],
        "environments": [
            {
                "environment": d.environment,
                **({"onlyIn": d.only_in} if d.only_in else {}),
                "summary": {a: d.count(Action(a)) for a in ("create", "update", "prune")} | {"unchanged": d.unchanged},
                "changes": [_change(c) for c in d.changes],
            }
            for d in diffs
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _change(change: Any) -> dict[str, Any]:
    entry = change_json(change)
    entry.pop("wave", None)
    return entry


def to_markdown(
    diffs: Sequence[EnvironmentDiff], manifests: Sequence[ManifestChange], header: str, limit: int = MARKDOWN_LIMIT
) -> str:
    """A pull-request comment: summary first (manifests, then per-environment counts), prunes
    highlighted, one collapsible diff per object; under ``limit`` characters with an honest note."""
    head = [f"### apictl diff — {header}", ""]
    if manifests:
        head += ["| Manifest | Change |", "| --- | --- |"]
        head += [f"| {m.kind} `{m.name}` | {m.change} |" for m in manifests] + [""]
    head += ["| Environment | ➕ create | ✏️ update | 🗑️ prune | unchanged |", "| --- | ---: | ---: | ---: | ---: |"]
    for d in diffs:
        head.append(
            f"| `{d.environment}`{_where(d)} | {d.count(Action.CREATE)} | {d.count(Action.UPDATE)} | "
            f"{d.count(Action.PRUNE)} | {d.unchanged} |"
        )
    head.append("")
    if not has_changes(diffs):
        head.append("**No changes** to rendered objects.")
        return "\n".join(head) + "\n"
    for d in diffs:
        prunes = [c for c in d.changes if c.action is Action.PRUNE]
        if prunes:
            head += [f"> [!WARNING]\n> **{len(prunes)} object(s) in `{d.environment}` will be deleted (pruned)**", ""]
            head += [f"- 🗑️ `{title(c)}`" for c in prunes] + [""]
    text = "\n".join(head)
    sections = [(d.environment, section(c)) for d in diffs for c in d.changes if c.action is not Action.PRUNE]
    shown, current = 0, None
    for environment, body in sections:
        heading = f"\n#### `{environment}`\n\n" if environment != current else ""
        if len(text) + len(heading) + len(body) + 300 > limit:
            break
        text += heading + body
        current = environment
        shown += 1
    if shown < len(sections):
        text += (
            f"\n> [!NOTE]\n> Output truncated to stay under {limit:,} characters: {len(sections) - shown} of "
            f"{len(sections)} object diffs are not shown. Run `apictl diff --base ... -o json` for all of them.\n"
        )
    return text[:limit]


def show(
    diffs: Sequence[EnvironmentDiff], manifests: Sequence[ManifestChange], output: str, base: str, head: str
) -> None:
    header = f"{base} → {head}"
    if output == "json":
        data(to_json(diffs, manifests, base=base, head=head))
    elif output == "markdown":
        data(to_markdown(diffs, manifests, header))
    else:
        print_text(diffs, manifests, header)
