"""Who is invited to which survey, when, and why not: the triggers of `[surveys.triggers]`, manual sends,
reminders, and the contact-frequency rules, with every decision kept as a `survey_invitations` row.

A run first decides, trigger by trigger, in one SQL statement each (a month of 10,000 customers is a few
seconds): an `interaction` trigger looks at the interactions at its touchpoints that happened between
`after_hours + within_hours` and `after_hours` ago (one decision per interaction: its `trigger_id`); a
`schedule` trigger, every `every_days`, draws a seeded random `sample` of the customers with a contact (a
wave: `trigger_id` is `<trigger>@<time>`, and the draw is the same whoever repeats it); a `staff` trigger asks
every staff contact with its roles once per published version. The first trigger in cxgap.toml wins where
one person would be invited twice. A candidate is `skipped` with a why_not (opted out, no e-mail address,
invited within `min_days_between` days, across all surveys) or `pending`.

Then, outside quiet hours, the reminders due go out, and pending rows oldest first, up to the daily cap
(invitations and reminders, per calendar day in `[surveys] timezone`; reminders first, as an invitation
already out is worth finishing, and they are a bounded share of the invitations). Pending rows over the cap
are skipped, "daily cap of N reached", never kept for a later day, so a transactional invitation never
arrives days late; a reminder over the cap stays due for the next run. In quiet hours
nothing is sent: decisions wait as `pending` for the next run outside them (and are skipped after
`STALE_HOURS`). A row is marked sent before its e-mail goes out, so a crash loses an e-mail rather than
sending one twice; a refused send marks it `failed` with the server's reason. Reminders go to invitations
e-mailed by cxgap, unanswered after `reminder_after_days`, with fewer than `max_reminders` reminders and a
working link, at most one a day, and not once a newer invitation reached the same person.

One run at a time per store: a lock in this process on DuckDB, an advisory lock on PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.config import Settings, SurveyTrigger
from cxgap.errors import CxgapError
from cxgap.notify.send import Mailer
from cxgap.store import Store
from cxgap.surveys.contacts import opted_out_sql
from cxgap.surveys.links import Published, published
from cxgap.surveys.mail import Sender
from cxgap.surveys.sending import (
    NO_ADDRESS,
    OPTED_OUT,
    InvitationRun,
    Writing,
    asked_lately,
    deliver,
    recent_why,
)

REASONS = ("transactional", "pulse", "beliefs", "manual")  # the reasons of the rows cxgap e-mails
NEW_ID = "substr(replace(CAST(gen_random_uuid() AS VARCHAR), '-', ''), 1, 20)"
ADVISORY_KEY = 0x63786761705F7376  # "cxgap_sv": PostgreSQL's lock of invitation runs
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def _exclusive(store: Store) -> Iterator[None]:
    """One invitation run at a time on this store."""
    if store.backend != "postgresql":
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(store.url, threading.Lock())
        with lock:
            yield
        return
    with store.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            conn.commit()


def _sender(settings: Settings, mailer: Sender | None) -> tuple[Sender, bool]:
    """The sender to use, and whether this run opened it (and so closes it)."""
    if mailer is not None:
        return mailer, False
    if settings.notify.smtp_url is None:
        raise CxgapError("No mail server is configured ([notify] smtp_url), so no invitation can be sent.")
    return Mailer(settings.notify), True


def decide(
    conn: Connection,
    settings: Settings,
    target: Published,
    candidates: str,
    params: dict[str, Any],
    now: dt.datetime,
) -> Counter[str | None]:
    """Write one decision row per candidate of the `candidates` SELECT (recipient_kind, recipient_id,
    reason, trigger_id, touchpoint, ordering): skipped with why, or pending; the count per why (None:
    pending)."""
    days = settings.surveys.min_days_between
    opted = opted_out_sql(conn.dialect.name, "cand.recipient_kind", "cand.recipient_id", "c.email")
    reasons = [f"WHEN {opted} THEN :opted_out", "WHEN c.email IS NULL THEN :no_address"]
    second = "FALSE"
    if days > 0:  # also once per person within this statement: the earliest candidate wins
        lately = asked_lately("cand.recipient_kind", "cand.recipient_id", "c.email", pending=True)
        reasons.append(f"WHEN {lately} THEN :recent")
        second = (
            "ROW_NUMBER() OVER (PARTITION BY j.why0 IS NULL, lower(j.email) "
            "ORDER BY j.ordering, j.trigger_id, j.recipient_id) > 1"
        )
    statement = f"""
        INSERT INTO survey_invitations (invitation_id, survey, version, recipient_kind, recipient_id,
            reason, trigger_id, touchpoint, status, why_not, created_at, reminders)
        SELECT {NEW_ID}, :survey, :version, d.recipient_kind, d.recipient_id, d.reason, d.trigger_id,
            d.touchpoint, CASE WHEN d.why IS NULL THEN 'pending' ELSE 'skipped' END, d.why, :now, 0
        FROM (
            SELECT j.*, CASE WHEN j.why0 IS NOT NULL THEN j.why0 WHEN {second} THEN :recent END AS why
            FROM (
                SELECT cand.*, c.email, CASE {" ".join(reasons)} END AS why0
                FROM ({candidates}) cand
                LEFT JOIN survey_contacts c
                    ON c.kind = cand.recipient_kind AND c.recipient_id = cand.recipient_id
                OFFSET 0
            ) j
        ) d
        RETURNING why_not"""
    values = params | {
        "survey": target.name,
        "version": target.version,
        "now": now,
        "since": now - dt.timedelta(days=days),
        "opted_out": OPTED_OUT,
        "no_address": NO_ADDRESS,
        "recent": recent_why(days),
    }
    return Counter(row[0] for row in conn.execute(sa.text(statement), values))


def _interaction(trigger: SurveyTrigger, now: dt.datetime) -> tuple[str, dict[str, Any]]:
    """Candidates of an interaction trigger: each interaction in its window not yet decided for the survey."""
    touchpoints = "AND i.touchpoint IN (SELECT unnest(CAST(:touchpoints AS VARCHAR[])))"
    hi = now - dt.timedelta(hours=trigger.after_hours)
    sql = f"""
        SELECT 'customer' AS recipient_kind, i.customer_id AS recipient_id, 'transactional' AS reason,
            i.interaction_id AS trigger_id, i.touchpoint AS touchpoint, i.occurred_at AS ordering
        FROM interactions i
        WHERE i.occurred_at > :lo AND i.occurred_at <= :hi AND i.customer_id IS NOT NULL
            {touchpoints if trigger.touchpoints else ""}
            AND i.interaction_id NOT IN (SELECT v.trigger_id FROM survey_invitations v
                WHERE v.survey = :survey AND v.reason = 'transactional' AND v.trigger_id IS NOT NULL)"""
    lo = hi - dt.timedelta(hours=trigger.within_hours)
    return sql, {"lo": lo, "hi": hi, "touchpoints": trigger.touchpoints}


def _wave(conn: Connection, name: str, trigger: SurveyTrigger, now: dt.datetime) -> str | None:
    """The id of a schedule trigger's wave due now, or None when its last wave is recent."""
    last = conn.execute(
        sa.text(
            "SELECT max(created_at) FROM survey_invitations WHERE survey = :s AND reason = 'pulse' "
            "AND substr(trigger_id, 1, :n) = :wave"
        ),
        {"s": trigger.survey, "wave": name + "@", "n": len(name) + 1},
    ).scalar()
    if last is not None and last > now - dt.timedelta(days=trigger.every_days):
        return None
    return f"{name}@{now:%Y-%m-%dT%H:%M}"


def _schedule(conn: Connection, wave: str, trigger: SurveyTrigger) -> tuple[str, dict[str, Any]]:
    """Candidates of a pulse wave: a seeded share of the customers with a contact (not those churned)."""
    threshold = f"{min(int(trigger.sample * 16**8), 16**8 - 1):08x}"
    collate = ' COLLATE "C"' if conn.dialect.name == "postgresql" else ""
    sql = f"""
        SELECT 'customer' AS recipient_kind, c.recipient_id AS recipient_id, 'pulse' AS reason,
            :wave AS trigger_id, CAST(NULL AS VARCHAR) AS touchpoint, c.recipient_id AS ordering
        FROM survey_contacts c
        WHERE c.kind = 'customer'
            AND c.recipient_id NOT IN (SELECT k.customer_id FROM customers k WHERE k.churned)
            AND substr(md5(:wave || ':' || c.recipient_id), 1, 8){collate} < :threshold"""
    return sql, {"wave": wave, "threshold": threshold if trigger.sample < 1 else "g"}


def _staff(name: str, trigger: SurveyTrigger) -> tuple[str, dict[str, Any]]:
    """Candidates of a staff trigger: staff contacts with its roles not yet asked this version (those
    skipped for a reason that passes, such as the daily cap, are asked again)."""
    roles = "AND c.role IN (SELECT unnest(CAST(:roles AS VARCHAR[])))"
    sql = f"""
        SELECT 'staff' AS recipient_kind, c.recipient_id AS recipient_id, 'beliefs' AS reason,
            :name AS trigger_id, CAST(NULL AS VARCHAR) AS touchpoint, c.recipient_id AS ordering
        FROM survey_contacts c
        WHERE c.kind = 'staff' {roles if trigger.roles else ""}
            AND c.recipient_id NOT IN (SELECT v.recipient_id FROM survey_invitations v
                WHERE v.survey = :survey AND v.version = :version AND v.recipient_kind = 'staff'
                AND v.recipient_id IS NOT NULL AND (v.status <> 'skipped' OR v.why_not = :opted_out))"""
    return sql, {"name": name, "roles": trigger.roles}


def _trigger(
    conn: Connection, settings: Settings, name: str, trigger: SurveyTrigger, now: dt.datetime
) -> tuple[Counter[str | None], str | None]:
    """Decide one trigger's candidates; the counts, or a note on why it could not run."""
    try:
        target = published(conn, trigger.survey)
    except CxgapError as error:
        return Counter(), f"Trigger {name}: {error}"
    wanted = "staff" if trigger.when == "staff" else "customers"
    if target.audience != wanted:
        return (
            Counter(),
            f"Trigger {name} ({trigger.when}) asks {wanted}, but {target.name} asks {target.audience}.",
        )
    if trigger.when == "interaction":
        sql, params = _interaction(trigger, now)
    elif trigger.when == "staff":
        sql, params = _staff(name, trigger)
    else:
        wave = _wave(conn, name, trigger, now)
        if wave is None:
            return Counter(), None
        sql, params = _schedule(conn, wave, trigger)
    return decide(conn, settings, target, sql, params, now), None


def run_invitations(
    store: Store,
    settings: Settings,
    now: dt.datetime,
    survey: str | None = None,
    mailer: Sender | None = None,
    *,
    writing: Writing | None = None,
) -> InvitationRun:
    """Decide every trigger due at `now` (only `survey`'s, when named), then send what is pending and the
    reminders due, within the rules; `mailer`: a sender to use (default: `[notify] smtp_url`'s);
    `writing`: the server's writer lock, held only while writing, never while e-mailing."""
    sender, own = _sender(settings, mailer)
    lock = writing or contextlib.nullcontext
    decided: Counter[str | None] = Counter()
    notes: list[str] = []
    try:
        with _exclusive(store):
            for name, trigger in settings.surveys.triggers.items():
                if survey is not None and trigger.survey != survey:
                    continue
                with lock(), store.begin() as conn:
                    counts, note = _trigger(conn, settings, name, trigger, now)
                decided += counts
                notes += [note] if note else []
            return deliver(store, settings, now, sender, decided, notes, survey, lock)
    finally:
        if own:
            sender.close()


def invite(
    store: Store,
    settings: Settings,
    survey: str,
    recipients: list[str] | None,
    now: dt.datetime,
    reason: str = "manual",
    mailer: Sender | None = None,
    *,
    writing: Writing | None = None,
) -> InvitationRun:
    """Invite these customers (or staff, for a staff survey) by id, or every contact of the survey's
    audience when `recipients` is None, under the same rules as the triggers, and send at once (outside
    quiet hours)."""
    if reason not in REASONS:
        raise CxgapError(f"An invitation's reason is one of {', '.join(REASONS)}, not '{reason[:20]}'.")
    if recipients is not None and not recipients:
        raise CxgapError(f"Name at least one recipient to invite to {survey}, or invite every contact.")
    with store.engine.connect() as conn:
        target = published(conn, survey)
    kind = "staff" if target.audience == "staff" else "customer"
    chosen = "FROM survey_contacts r WHERE r.kind = :kind"
    if recipients is not None:
        chosen = "FROM (SELECT DISTINCT unnest(CAST(:ids AS VARCHAR[])) AS recipient_id) r"
    sql = f"""
        SELECT CAST(:kind AS VARCHAR) AS recipient_kind, r.recipient_id AS recipient_id,
            CAST(:reason AS VARCHAR) AS reason, CAST(:batch AS VARCHAR) AS trigger_id,
            CAST(NULL AS VARCHAR) AS touchpoint, r.recipient_id AS ordering {chosen}"""
    params = {
        "kind": kind,
        "ids": recipients or [],
        "reason": reason,
        "batch": f"invite@{now:%Y-%m-%dT%H:%M:%S}",
    }
    sender, own = _sender(settings, mailer)
    lock = writing or contextlib.nullcontext
    try:
        with _exclusive(store):
            with lock(), store.begin() as conn:
                decided = decide(conn, settings, published(conn, survey), sql, params, now)
            return deliver(store, settings, now, sender, decided, [], survey, lock)
    finally:
        if own:
            sender.close()
