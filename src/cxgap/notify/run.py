"""One run of notifications: find what is due at the loop's clock, queue each (occurrence, recipient,
channel) once, then send what is pending and due (retries included) and record each attempt.

Queueing and claiming are short write transactions; sending happens outside any transaction. On DuckDB (one
writer per file, and every writer is in this process) the writes take `writing`, the server's writer lock,
or a lock per store of this process; PostgreSQL's row locks keep two schedulers apart by themselves."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import sqlalchemy as sa

from cxgap.cases.clock import loop_now
from cxgap.config import Settings
from cxgap.notify.alerts import AlertFacts, current_alerts, keep_alerts
from cxgap.notify.digest import digests
from cxgap.notify.events import Occurrence, assigned, deadlines, emerging, playbook_runs
from cxgap.notify.outbox import Claimed, Outgoing, claim, delivered, queue, undelivered
from cxgap.notify.people import Person, staff
from cxgap.notify.prefs import Preference, chosen_preferences, preference_of
from cxgap.notify.send import DeliveryFailed, Mailer, post_webhook
from cxgap.store import Store

Writing = Callable[[], AbstractContextManager[None]]
BATCH = 100  # rows claimed at a time
RETRIES = 5  # tries of one write that met another sender's
T = TypeVar("T")
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class NotifyRun:
    """What a run did: occurrences found, rows newly queued, and the attempts' outcomes."""

    at: dt.datetime
    configured: bool
    found: int = 0
    queued: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def sentence(self) -> str:
        """The run in words."""
        if not self.configured:
            return (
                "No channel is configured ([notify] smtp_url or a [notify.webhooks.NAME] section), "
                "so nothing was queued or sent."
            )
        return (
            f"Notifications at {self.at:%Y-%m-%d %H:%M} (the loop's clock): {self.found} events found, "
            f"{self.queued} messages queued, {self.sent} sent, {self.retrying} to retry, {self.failed} failed."
        )


def _store_lock(store: Store) -> Writing:
    """This process's writer lock of a DuckDB store (none needed on PostgreSQL)."""
    if store.backend != "duckdb":
        return contextlib.nullcontext
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(store.url, threading.Lock())

    @contextlib.contextmanager
    def held() -> Iterator[None]:
        with lock:
            yield

    return held


def _retried(lock: Writing, write: Callable[[], T]) -> T:
    """Run one write under `lock`, again after a write-write conflict or a deadlock (another sender wrote
    the same rows first): the write is idempotent, so the retry sees their rows and skips them."""
    for attempt in range(RETRIES):
        try:
            with lock():
                return write()
        except sa.exc.DBAPIError as error:
            said = str(error.orig).lower()
            if attempt == RETRIES - 1 or not ("conflict" in said or "deadlock" in said):
                raise
    raise AssertionError("unreachable")


def outgoing(
    occurrences: list[Occurrence], settings: Settings, chosen: dict[tuple[str, str], Preference]
) -> list[Outgoing]:
    """The rows to queue: an e-mail to each person concerned who wants it at once (when SMTP is
    configured), and a webhook message to each webhook told of the event and, where it names teams, of
    the occurrence's team (the digest goes to people only)."""
    notify, rows = settings.notify, []
    for o in occurrences:
        if notify.smtp_url is not None:
            for person in o.people:
                choice = preference_of(chosen, person.user_id, o.event)
                if choice.enabled and not choice.in_digest:
                    rows.append(
                        Outgoing(o.event, o.key, person.user_id, "email", o.message.subject, o.message.email)
                    )
        if o.event == "digest":
            continue
        for name, hook in notify.webhooks.items():
            if o.event in hook.events and (not hook.teams or o.team in hook.teams):
                rows.append(Outgoing(o.event, o.key, name, "webhook", o.message.subject, o.message.chat))
    return rows


def find(
    store: Store, settings: Settings, now: dt.datetime, alerts: tuple[AlertFacts, ...]
) -> list[Occurrence]:
    """Every occurrence due at `now` (read only)."""
    with store.engine.connect() as conn:
        people, chosen = staff(conn), chosen_preferences(conn)
        return (
            assigned(conn, now, settings, people)
            + deadlines(conn, now, settings, people)
            + playbook_runs(conn, now, settings, people)
            + emerging(alerts, now, settings, people)
            + digests(conn, now, settings, people, chosen)
        )


def run_notifications(
    store: Store,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    writing: Writing | None = None,
    clock: Callable[[], float] = time.time,
) -> NotifyRun:
    """Find what is due at the loop's clock (`now` overrides it), queue it once, send what is pending and
    due; `writing`: the server's writer lock; `clock`: the signatures' timestamps (Unix seconds)."""
    at = loop_now(store, settings, as_of=now)
    if not settings.notify.configured:
        return NotifyRun(at, False)
    lock = writing or _store_lock(store)
    alerts, version = current_alerts(store, settings)
    occurrences = find(store, settings, at, alerts.alerts)
    with store.engine.connect() as conn:
        chosen = chosen_preferences(conn)
    rows = outgoing(occurrences, settings, chosen)

    def write() -> int:
        with store.begin() as conn:
            keep_alerts(conn, version, alerts)
            return queue(conn, rows, at)

    queued = _retried(lock, write)
    sent, retrying, failed = deliver(store, settings, at, lock, clock)
    return NotifyRun(at, True, len(occurrences), queued, sent, retrying, failed)


def deliver(
    store: Store, settings: Settings, at: dt.datetime, lock: Writing, clock: Callable[[], float]
) -> tuple[int, int, int]:
    """Send every row due by `at` that this sender claims; (sent, to retry, failed)."""
    notify = settings.notify
    lease = dt.timedelta(seconds=max(60.0, 6 * notify.timeout_seconds))
    mailer = Mailer(notify) if notify.smtp_url is not None else None
    with store.engine.connect() as conn:
        emails = {p.user_id: p for p in staff(conn)}
    counts = {"sent": 0, "pending": 0, "failed": 0}
    try:
        while True:
            claimed = _retried(lock, lambda: claim(store, at, lease, BATCH))
            if not claimed:
                break
            for row in claimed:
                try:
                    _send(row, settings, mailer, emails, clock)
                except DeliveryFailed as error:
                    failed = partial(undelivered, store, row, at, str(error), notify)
                    counts[_retried(lock, failed)] += 1
                    continue
                counts["sent"] += _retried(lock, partial(delivered, store, row, at))
    finally:
        if mailer is not None:
            mailer.close()
    return counts["sent"], counts["pending"], counts["failed"]


def _send(
    row: Claimed,
    settings: Settings,
    mailer: Mailer | None,
    people: dict[str, Person],
    clock: Callable[[], float],
) -> None:
    """One attempt at one row; DeliveryFailed says why it did not go."""
    notify = settings.notify
    if row.channel == "webhook":
        hook = notify.webhooks.get(row.recipient)
        if hook is None:
            raise DeliveryFailed(f"the webhook {row.recipient} is no longer configured")
        post_webhook(hook, row.body, notify.timeout_seconds, clock)
        return
    person = people.get(row.recipient)
    if person is None:
        raise DeliveryFailed(f"{row.recipient} has no e-mail address now (or no longer has access)")
    if mailer is None:
        raise DeliveryFailed("no mail server is configured ([notify] smtp_url)")
    mailer.send(person.email, row.subject, row.body)
