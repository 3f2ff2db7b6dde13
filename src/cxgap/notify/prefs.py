"""Per-person preferences: which events someone is told of, and whether at once or in the daily digest.

A person who never chose anything gets the defaults: every event at once, and the digest. Only the
deadline events (due soon, overdue) can move into the digest, because the digest lists exactly those."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from cxgap.config.notify import EVENTS
from cxgap.errors import CxgapError, NotFound
from cxgap.store import Store

DIGESTIBLE = ("case_due", "case_overdue")  # events the daily digest can carry instead


@dataclass(frozen=True)
class Preference:
    """Whether `event` is told to the person at all, and whether in the digest instead of at once."""

    event: str
    enabled: bool
    in_digest: bool


DEFAULTS = {event: Preference(event, True, False) for event in EVENTS}


def _known_user(conn: sa.Connection, user_id: str) -> None:
    if conn.execute(sa.text("SELECT 1 FROM users WHERE user_id = :u"), {"u": user_id}).first() is None:
        raise NotFound(f"There is no user {user_id!r}.")


def preferences(store: Store, user_id: str) -> list[Preference]:
    """The person's preference for every event, in `EVENTS` order, defaults filled in."""
    sql = "SELECT event, enabled, in_digest FROM notify_preferences WHERE user_id = :u"
    with store.engine.connect() as conn:
        _known_user(conn, user_id)
        chosen = {
            row.event: Preference(row.event, bool(row.enabled), bool(row.in_digest))
            for row in conn.execute(sa.text(sql), {"u": user_id})
        }
    return [chosen.get(event, DEFAULTS[event]) for event in EVENTS]


def set_preference(store: Store, user_id: str, event: str, *, enabled: bool, in_digest: bool) -> None:
    """Record one choice (replacing an earlier one for the same event)."""
    if event not in EVENTS:
        raise CxgapError(f"event = {event!r} is not one of {', '.join(EVENTS)}.")
    if in_digest and event not in DIGESTIBLE:
        raise CxgapError(
            f"Only {' and '.join(DIGESTIBLE)} can go in the daily digest; {event} is told at once or not at all."
        )
    with store.begin() as conn:
        _known_user(conn, user_id)
        params = {"u": user_id, "e": event, "on": enabled, "digest": in_digest}
        conn.execute(
            sa.text(
                "INSERT INTO notify_preferences (user_id, event, enabled, in_digest) VALUES (:u, :e, :on, :digest) "
                "ON CONFLICT (user_id, event) DO UPDATE SET enabled = excluded.enabled, in_digest = excluded.in_digest"
            ),
            params,
        )


def chosen_preferences(conn: sa.Connection) -> dict[tuple[str, str], Preference]:
    """Every recorded choice by (user, event): what the run of notifications reads once."""
    rows = conn.execute(sa.text("SELECT user_id, event, enabled, in_digest FROM notify_preferences"))
    return {(r.user_id, r.event): Preference(r.event, bool(r.enabled), bool(r.in_digest)) for r in rows}


def preference_of(chosen: dict[tuple[str, str], Preference], user_id: str, event: str) -> Preference:
    """One person's preference for one event from `chosen_preferences`, the default where none."""
    return chosen.get((user_id, event), DEFAULTS[event])
