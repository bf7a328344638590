"""Diagnostics: every problem apictl finds, with a stable code, a location and a hint."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from apictl.model.source import SourceLocation


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_RANK = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    location: SourceLocation | None = None
    hint: str = ""

    def sort_key(self) -> tuple[str, int, int, int, str, str]:
        loc = self.location or SourceLocation("")
        return (loc.file, loc.line, loc.column, SEVERITY_RANK[self.severity], self.code, self.message)

    def to_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "hint": self.hint,
        }


def error(code: str, message: str, location: SourceLocation | None, hint: str = "") -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, location, hint)


def warning(code: str, message: str, location: SourceLocation | None, hint: str = "") -> Diagnostic:
    return Diagnostic(code, Severity.WARNING, message, location, hint)


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in diagnostics)


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(set(diagnostics), key=Diagnostic.sort_key)
