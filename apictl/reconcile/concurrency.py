"""Boring concurrency: a bounded thread pool whose shutdown lets in-flight requests finish.

On Ctrl-C or SIGTERM (KeyboardInterrupt in the main thread) work not yet started is cancelled,
requests already sent complete, and the interrupt propagates: no half-written request, no new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

POLL_SECONDS = 0.2


def run_bounded(
    fn: Callable[[T], R], items: Iterable[T], workers: int, on_done: Callable[[T, Future[R]], None]
) -> None:
    """Run ``fn`` over ``items`` with at most ``workers`` threads; ``on_done(item, future)`` runs in the
    calling thread as each finishes. Any exception (an interrupt included) cancels what has not started,
    waits for what is running, and propagates."""
    items = list(items)
    if not items:
        return
    pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(items))), thread_name_prefix="apictl")
    try:
        futures = {pool.submit(fn, item): item for item in items}
        pending: set[Future[R]] = set(futures)
        while pending:
            done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                on_done(futures[future], future)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
