"""The server's scheduler: a background thread that runs notifications every `[notify] every_seconds`
while `cxgap serve` runs, only where a channel is configured (a server, or a test app, without one gets
no thread). A failing run is logged and the next one tries again: the outbox keeps what is pending. Where
SMTP is configured and `[surveys.triggers]` names any, each round also sends the survey invitations due
(`cxgap.surveys.invitations`, at the machine's clock: quiet hours are real people's hours)."""

from __future__ import annotations

import logging
import threading

from cxgap.cases.clock import system_now
from cxgap.config import Settings
from cxgap.notify.run import Writing, run_notifications
from cxgap.store import Store

log = logging.getLogger(__name__)


def invitations_wanted(settings: Settings) -> bool:
    """Whether each round also runs survey invitations: e-mail is configured and a trigger exists."""
    return settings.notify.smtp_url is not None and bool(settings.surveys.triggers)


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
            if invitations_wanted(self.settings):
                self._invite()
            self.runs += 1
            self._stop.wait(self.settings.notify.every_seconds)

    def _invite(self) -> None:
        from cxgap.surveys.invitations import run_invitations  # surveys build on notify's mailer

        try:
            run_invitations(self.store, self.settings, system_now(), writing=self.writing)
        except Exception:  # as above: logged, and the next round decides and sends what is due
            log.exception("a survey invitation run failed; the next run tries again")

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop after the run in progress (if any) and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
