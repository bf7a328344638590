"""validate: Bundle -> diagnostics. Collects every problem; never stops at the first one."""

from __future__ import annotations

from apictl.model.bundle import Bundle
from apictl.model.diagnostics import Diagnostic, sorted_diagnostics


def validate(bundle: Bundle) -> list[Diagnostic]:
    from apictl.validate import conflicts, definitions, governance, references

    found: list[Diagnostic] = list(bundle.problems)
    found += definitions.check(bundle)
    found += references.check(bundle)
    found += conflicts.check(bundle)
    found += governance.check(bundle)
    return sorted_diagnostics(found)
