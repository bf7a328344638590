"""A breaking-change finding: a stable id, a level, a message, where, and who is affected."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from apictl.model.diagnostics import SEVERITY_RANK, Severity
from apictl.model.source import SourceLocation

Affected = tuple[tuple[str, tuple[str, ...]], ...]
"""Per environment (sorted), the applications affected there (sorted)."""


def affected_of(by_environment: Mapping[str, Iterable[str]]) -> Affected:
    return tuple((env, tuple(sorted(set(apps)))) for env, apps in sorted(by_environment.items()) if apps and set(apps))


def merge_affected(*groups: Affected) -> Affected:
    merged: dict[str, set[str]] = {}
    for group in groups:
        for env, apps in group:
            merged.setdefault(env, set()).update(apps)
    return affected_of(merged)


@dataclass(frozen=True, slots=True)
class Finding:
    """One change that can break a consumer.

    ``location`` is in the head revision; for something removed it is where it was in the base.
    ``affected`` comes from the base revision's subscriptions (and an event API's publishers).
    """

    id: str
    level: Severity
    message: str
    location: SourceLocation | None
    api: str = ""
    """``name@version`` of the API the change is in, or '' for plans."""
    affected: Affected = ()
    hint: str = ""

    @property
    def code(self) -> str:
        """The id, under the name the CI formats share with diagnostics."""
        return self.id

    @property
    def severity(self) -> Severity:
        return self.level

    @property
    def applications(self) -> tuple[str, ...]:
        return tuple(sorted({app for _, apps in self.affected for app in apps}))

    def with_affected(self, affected: Affected) -> Finding:
        return replace(self, affected=affected)

    def sort_key(self) -> tuple[int, str, int, int, str, str]:
        loc = self.location or SourceLocation("")
        return (SEVERITY_RANK[self.level], loc.file, loc.line, loc.column, self.id, self.message)

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "id": self.id,
            "level": str(self.level),
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "api": self.api or None,
            "affected": {env: list(apps) for env, apps in self.affected},
            "hint": self.hint,
        }


def finding(
    id: str,
    level: Severity | str,
    message: str,
    location: SourceLocation | None,
    *,
    api: str = "",
    affected: Affected = (),
    hint: str = "",
) -> Finding:
    return Finding(id, Severity(level), message, location, api, affected, hint)


def deduplicated(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per (id, location, message); the affected applications are merged. Sorted, errors first."""
    merged: dict[tuple[str, SourceLocation | None, str], Finding] = {}
    for item in findings:
        key = (item.id, item.location, item.message)
        if key in merged:
            merged[key] = merged[key].with_affected(merge_affected(merged[key].affected, item.affected))
        else:
            merged[key] = item
    return sorted(merged.values(), key=Finding.sort_key)


def at_or_above(findings: Iterable[Finding], level: Severity) -> list[Finding]:
    return [f for f in findings if SEVERITY_RANK[f.level] <= SEVERITY_RANK[level]]
