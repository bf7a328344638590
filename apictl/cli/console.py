"""Output streams: humans read stderr (rich, NO_COLOR respected), programs read stdout."""

from __future__ import annotations

import functools
import sys

from rich.console import Console


@functools.cache
def human() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def data(text: str) -> None:
    """Write machine-readable output to stdout, exactly as given."""
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()
