"""Rate limits shared by the server and the modules it serves: a token bucket per key (a user, a client
address), with a clock tests can drive."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cxgap.errors import CxgapError


class RateLimited(CxgapError):
    """Too many requests for one user (HTTP 429)."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    """A token bucket per key (the user): `per_minute` requests a minute, bursts up to `burst` (default: a tenth
    of the minute's allowance). `clock` gives seconds; tests pass one that does not depend on how fast the
    machine runs."""

    def __init__(
        self, per_minute: int, burst: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.clock = clock
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, burst if burst is not None else per_minute / 10.0)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one request of `key`'s allowance, or raise RateLimited saying when to retry."""
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
                raise RateLimited(f"Too many ingest requests for this user; retry in {wait:.2f} s.", wait)
            self._buckets[key] = (tokens - 1.0, now)
