"""GitHub Actions workflow commands: one ``::error file=...,line=...::message`` annotation per item.

Escaping follows the Actions toolkit: in the message ``%``, CR and LF are percent-encoded; in
properties also ``:`` and ``,``. GitHub shows at most 10 errors and 10 warnings per step as
annotations on the diff; every line still appears in the log.
"""

from __future__ import annotations

from collections.abc import Iterable

from apictl.cli.ci_formats import Reportable, affected_text
from apictl.model.diagnostics import Severity

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(item: Reportable, tool: str = "apictl") -> str:
    properties: list[tuple[str, str]] = []
    loc = item.location
    if loc is not None and loc.file:
        properties.append(("file", loc.file))
        if loc.line:
            properties.append(("line", str(loc.line)))
            if loc.column:
                properties.append(("col", str(loc.column)))
    properties.append(("title", f"{tool}: {item.code}"))
    lines = [item.message]
    affected = affected_text(item)
    if affected:
        lines.append(f"Affected applications: {affected}")
    if item.hint:
        lines.append(f"Hint: {item.hint}")
    props = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    return f"::{COMMAND[item.severity]} {props}::{escape_data(chr(10).join(lines))}"


def annotations(items: Iterable[Reportable], tool: str = "apictl") -> str:
    """One workflow command per line (an empty string when there is nothing to report)."""
    return "".join(annotation(item, tool) + "\n" for item in items)
