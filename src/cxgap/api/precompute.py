"""The default views computed in the background after an import, with their progress; and requests that
wait a short while for a slow result, then answer without it (the page then shows that it is computing).

After each store version (an import) the server computes every page's unfiltered results one by one on a
thread of its own (the results are kept in the store, see results.ResultCache), so the first visitor finds
them ready; the progress says which are ready, which computes and for which store version.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)
Version = tuple[int, str]
View = tuple[str, Callable[[], object]]


@dataclass(frozen=True)
class ViewState:
    """One default view: waiting, computing, ready or failed, and how long it took (seconds)."""

    name: str
    state: str
    seconds: float | None = None


@dataclass(frozen=True)
class Progress:
    """Where the background computation of the default views stands, for one store version."""

    version: str
    views: tuple[ViewState, ...]

    @property
    def done(self) -> bool:
        """Every view is ready (or failed: its page computes it when asked)."""
        return all(v.state in ("ready", "failed") for v in self.views)

    @property
    def ready(self) -> int:
        """How many views are ready."""
        return sum(v.state == "ready" for v in self.views)

    def sentence(self) -> str:
        """In words, for the banner above every page."""
        computing = [v.name for v in self.views if v.state == "computing"]
        if self.done:
            return f"All {len(self.views)} default views are ready for this data."
        now = f"; computing {', '.join(computing)}" if computing else ""
        return (
            f"Preparing the views after the last import: {self.ready} of {len(self.views)} ready{now}. "
            "Pages whose views are not ready yet take longer to open."
        )


class Precompute:
    """Computes `views()` (name and callable, each reading through the result cache) once per store
    version on a thread of its own; `ensure(version)` starts a run when the version moved, at most once
    every `refresh_seconds` while the store keeps moving (a run in progress finishes first)."""

    def __init__(
        self,
        views: Callable[[], list[View]],
        version: Callable[[], Version],
        current: Callable[[], AbstractContextManager[None]],
        refresh_seconds: float = 0.0,
        finished: Callable[[Version], None] | None = None,
    ) -> None:
        """`current`: a context in which every lookup computes a stale result in place (see
        ResultCache.current); `finished`: told the version once a run has computed every view."""
        self._views, self._version, self._current = views, version, current
        self._finished = finished or (lambda version: None)
        self.refresh_seconds = refresh_seconds
        self._guard = threading.Lock()
        self._changed = threading.Condition(self._guard)  # told when a run ends
        self._done: Version | None = None  # the version the last complete run was for
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._target: Version | None = None  # the newest version asked for
        self._started_at = 0.0
        self._progress = Progress("", ())
        self.runs = 0  # completed runs (tests)

    def ensure(self, version: Version | None = None) -> None:
        """Bring the default views up to `version` (read now when not given) in the background."""
        version = version or self._version()
        with self._guard:
            if self._target == version or self._stop.is_set():
                return
            self._target = version
            if self._thread is not None and self._thread.is_alive():
                return  # the running loop sees the new target when its run ends
            self._thread = threading.Thread(target=self._loop, name="cxgap-precompute", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        done: Version | None = None
        while not self._stop.is_set():
            with self._guard:
                target = self._target
            if target is None or target == done:
                with self._guard:
                    if self._target == done:  # nothing newer arrived meanwhile: the thread ends
                        self._thread = None
                        return
                continue
            wait = self._started_at + self.refresh_seconds - time.monotonic()
            if wait > 0 and self._stop.wait(wait):  # ingest keeps moving the store: wait its turn
                return
            self._started_at = time.monotonic()
            self._run(target)
            done = target

    def _run(self, version: Version) -> None:
        views = self._views()
        states = {name: ViewState(name, "waiting") for name, _ in views}
        label = f"{version[0]} imports, the last at {version[1]}"
        self._publish(label, states)
        for name, compute in views:
            if self._stop.is_set():
                return
            states[name] = ViewState(name, "computing")
            self._publish(label, states)
            started = time.perf_counter()
            try:
                with self._current():
                    compute()
                states[name] = ViewState(name, "ready", time.perf_counter() - started)
            except Exception:  # the page computes it (and shows the error) when asked
                log.exception("computing the default view %s failed", name)
                states[name] = ViewState(name, "failed", time.perf_counter() - started)
            self._publish(label, states)
        self._finished(version)
        with self._changed:
            self.runs += 1
            self._done = version
            self._changed.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the default views are up to date with the newest version asked for; False if
        `timeout` passed first (tests and benchmarks wait on this, never on a clock)."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._target is not None and self._done == self._target, timeout
            )

    def _publish(self, label: str, states: dict[str, ViewState]) -> None:
        self._progress = Progress(label, tuple(states.values()))

    def progress(self) -> Progress:
        """The latest run's progress (no views: nothing has run yet, e.g. on an empty store)."""
        return self._progress

    def close(self, timeout: float | None = None) -> None:
        """Stop after the view computing now; wait for that."""
        self._stop.set()
        with self._guard:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)


class Answers:
    """Work a request waits for only a short while: the work runs on a small pool and goes on after the
    request gave up; a later request for the same key waits for the same work (one computation)."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cxgap-answer")
        self._running: dict[Any, Future[Any]] = {}
        self._guard = threading.Lock()

    def within(self, key: Any, work: Callable[[], Any], seconds: float | None) -> tuple[bool, Any]:
        """(True, the result) when `work` for `key` finishes within `seconds` (None: however long it
        takes); else (False, None) and it goes on in the background. An error of the work is raised to
        the request that sees it end."""
        with self._guard:
            future = self._running.get(key)
            if future is None:
                context = contextvars.copy_context()  # the request's markers (see results.UpdatingHeader)
                future = self._pool.submit(context.run, work)
                self._running[key] = future
                future.add_done_callback(lambda done: self._forget(key, done))
        try:
            return True, future.result(timeout=seconds)
        except FutureTimeout:
            return False, None

    def _forget(self, key: Any, done: Future[Any]) -> None:
        with self._guard:
            if self._running.get(key) is done:
                del self._running[key]

    def pending(self) -> Iterator[Future[Any]]:
        """The work still running (tests wait for it)."""
        with self._guard:
            return iter(list(self._running.values()))

    def close(self) -> None:
        """Take no more work; let what runs finish."""
        self._pool.shutdown(wait=True, cancel_futures=True)
