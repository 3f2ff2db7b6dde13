"""The outbox and delivery log (table `notifications`), where "exactly once" is decided.

Each (event occurrence, recipient, channel) is one row whose id is a hash of the four, inserted with
ON CONFLICT DO NOTHING: finding an occurrence again, or two schedulers finding it at once, queues nothing
new. A sender claims rows with one conditional UPDATE (pending and due, or a claim whose lease ran out):
of two senders, only the one whose UPDATE changed a row sends it. A sent row is never claimed again; a
failed attempt waits `backoff_seconds`, doubling, and after `max_attempts` the row is `failed`. Every
attempt's error is kept (one line each, oldest first), with no secret or password in it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from cxgap.config.notify import NotifySettings
from cxgap.store import Store

STATUSES = ("pending", "sending", "sent", "failed")
CHUNK = 200  # rows per INSERT


@dataclass(frozen=True)
class Outgoing:
    """A row to queue: one occurrence for one recipient on one channel."""

    event: str
    event_key: str
    recipient: str
    channel: str
    subject: str
    body: str


@dataclass(frozen=True)
class Claimed:
    """A row this sender claimed and now delivers: `attempts` counts this attempt."""

    notification_id: str
    event: str
    recipient: str
    channel: str
    subject: str
    body: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class Delivery:
    """One line of the delivery log."""

    notification_id: str
    event: str
    recipient: str
    channel: str
    subject: str
    status: str
    attempts: int
    created_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str | None


def notification_id(event: str, event_key: str, recipient: str, channel: str) -> str:
    """The row's id: SHA-256 of the occurrence, the recipient and the channel (hex, 64 characters)."""
    return hashlib.sha256("\x1f".join((event, event_key, recipient, channel)).encode()).hexdigest()


def queue(conn: sa.Connection, rows: list[Outgoing], now: dt.datetime) -> int:
    """Insert the rows not queued before (in id order, so two writers lock alike); how many were new."""
    keyed = sorted({notification_id(r.event, r.event_key, r.recipient, r.channel): r for r in rows}.items())
    new = 0
    for start in range(0, len(keyed), CHUNK):
        chunk = keyed[start : start + CHUNK]
        params: dict[str, Any] = {"now": now}
        values = []
        for i, (nid, row) in enumerate(chunk):
            params |= {
                f"id{i}": nid,
                f"ev{i}": row.event,
                f"key{i}": row.event_key[:256],
                f"to{i}": row.recipient,
                f"ch{i}": row.channel,
                f"su{i}": row.subject,
                f"bo{i}": row.body,
            }
            values.append(f"(:id{i}, :ev{i}, :key{i}, :to{i}, :ch{i}, :su{i}, :bo{i}, 'pending', 0, :now)")
        sql = (
            "INSERT INTO notifications (notification_id, event, event_key, recipient, channel, subject, body, "
            f"status, attempts, created_at) VALUES {', '.join(values)} "
            "ON CONFLICT (notification_id) DO NOTHING RETURNING notification_id"
        )
        new += len(conn.execute(sa.text(sql), params).all())
    return new


CLAIMABLE = (
    "((status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= :now)) "
    "OR (status = 'sending' AND next_attempt_at <= :now))"
)


def claim(store: Store, now: dt.datetime, lease: dt.timedelta, limit: int) -> list[Claimed]:
    """Claim up to `limit` rows due by `now` for this sender: one conditional UPDATE marks them `sending`
    with a lease (a sender that dies mid-way leaves them to be claimed again once it ends) and counts the
    attempt; rows another sender claimed first are not among those returned."""
    params: dict[str, Any] = {"now": now, "lease": now + lease, "limit": limit}
    with store.begin() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                sa.text(
                    f"SELECT notification_id FROM notifications WHERE {CLAIMABLE} "
                    "ORDER BY created_at, notification_id LIMIT :limit"
                ),
                params,
            )
        ]
        if not ids:
            return []
        sql = sa.text(
            "UPDATE notifications SET status = 'sending', attempts = attempts + 1, next_attempt_at = :lease "
            f"WHERE notification_id IN :ids AND {CLAIMABLE} "
            "RETURNING notification_id, event, recipient, channel, subject, body, attempts, last_error"
        ).bindparams(sa.bindparam("ids", expanding=True))
        rows = conn.execute(sql, params | {"ids": ids}).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: ids.index(c.notification_id))


def delivered(store: Store, claimed: Claimed, now: dt.datetime) -> bool:
    """Mark a claimed row sent (only while this sender's claim holds); whether it did."""
    with store.begin() as conn:
        changed = conn.execute(
            sa.text(
                "UPDATE notifications SET status = 'sent', sent_at = :now, next_attempt_at = NULL "
                "WHERE notification_id = :id AND status = 'sending' AND attempts = :attempts "
                "RETURNING notification_id"
            ),
            {"now": now, "id": claimed.notification_id, "attempts": claimed.attempts},
        ).first()
    return changed is not None


def retry_at(settings: NotifySettings, attempts: int, now: dt.datetime) -> dt.datetime | None:
    """When to try again after `attempts` failures (None: give up): backoff_seconds, doubling."""
    if attempts >= settings.max_attempts:
        return None
    return now + dt.timedelta(seconds=settings.backoff_seconds * 2 ** (attempts - 1))


def undelivered(
    store: Store, claimed: Claimed, now: dt.datetime, error: str, settings: NotifySettings
) -> str:
    """Record a failed attempt: retried later with backoff, or `failed` after the last; the new status."""
    again = retry_at(settings, claimed.attempts, now)
    status = "pending" if again is not None else "failed"
    line = f"attempt {claimed.attempts} at {now:%Y-%m-%d %H:%M:%S}: {error}"
    errors = f"{claimed.last_error}\n{line}" if claimed.last_error else line
    with store.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE notifications SET status = :status, next_attempt_at = :again, last_error = :errors "
                "WHERE notification_id = :id AND status = 'sending' AND attempts = :attempts"
            ),
            {
                "status": status,
                "again": again,
                "errors": errors,
                "id": claimed.notification_id,
                "attempts": claimed.attempts,
            },
        )
    return status


def delivery_log(store: Store, *, recipient: str | None = None, limit: int = 100) -> list[Delivery]:
    """The latest deliveries, newest first (optionally one recipient's): status, attempts, errors."""
    params: dict[str, Any] = {"limit": limit}
    where = ""
    if recipient is not None:
        params["recipient"] = recipient
        where = "WHERE recipient = :recipient "
    sql = (
        "SELECT notification_id, event, recipient, channel, subject, status, attempts, created_at, sent_at, "
        f"last_error FROM notifications {where}ORDER BY created_at DESC, notification_id LIMIT :limit"
    )
    with store.engine.connect() as conn:
        return [Delivery(*row) for row in conn.execute(sa.text(sql), params)]
