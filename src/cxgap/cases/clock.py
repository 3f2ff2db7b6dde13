"""The loop's clock: the moment rule lookbacks, deadlines and "overdue" are judged at.

It is the machine's clock, unless `[cases] as_of` fixes a moment, or the store carries a calendar of its
own (`store_meta.loop_clock`): the demo company's data ends months before today, so its store says "the
loop's time is the data's last day plus the time since the demo was written", and every queue has cases
due today and overdue cases, as a live loop would.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from cxgap.config import Settings
from cxgap.store import Store

CLOCK_KEY = "loop_clock"


def system_now() -> dt.datetime:
    """The machine's clock in naive UTC, as the store keeps times."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def set_loop_calendar(store: Store, data_now: dt.datetime, *, at: dt.datetime | None = None) -> None:
    """Give the store its own calendar: from now on the loop's time is `data_now` plus the time since."""
    value = json.dumps({"anchor": data_now.isoformat(), "set_at": (at or system_now()).isoformat()})
    with store.begin() as conn:
        conn.execute(sa.text("DELETE FROM store_meta WHERE name = :n"), {"n": CLOCK_KEY})
        conn.execute(
            sa.text("INSERT INTO store_meta (name, value) VALUES (:n, :v)"), {"n": CLOCK_KEY, "v": value}
        )


def store_now(store: Store) -> dt.datetime:
    """The store's own present: its calendar where it has one, else the machine's clock. Workflow steps
    called without a time use it, so a demo store's audit log stays on the demo's calendar."""
    with store.engine.connect() as conn:
        value = conn.execute(
            sa.text("SELECT value FROM store_meta WHERE name = :n"), {"n": CLOCK_KEY}
        ).scalar()
    now = system_now()
    if value is None:
        return now
    calendar = json.loads(value)
    anchor = dt.datetime.fromisoformat(calendar["anchor"])
    return anchor + (now - dt.datetime.fromisoformat(calendar["set_at"]))


def loop_now(store: Store, settings: Settings, *, as_of: dt.datetime | None = None) -> dt.datetime:
    """The loop's present: `as_of` when a caller names one, else `[cases] as_of`, else the store's own
    calendar, else the machine's clock."""
    if as_of is not None:
        return _naive_utc(as_of)
    if settings.cases.as_of is not None:
        return _naive_utc(settings.cases.as_of)
    return store_now(store)


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    """A moment as the store keeps times: naive UTC (a naive moment is taken as UTC already)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.UTC).replace(tzinfo=None)
