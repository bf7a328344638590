"""SARIF 2.1.0, as GitHub code scanning accepts it (``github/codeql-action/upload-sarif``).

One run, one rule per distinct code, one result per item. File paths are relative to the
directory apictl ran in (``%SRCROOT%``, the checkout in CI), so run apictl from the repository root.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import quote

from apictl import __version__
from apictl.cli.ci_formats import Reportable
from apictl.model.diagnostics import Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/apictl/apictl"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _description(code: str) -> str:
    text = code.replace("-", " ")
    return text[:1].upper() + text[1:]


def _artifact(file: str) -> dict[str, str]:
    """A path relative to the checkout (``%SRCROOT%``); absolute paths outside it become file:// URIs."""
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return {"uri": path.as_uri()}
    return {"uri": quote(path.as_posix()), "uriBaseId": "%SRCROOT%"}


def _result(item: Reportable, rule_index: int) -> dict[str, object]:
    result: dict[str, object] = {
        "ruleId": item.code,
        "ruleIndex": rule_index,
        "level": LEVEL[item.severity],
        "message": {"text": item.message + (f"\nHint: {item.hint}" if item.hint else "")},
    }
    loc = item.location
    if loc is not None and loc.file:
        physical: dict[str, object] = {"artifactLocation": _artifact(loc.file)}
        if loc.line:
            region: dict[str, int] = {"startLine": loc.line}
            if loc.column:
                region["startColumn"] = loc.column
            physical["region"] = region
        result["locations"] = [{"physicalLocation": physical}]
    affected = getattr(item, "affected", ()) or ()
    if affected:
        result["properties"] = {"affectedApplications": {env: list(apps) for env, apps in affected}}
    return result


def sarif_log(
    items: Iterable[Reportable],
    *,
    category: str = "apictl",
    descriptions: Mapping[str, str] | None = None,
) -> str:
    """The SARIF document as indented JSON. ``category`` tells code scanning which upload a run replaces."""
    listed = list(items)
    rules: dict[str, dict[str, object]] = {}
    for item in listed:
        if item.code not in rules:
            rules[item.code] = {
                "id": item.code,
                "shortDescription": {"text": (descriptions or {}).get(item.code) or _description(item.code)},
                "defaultConfiguration": {"level": LEVEL[item.severity]},
            }
    index = {code: position for position, code in enumerate(rules)}
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "apictl",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": list(rules.values()),
                    }
                },
                "automationDetails": {"id": f"{category}/"},
                "results": [_result(item, index[item.code]) for item in listed],
            }
        ],
    }
    return json.dumps(log, indent=2)
