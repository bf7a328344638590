"""A rich progress display on stderr for long phases (only on a terminal; CI logs stay clean)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class ProgressView:
    """Implements reconcile's observers (phase/advance/outcome)."""

    def __init__(self, console: Console, on_outcome: Callable[[Any], None] | None = None) -> None:
        self._console = console
        self._on_outcome = on_outcome
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> ProgressView:
        if self._console.is_terminal:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def phase(self, name: str, total: int) -> None:
        if self._progress is None:
            return
        if self._task is None:
            self._task = self._progress.add_task(name, total=total)
        else:
            self._progress.reset(self._task, total=total, description=name)

    def advance(self, count: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, count)

    def outcome(self, outcome: Any) -> None:
        if self._on_outcome is not None:
            self._on_outcome(outcome)
