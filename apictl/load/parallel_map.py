"""Map a function over independent items on all cores (fork-based process pool), in order.

Work is handed to forked workers by index, so large inputs already in memory are never pickled;
only results travel back. Small jobs, one-core machines and APICTL_JOBS=1 run in-process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _call(index: int) -> Any:
    assert _WORK is not None
    function, items = _WORK
    return function(items[index])


def jobs() -> int:
    configured = os.environ.get("APICTL_JOBS", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def parallel_map(function: Callable[[T], R], items: Sequence[T], weights: Sequence[int], *, min_weight: int) -> list[R]:
    """``[function(x) for x in items]``, spread over processes when the total weight is worth it."""
    workers = min(jobs(), len(items))
    if workers < 2 or sum(weights) < min_weight or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    global _WORK
    _WORK = (function, items)
    order = sorted(range(len(items)), key=lambda i: -weights[i])  # biggest first: better balance
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            chunk = max(1, len(items) // (workers * 8))
            done = dict(zip(order, pool.map(_call, order, chunksize=chunk), strict=True))
    finally:
        _WORK = None
    return [done[i] for i in range(len(items))]
