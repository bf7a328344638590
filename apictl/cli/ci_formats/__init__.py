"""Outputs for CI: GitHub workflow annotations, SARIF 2.1.0 for code scanning, and a Markdown PR comment.

Each function takes *reportable* items (validate's diagnostics, breaking's findings, or anything
with ``code``, ``severity``, ``message``, ``location`` and ``hint``) and returns a string; the
commands decide where to write it. An item may also carry ``affected`` (per environment, the
applications it reaches), which every format shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from apictl.cli.options import CiOutput as CiOutput
from apictl.model.diagnostics import Severity
from apictl.model.source import SourceLocation


class Reportable(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def severity(self) -> Severity: ...

    @property
    def message(self) -> str: ...

    @property
    def location(self) -> SourceLocation | None: ...

    @property
    def hint(self) -> str: ...


def affected_text(item: object) -> str:
    """``dev: a, b; prod: a`` for items that say which applications they affect, else ''."""
    affected: Sequence[tuple[str, Sequence[str]]] = getattr(item, "affected", ()) or ()
    return "; ".join(f"{env}: {', '.join(apps)}" for env, apps in affected)
