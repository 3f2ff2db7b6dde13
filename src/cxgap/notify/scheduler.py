"""The server's scheduler: a background thread that runs notifications every `[notify] every_seconds`
while `cxgap serve` runs, only where a channel is configured (a server, or a test app, without one gets
no thread). A failing run is logged and the next one tries again: the outbox keeps what is pending."""

from __future__ import annotations

import logging
import threading

from cxgap.config import Settings
from cxgap.notify.run import Writing, run_notifications
from cxgap.store import Store

log = logging.getLogger(__name__)


def wanted(settings: Settings) -> bool:
    """Whether a server should schedule notifications: a channel is configured and a period is set."""
    return settings.notify.configured and settings.notify.every_seconds > 0


class Scheduler:
    """Runs `run_notifications` every `every_seconds` on its own thread until `stop()`."""

    def __init__(self, store: Store, settings: Settings, writing: Writing | None = None) -> None:
        self.store, self.settings, self.writing = store, settings, writing
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cxgap-notify", daemon=True)

    def start(self) -> Scheduler:
        """Start the thread (the first run is at once)."""
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_notifications(self.store, self.settings, writing=self.writing)
            except Exception:  # a store or network failure: log it, the outbox retries on the next run
                log.exception("a notification run failed; the next run tries again")
            self.runs += 1
            self._stop.wait(self.settings.notify.every_seconds)

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop after the run in progress (if any) and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
