"""One pull-request comment in Markdown: the summary first, the details in a collapsible block.

A comment is at most 60,000 characters (GitHub's limit is 65,536). When the details do not fit,
the rows that fit are kept and a note says how many were left out and how to see them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from apictl.cli.ci_formats import Reportable, affected_text
from apictl.model.diagnostics import Severity

LIMIT = 60_000
ICON = {Severity.ERROR: "❌ error", Severity.WARNING: "⚠️ warning", Severity.INFO: "ℹ️ info"}


def cell(text: str) -> str:
    """Text that stays inside one table cell: no pipes, newlines or HTML tags."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    return f"`{text.replace('`', '')}`" if text else ""


@dataclass
class Table:
    columns: Sequence[str]
    rows: list[Sequence[str]]
    summary: str = ""
    """When set, the table is folded into ``<details>`` with this summary."""
    empty: str = ""
    notes: list[str] = field(default_factory=list)

    def head(self) -> str:
        start = f"<details><summary>{cell(self.summary)}</summary>\n\n" if self.summary else ""
        if not self.rows:
            return start + (self.empty + "\n" if self.empty else "")
        line = "| " + " | ".join(self.columns) + " |\n"
        rule = "| " + " | ".join("---" for _ in self.columns) + " |\n"
        return start + line + rule

    def row(self, values: Sequence[str]) -> str:
        return "| " + " | ".join(values) + " |\n"

    def tail(self) -> str:
        return "\n</details>\n" if self.summary else "\n"


def render(
    title: str, summary: Iterable[str], tables: Sequence[Table], *, limit: int = LIMIT, see_all: str = ""
) -> str:
    """Title, summary paragraphs, then the tables; rows that do not fit in ``limit`` are counted, not shown."""
    out = f"### {title}\n\n" + "".join(f"{line}\n\n" for line in summary)
    reserve = 400 + sum(len(t.head()) + len(t.tail()) for t in tables)
    left_out = 0
    for table in tables:
        out += table.head()
        for values in table.rows:
            line = table.row(values)
            if len(out) + len(line) + reserve > limit:
                left_out += 1
                continue
            out += line
        reserve -= len(table.head()) + len(table.tail())
        out += table.tail()
    if left_out:
        out += (
            f"\n**{left_out} more row{'s' * (left_out != 1)} not shown**: a comment holds at most {limit:,} "
            f"characters.{' ' + see_all if see_all else ''}\n"
        )
    return out[:limit]


def _where(item: Reportable) -> str:
    return code(str(item.location)) if item.location else "(repository)"


def counts(items: Sequence[Reportable]) -> str:
    parts = []
    for severity in Severity:
        n = sum(1 for i in items if i.severity is severity)
        if n or severity is not Severity.INFO:
            parts.append(f"{n} {severity}{'s' * (n != 1)}")
    return ", ".join(parts)


def diagnostics_comment(items: Sequence[Reportable], *, root: str, valid: bool, manifests: int) -> str:
    """validate's comment."""
    if valid:
        title = f"✅ apictl validate: {root} is valid"
        summary = [f"{manifests} manifests checked; {counts(items)}."]
    else:
        title = f"❌ apictl validate: {root} is invalid"
        summary = [f"{counts(items)}. Fix the errors below; `apictl validate {root}` shows the same list."]
    rows = [
        [ICON[i.severity], code(i.code), _where(i), cell(i.message + (f" — hint: {i.hint}" if i.hint else ""))]
        for i in items
    ]
    table = Table(["level", "code", "where", "problem"], rows, summary=f"{len(rows)} problem{'s' * (len(rows) != 1)}")
    return render(title, summary, [table] if rows else [], see_all=f"Run `apictl validate {root} -o json` for all.")


def findings_comment(
    items: Sequence[Reportable], *, base: str, head: str, failing: int, fail_on: str, command: str
) -> str:
    """breaking's comment: what breaks, and the applications it reaches."""
    if not items:
        return render(
            "✅ apictl breaking: no breaking changes", [f"Compared {code(base)} (base) with {code(head)} (head)."], []
        )
    icon = "❌" if failing else "⚠️"
    title = f"{icon} apictl breaking: {counts(items)}"
    by_app: dict[str, tuple[set[str], int]] = {}
    for item in items:
        for env, apps in getattr(item, "affected", ()) or ():
            for app in apps:
                envs, n = by_app.get(app, (set(), 0))
                envs.add(env)
                by_app[app] = (envs, n)
        for app in {a for _, apps in getattr(item, "affected", ()) or () for a in apps}:
            envs, n = by_app[app]
            by_app[app] = (envs, n + 1)
    verdict = (
        f"**{failing} finding{'s' * (failing != 1)} at or above `--fail-on {fail_on}`**: this check fails."
        if failing
        else f"Nothing at or above `--fail-on {fail_on}`: this check passes."
    )
    summary = [f"Compared {code(base)} (base) with {code(head)} (head). {verdict}"]
    apps = Table(
        ["application", "environments", "findings"],
        [[cell(app), cell(", ".join(sorted(envs))), str(n)] for app, (envs, n) in sorted(by_app.items())],
        empty="No subscribed application is affected.",
    )
    summary.append(f"**Affected applications: {len(by_app)}**")
    rows = [[ICON[i.severity], code(i.code), _where(i), cell(i.message), cell(affected_text(i) or "—")] for i in items]
    details = Table(
        ["level", "check", "where", "change", "affected"], rows, summary=f"{len(rows)} finding{'s' * (len(rows) != 1)}"
    )
    return render(title, summary, [apps, details], see_all=f"Run `{command} -o json` for all.")
