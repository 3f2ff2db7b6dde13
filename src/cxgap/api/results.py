"""Result objects as plain JSON-ready data (NaN becomes null), and a cache stamped with the store's version
that serves the last result while the next one computes (stale-while-revalidate)."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cxgap.plain import plain as plain
from cxgap.store import Store
from cxgap.store.kept import KeptResults, store_version

Version = tuple[int, str]
# the request being answered, if any: a cache that serves a stale result marks it (see UpdatingHeader)
_REQUEST: contextvars.ContextVar[_Request | None] = contextvars.ContextVar("cxgap_request", default=None)
# True while a result is being computed: what it reads must be current, never a stale copy
_COMPUTING: contextvars.ContextVar[bool] = contextvars.ContextVar("cxgap_computing", default=False)
log = logging.getLogger(__name__)
REFRESH_WORKERS = 2


@dataclasses.dataclass
class _Request:
    """What one request was answered with: True once any result it got was a stale one being recomputed."""

    updating: bool = False


@dataclasses.dataclass
class _Slot:
    """One key's lock, and how many callers hold or wait for it (the slot goes when none do)."""

    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    users: int = 0


@dataclasses.dataclass(frozen=True)
class Cached:
    """A result and whether it is stale: computed for an older store version, its successor computing in
    the background."""

    value: Any
    stale: bool


@dataclasses.dataclass(frozen=True)
class _Kept:
    """A computed result, the store version it is for, and when it was computed (time.monotonic)."""

    version: Version
    value: Any
    at: float


class ResultCache:
    """Results per (name, filters), each stamped with the store version it was computed for.

    Stale-while-revalidate: once an import moves the store's version, a request for a key still gets the
    last result at once (flagged stale, so surfaces can say "updating") while one background job per key
    computes the new one; a burst of ingests therefore never leaves the dashboard recomputing every view in
    its requests. A key never computed is computed in the request (there is nothing to serve meanwhile).

    Each key has a lock of its own: twenty requests for one view compute it once (the others wait for that
    result), while different views compute in parallel, so a slow one (text, risk) blocks only itself. A
    failed computation is not cached. Background jobs run on a small bounded pool, at most one per key, and
    a key is recomputed at most once every `refresh_seconds`: while webhooks move the store every fraction
    of a second, the views keep up a few seconds behind instead of taking the cores from the ingest.
    """

    def __init__(
        self,
        store: Store,
        workers: int = REFRESH_WORKERS,
        write_lock: threading.Lock | None = None,
        version: Callable[[], Version] | None = None,
        refresh_seconds: float = 0.0,
        keep: Callable[[tuple[Any, ...]], bool] | None = None,
    ) -> None:
        """`write_lock`: held while stale rollups are rebuilt (DuckDB: the store's one writer at a time);
        `version`: how to read the store's version (default `store_version`; tests pass their own);
        `refresh_seconds`: the least time between two computations of one key; `keep`: which keys are
        kept in the store (none by default)."""
        self.store = store
        self.kept = KeptResults(store, write_lock)
        self._keep = keep or (lambda key: False)
        self._keeper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cxgap-keep")
        self.last_version: Version | None = None  # the store version the last lookup read
        self.refresh_seconds = refresh_seconds
        self._version_of = version or (lambda: store_version(store))
        self._write_lock = write_lock
        self._results: dict[tuple[Any, ...], _Kept] = {}
        self._slots: dict[tuple[Any, ...], _Slot] = {}
        self._pending: dict[tuple[Any, ...], Future[None]] = {}
        self._timers: dict[tuple[Any, ...], threading.Timer] = {}  # recomputations waiting their turn
        self._guard = threading.Lock()  # guards the dictionaries above, held for no query or computation
        self._refresh = threading.Lock()  # one refresh of stale rollups at a time
        self._refreshed: Version | None = None
        self._refreshed_at = 0.0
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cxgap-revalidate")

    def _fresh_rollups(self, version: Version) -> Version:
        """Bring the rollups in step with what ingests added (their batches merged, or a rebuild after a
        customers or replacing batch), before anything computes on them; the store version they now
        reflect. While ingest keeps moving the store, at most once per `refresh_seconds` (the refresh holds
        the writer's turn): in between, results are computed on the last refresh and stamped with its
        version, so they count as stale and are computed again after the next one."""
        if self._refreshed == version:
            return version
        with self._refresh:
            recent = time.monotonic() - self._refreshed_at < self.refresh_seconds
            if self._refreshed is not None and self._refreshed != version and recent:
                return self._refreshed
            if self._refreshed != version:
                with self._write_lock or contextlib.nullcontext():
                    self.store.refresh_stale()
                self._refreshed, self._refreshed_at = version, time.monotonic()
            return version

    @contextlib.contextmanager
    def _slot(self, key: tuple[Any, ...]) -> Iterator[None]:
        """Hold `key`'s lock (its slot exists while anyone holds or waits for it)."""
        with self._guard:
            slot = self._slots.setdefault(key, _Slot())
            slot.users += 1
        try:
            with slot.lock:
                yield
        finally:
            with self._guard:
                slot.users -= 1
                if slot.users == 0:
                    del self._slots[key]

    def _compute(self, key: tuple[Any, ...], compute: Callable[[], Any], version: Version) -> Any:
        """Compute `key` for `version` (under its lock) and keep it unless a newer result got there first;
        a key to keep in the store is handed to the writer."""
        version = self._fresh_rollups(version)
        token = _COMPUTING.set(True)
        started = time.perf_counter()
        try:
            result = compute()  # an error leaves nothing cached: the next caller tries again
        finally:
            _COMPUTING.reset(token)
        seconds = time.perf_counter() - started
        with self._guard:
            kept = self._results.get(key)
            newest = kept is None or kept.version[0] <= version[0]  # the batch count only grows
            if newest:
                self._results[key] = _Kept(version, result, time.monotonic())
        if newest and self._keep(key):
            with contextlib.suppress(RuntimeError):  # the writer is shut down: the app is closing
                self._keeper.submit(self._write_kept, key, version, result, seconds)
        return result

    def _write_kept(self, key: tuple[Any, ...], version: Version, result: Any, seconds: float) -> None:
        try:
            self.kept.write(key, version, result, seconds)
        except Exception:  # the store refused (full, closing): the result stays in memory
            log.exception("keeping %r in the store failed; it stays in memory", key)

    def _read_kept(self, key: tuple[Any, ...], version: Version) -> Cached | None:
        """The result kept in the store for `key` at `version` (now also in memory), if any."""
        if not self._keep(key):
            return None
        try:
            found, value = self.kept.read(key, version)
        except Exception:  # the table is unreadable: compute instead
            log.exception("reading the kept result of %r failed", key)
            return None
        if not found:
            return None
        with self._guard:
            self._results.setdefault(key, _Kept(version, value, time.monotonic()))
        return Cached(value, False)

    def _revalidate(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> None:
        """Background job: recompute `key` for the current version (nothing to do if a caller already has)."""
        try:
            with self._slot(key):
                version = self._version_of()
                with self._guard:
                    kept = self._results.get(key)
                if kept is None or kept.version != version:
                    self._compute(key, compute, version)
        except Exception:  # kept stale; the next request for the key schedules another try
            log.exception("recomputing %r failed; its last result is served meanwhile", key)
        finally:
            with self._guard:
                del self._pending[key]

    def _schedule(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> None:
        """Start the background recomputation of `key` unless one is queued or running; not before
        `refresh_seconds` have passed since its last computation."""
        with self._guard:
            if key in self._pending:
                return
            future: Future[None] = Future()
            self._pending[key] = future
            kept = self._results.get(key)
        delay = kept.at + self.refresh_seconds - time.monotonic() if kept is not None else 0.0

        def submit() -> None:
            with self._guard:
                self._timers.pop(key, None)
            try:
                submitted = self._pool.submit(self._revalidate, key, compute)
            except RuntimeError:  # the pool is shut down (the app is closing): nothing will recompute
                with self._guard:
                    del self._pending[key]
                future.set_result(None)
                return
            submitted.add_done_callback(lambda done: future.set_result(None))

        if delay <= 0:
            submit()
            return
        timer = threading.Timer(delay, submit)
        timer.daemon = True
        with self._guard:
            self._timers[key] = timer
        timer.start()

    def lookup(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Cached:
        """The result for `key` and whether it is stale.

        Current: served as it is. Stale (the store moved on since): served at once, and one background
        recomputation starts. Never computed: computed now, in this call; callers asking meanwhile wait for
        it. Inside a computation every lookup is current (computed in place when stale), so a result is
        never built from another's stale copy.
        """
        version = self._version_of()
        self.last_version = version
        with self._guard:
            kept = self._results.get(key)
        if kept is not None and kept.version == version:
            return Cached(kept.value, False)
        if kept is not None and not _COMPUTING.get():
            self._schedule(key, compute)
            return Cached(kept.value, True)
        with self._slot(key):
            with self._guard:
                kept = self._results.get(key)
            if kept is not None and kept.version == version:
                return Cached(kept.value, False)  # computed while this call waited
            if kept is not None and not _COMPUTING.get():
                self._schedule(key, compute)
                return Cached(kept.value, True)
            if kept is None:
                stored = self._read_kept(key, version)
                if stored is not None:
                    return stored
            return Cached(self._compute(key, compute, version), False)

    def version(self) -> Version:
        """The store's version now (how this cache reads it)."""
        return self._version_of()

    def peek(self, key: tuple[Any, ...]) -> Cached | None:
        """The result in memory for `key`, current or stale (None: never computed here); computes nothing
        and starts nothing (a caller that gets a stale one asks `get` for the recomputation)."""
        version = self._version_of()
        self.last_version = version
        with self._guard:
            kept = self._results.get(key)
        return None if kept is None else Cached(kept.value, kept.version != version)

    @contextlib.contextmanager
    def current(self) -> Iterator[None]:
        """Inside, every lookup is current: a stale result is computed again in place, not served (the
        background computation of the default views uses this to bring them up to date)."""
        token = _COMPUTING.set(True)
        try:
            yield
        finally:
            _COMPUTING.reset(token)

    def get(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
        """The result for `key` (see `lookup`); a stale one marks the request being answered as updating."""
        found = self.lookup(key, compute)
        if found.stale:
            request = _REQUEST.get()
            if request is not None:
                request.updating = True
        return found.value

    def settle(self, timeout: float | None = None) -> None:
        """Wait for the background recomputations started so far (tests, benchmarks, shutdown)."""
        with self._guard:
            pending = list(self._pending.values())
        wait(pending, timeout=timeout)

    def close(self) -> None:
        """Stop taking background work (recomputations waiting their turn are dropped); let what runs finish."""
        with self._guard:
            timers = list(self._timers.items())
            self._timers.clear()
        for key, timer in timers:
            timer.cancel()
            with self._guard:
                dropped = self._pending.pop(key, None)
            if dropped is not None:
                dropped.set_result(None)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._keeper.shutdown(wait=True)  # what was computed is in the store before the app closes


class UpdatingHeader:
    """ASGI middleware: answers that used a stale result carry `X-Cxgap-Updating: 1` (the page or JSON is
    the last result; a newer one is computing), so a client knows to look again shortly."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _Request()
        token = _REQUEST.set(request)

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start" and request.updating:
                message = dict(message)
                message["headers"] = [*message.get("headers", []), (b"x-cxgap-updating", b"1")]
            await send(message)

        try:
            await self.app(scope, receive, marked)
        finally:
            _REQUEST.reset(token)
