"""How many threads the churn models compute on: each fit on one thread, scoring and independent folds
and snapshots side by side on the cores the process may use (fewer where the operator or the server says)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from joblib import cpu_count  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

MAX_SCORING_THREADS = 8
T = TypeVar("T")
R = TypeVar("R")
_LIMIT: ContextVar[int | None] = ContextVar("cxgap_scoring_threads", default=None)


def one_thread() -> Any:
    """A context in which the models compute on one thread (OpenMP and BLAS). They fit at most MAX_TRAIN
    customers, where threads gain little, and on a busy machine (the server computes views side by side)
    waiting threads cost many times the work: one tree model on 40,000 customers took 23 s on two threads
    against 1.2 s on one (2 cores shared with other work)."""
    return threadpool_limits(limits=1)


def scoring_threads() -> int:
    """Threads to score many customers, fit independent folds and gather snapshots on: the cores this
    process may use (joblib's count heeds CPU quotas and affinity), at most OMP_NUM_THREADS where it is
    set, at most 8, and at most what `limited_threads` allows in this context."""
    limit = _LIMIT.get()
    cores = min(int(cpu_count()), MAX_SCORING_THREADS, _omp_threads() or MAX_SCORING_THREADS)
    return max(1, min(cores, limit) if limit is not None else cores)


def _omp_threads() -> int | None:
    """OMP_NUM_THREADS (its first level where it lists several), None where unset or unreadable."""
    first = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(first) if first.isdigit() and int(first) > 0 else None


@contextmanager
def limited_threads(threads: int) -> Iterator[None]:
    """Within this context (this thread's), the models score and fold on at most `threads` threads: the
    server computes views side by side, where each view keeps to one."""
    token = _LIMIT.set(max(1, threads))
    try:
        yield
    finally:
        _LIMIT.reset(token)


def side_by_side(work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`work` on each item, results in order, on up to scoring_threads() threads (in turn on one). The
    process's warning filters are put back afterwards: scikit-learn's own catch_warnings swaps them, which
    is not safe across threads before Python 3.14."""
    workers = min(len(items), scoring_threads())
    if workers <= 1:
        return [work(item) for item in items]
    with warnings.catch_warnings(), ThreadPoolExecutor(workers) as pool:
        return list(pool.map(work, items))
