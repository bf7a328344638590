"""How reconcile reports progress without printing: the CLI passes an observer, tests pass nothing."""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    def phase(self, name: str, total: int) -> None:
        """A new phase starts with ``total`` steps (e.g. "dry-run", 120)."""
        ...

    def advance(self, count: int = 1) -> None: ...


class Silent:
    def phase(self, name: str, total: int) -> None:
        return None

    def advance(self, count: int = 1) -> None:
        return None


SILENT = Silent()
