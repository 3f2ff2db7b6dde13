"""Sending what the invitation run decided: pending invitations (oldest first, up to the daily cap) and the
reminders due, outside quiet hours, with the rules checked once more at the moment of sending (someone may
have opted out, or been invited by hand, since the decision). See `cxgap.surveys.invitations` for the rules.

Claims are short write transactions; e-mail goes out between them, never inside one."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import zoneinfo
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.config import Settings
from cxgap.store import Store
from cxgap.surveys.catalog import definition_of
from cxgap.surveys.contacts import opted_out_sql
from cxgap.surveys.definition import SurveyDefinition
from cxgap.surveys.mail import Outgoing, Sender, send_all
from cxgap.surveys.tokens import survey_secret

Writing = Callable[[], AbstractContextManager[None]]
OPTED_OUT = "opted out"
NO_ADDRESS = "no e-mail address"
STALE_HOURS = 24
STALE = f"not sent within {STALE_HOURS} hours (quiet hours, or no run since)"
NOT_PUBLISHED = "the survey is no longer published"
EMAILED = (  # the rows cxgap e-mailed itself (not a link made by hand, nor the widget's or a public link's)
    "v.recipient_kind IN ('customer', 'staff') AND v.trigger_id IS NOT NULL "
    "AND v.reason IN ('transactional', 'pulse', 'beliefs', 'manual')"
)
ANSWERABLE = "('sent', 'opened', 'partial')"


def recent_why(days: int) -> str:
    """The why_not of someone invited too lately."""
    return f"invited within the last {days} days"


def cap_why(cap: int) -> str:
    """The why_not of an invitation over the day's cap."""
    return f"daily cap of {cap} reached"


@dataclass(frozen=True)
class InvitationRun:
    """What one run did: decisions made, e-mails sent (invitations and reminders), sends refused,
    invitations still waiting (quiet hours), skips by why_not, and notes on triggers that could not run."""

    at: dt.datetime
    quiet: bool
    decided: int = 0
    sent: int = 0
    reminded: int = 0
    failed: int = 0
    pending: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def sentence(self) -> str:
        """The run in words."""
        skips = sum(self.skipped.values())
        said = (
            f"Invitations at {self.at:%Y-%m-%d %H:%M} UTC: {self.decided} decided, {self.sent} sent, "
            f"{self.reminded} reminders, {skips} skipped"
        )
        if skips:
            said += " (" + ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) + ")"
        said += f", {self.failed} refused by the mail server."
        if self.pending:
            later = "after the quiet hours" if self.quiet else "for the next run"
            said += f" {self.pending} wait {later}."
        return " ".join([said, *self.notes])

    def to_frame(self) -> pd.DataFrame:
        """One row per outcome (sent, reminded, failed, pending, skipped) and why, with its count."""
        rows: list[tuple[str, str | None, int]] = [
            ("sent", None, self.sent),
            ("reminded", None, self.reminded),
            ("failed", None, self.failed),
            ("pending", None, self.pending),
        ]
        rows += [("skipped", why, n) for why, n in sorted(self.skipped.items())]
        return pd.DataFrame(rows, columns=["outcome", "why", "count"])


def local_time(settings: Settings, now: dt.datetime) -> dt.datetime:
    """`now` (naive UTC) in `[surveys] timezone`."""
    return now.replace(tzinfo=dt.UTC).astimezone(zoneinfo.ZoneInfo(settings.surveys.timezone))


def is_quiet(settings: Settings, now: dt.datetime) -> bool:
    """Whether `now` falls in the quiet hours [start, end) of the configured time zone."""
    start, end = settings.surveys.quiet_hours
    hour = local_time(settings, now).hour
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def local_day(settings: Settings, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The calendar day of `now` in the configured time zone, as [start, end) in naive UTC."""
    zone, day = zoneinfo.ZoneInfo(settings.surveys.timezone), local_time(settings, now).date()

    def utc(date: dt.date) -> dt.datetime:
        return dt.datetime.combine(date, dt.time(), tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)

    return utc(day), utc(day + dt.timedelta(days=1))


def ids_in(column: str = "invitation_id") -> str:
    """An SQL condition: `column` is one of the list bound as :ids (one parameter, any length)."""
    return f"{column} IN (SELECT unnest(CAST(:ids AS VARCHAR[])))"


def person(kind: str, recipient: str) -> str:
    """SQL of a recipient's key, `customer:<id>` or `staff:<id>` (as opt-outs are kept)."""
    return f"{kind} || ':' || {recipient}"


def asked_lately(kind: str, recipient: str, address: str, pending: bool) -> str:
    """An SQL condition: this recipient, or anyone at this address, was sent an invitation since :since
    (or, with `pending`, has one waiting). Uncorrelated IN lookups, which both backends hash once."""
    when = "(x.status = 'pending' OR x.sent_at > :since)" if pending else "x.sent_at > :since"
    people = f"SELECT {person('x.recipient_kind', 'x.recipient_id')} FROM survey_invitations x WHERE {when}"
    addresses = (
        "SELECT lower(y.email) FROM survey_invitations x JOIN survey_contacts y "
        f"ON y.kind = x.recipient_kind AND y.recipient_id = x.recipient_id WHERE {when}"
    )
    return f"({person(kind, recipient)} IN ({people}) OR lower({address}) IN ({addresses}))"


def _recheck(conn: Connection, settings: Settings, now: dt.datetime, only: str | None) -> Counter[str]:
    """Skip the pending rows decided by an earlier run that may no longer go: waited too long, survey
    closed, opted out since, no address now, or invited by another way since; the count per why (the rows
    this run decided were checked a moment ago)."""
    row, days = "survey_invitations", settings.surveys.min_days_between
    scope = "" if only is None else "AND survey = :only"
    waiting = f"status = 'pending' AND created_at < :now {scope}"
    values = {
        "now": now,
        "stale": now - dt.timedelta(hours=STALE_HOURS),
        "since": now - dt.timedelta(days=days),
        "only": only,
    }
    if not conn.execute(sa.text(f"SELECT count(*) FROM survey_invitations WHERE {waiting}"), values).scalar():
        return Counter()
    address = (
        "(SELECT c.email FROM survey_contacts c "
        f"WHERE c.kind = {row}.recipient_kind AND c.recipient_id = {row}.recipient_id)"
    )
    checks = [
        (STALE, "created_at < :stale"),
        (NOT_PUBLISHED, "survey NOT IN (SELECT name FROM surveys WHERE status = 'published')"),
        (OPTED_OUT, opted_out_sql(conn.dialect.name, "recipient_kind", "recipient_id", address)),
        (NO_ADDRESS, f"{address} IS NULL"),
    ]
    if days > 0:
        checks.append((recent_why(days), asked_lately("recipient_kind", "recipient_id", address, False)))
    skipped: Counter[str] = Counter()
    for why, condition in checks:
        found = conn.execute(
            sa.text(
                "UPDATE survey_invitations SET status = 'skipped', why_not = :why "
                f"WHERE {waiting} AND ({condition}) RETURNING invitation_id"
            ),
            values | {"why": why},
        ).all()
        if found:
            skipped[why] += len(found)
    return skipped


def emails_on(conn: Connection, settings: Settings, now: dt.datetime) -> int:
    """E-mails cxgap sent on `now`'s calendar day (invitations and reminders; one reminder per invitation
    and day at most, so `reminded_at` counts them exactly)."""
    start, end = local_day(settings, now)
    sent = f"SELECT count(*) FROM survey_invitations v WHERE {EMAILED} AND v.sent_at >= :a AND v.sent_at < :b"
    reminded = sent.replace("v.sent_at", "v.reminded_at")
    query = sa.text(f"SELECT ({sent}) + ({reminded})")
    return int(conn.execute(query, {"a": start, "b": end}).scalar_one())


def _claim_pending(
    conn: Connection, settings: Settings, now: dt.datetime, only: str | None
) -> tuple[list[Outgoing], int]:
    """Mark the oldest pending rows sent, as many as the day's cap leaves room for, and skip the rest;
    the rows to e-mail and how many were over the cap."""
    scope = "" if only is None else "AND v.survey = :only"
    found = conn.execute(
        sa.text(
            "SELECT v.invitation_id, v.survey, v.version, c.email, c.language FROM survey_invitations v "
            "JOIN survey_contacts c ON c.kind = v.recipient_kind AND c.recipient_id = v.recipient_id "
            f"WHERE v.status = 'pending' {scope} ORDER BY v.created_at, v.invitation_id"
        ),
        {"only": only},
    ).all()
    room = max(settings.surveys.daily_cap - emails_on(conn, settings, now), 0)
    chosen, over = found[:room], [row.invitation_id for row in found[room:]]
    expires = now + dt.timedelta(days=settings.surveys.token_days)
    if over:
        conn.execute(
            sa.text(f"UPDATE survey_invitations SET status = 'skipped', why_not = :why WHERE {ids_in()}"),
            {"why": cap_why(settings.surveys.daily_cap), "ids": over},
        )
    claimed = {
        row[0]
        for row in conn.execute(
            sa.text(
                "UPDATE survey_invitations SET status = 'sent', sent_at = :now, expires_at = :expires "
                f"WHERE status = 'pending' AND {ids_in()} RETURNING invitation_id"
            ),
            {"now": now, "expires": expires, "ids": [row.invitation_id for row in chosen]},
        )
    }
    rows = [
        Outgoing(r.invitation_id, r.survey, int(r.version), r.email, r.language, expires)
        for r in chosen
        if r.invitation_id in claimed
    ]
    return rows, len(over)


def _claim_reminders(
    conn: Connection, settings: Settings, now: dt.datetime, only: str | None
) -> list[Outgoing]:
    """Count a reminder on each invitation due one, as many as the day's cap leaves room for (the rest
    stay due); the reminders to e-mail."""
    rules = settings.surveys
    room = max(rules.daily_cap - emails_on(conn, settings, now), 0)
    if rules.max_reminders == 0 or room == 0:
        return []
    opted = opted_out_sql(conn.dialect.name, "v.recipient_kind", "v.recipient_id", "c.email")
    scope = "" if only is None else "AND v.survey = :only"
    due = conn.execute(
        sa.text(
            "SELECT v.invitation_id, v.survey, v.version, c.email, c.language, v.expires_at "
            "FROM survey_invitations v "
            "JOIN survey_contacts c ON c.kind = v.recipient_kind AND c.recipient_id = v.recipient_id "
            "JOIN surveys s ON s.name = v.survey AND s.status = 'published' "
            f"WHERE {EMAILED} AND v.status IN {ANSWERABLE} AND v.answered_at IS NULL {scope} "
            "AND coalesce(v.reminders, 0) < :most AND v.expires_at > :now "
            "AND coalesce(v.reminded_at, v.sent_at) <= :due AND (v.reminded_at IS NULL OR v.reminded_at < :today) "
            f"AND NOT ({opted}) AND NOT EXISTS (SELECT 1 FROM survey_invitations x "
            "WHERE x.recipient_kind = v.recipient_kind AND x.recipient_id = v.recipient_id AND x.sent_at > v.sent_at) "
            "ORDER BY v.sent_at, v.invitation_id LIMIT :room"
        ),
        {
            "only": only,
            "most": rules.max_reminders,
            "now": now,
            "due": now - dt.timedelta(days=rules.reminder_after_days),
            "today": local_day(settings, now)[0],
            "room": room,
        },
    ).all()
    if due:
        conn.execute(
            sa.text(
                "UPDATE survey_invitations SET reminders = coalesce(reminders, 0) + 1, reminded_at = :now "
                f"WHERE {ids_in()}"
            ),
            {"now": now, "ids": [row.invitation_id for row in due]},
        )
    return [
        Outgoing(r.invitation_id, r.survey, int(r.version), r.email, r.language, r.expires_at, True)
        for r in due
    ]


def _send(store: Store, settings: Settings, sender: Sender, rows: list[Outgoing], lock: Writing) -> int:
    """E-mail the claimed rows and record each refusal (an invitation becomes `failed` and counts as no
    contact; a reminder keeps its count, so it is not tried again); how many were refused."""
    if not rows:
        return 0

    @functools.cache
    def definition(name: str, version: int) -> SurveyDefinition:
        return definition_of(store, name, version)[0]

    failed = send_all(sender, settings, survey_secret(store), rows, definition)
    reminders = {row.invitation_id for row in rows if row.reminder}
    if failed:
        with lock(), store.begin() as conn:
            conn.execute(
                sa.text(
                    "UPDATE survey_invitations SET last_error = :error, "
                    "status = CASE WHEN :reminder THEN status ELSE 'failed' END, "
                    "sent_at = CASE WHEN :reminder THEN sent_at ELSE NULL END "
                    "WHERE invitation_id = :id"
                ),
                [{"id": key, "error": why, "reminder": key in reminders} for key, why in failed.items()],
            )
    return len(failed)


def deliver(
    store: Store,
    settings: Settings,
    now: dt.datetime,
    sender: Sender,
    decided: Counter[str | None],
    notes: list[str],
    only: str | None = None,
    lock: Writing = contextlib.nullcontext,
) -> InvitationRun:
    """Unless it is quiet hours, send the reminders due, then what is pending (only `only`'s survey, when
    named), within the day's cap; the whole run's outcome, with the decisions made before (`decided`) and
    `notes`."""
    quiet = is_quiet(settings, now)
    skipped: Counter[str] = Counter({why: n for why, n in decided.items() if why is not None})
    invitations: list[Outgoing] = []
    reminders: list[Outgoing] = []
    with lock(), store.begin() as conn:
        skipped += _recheck(conn, settings, now, only)
        if not quiet:  # an invitation already out is worth finishing: its reminder goes first
            reminders = _claim_reminders(conn, settings, now, only)
    refused_reminders = _send(store, settings, sender, reminders, lock)
    if not quiet:
        with lock(), store.begin() as conn:
            invitations, over = _claim_pending(conn, settings, now, only)
            skipped[cap_why(settings.surveys.daily_cap)] += over
    refused = _send(store, settings, sender, invitations, lock)
    scope = "" if only is None else "AND survey = :only"
    with store.engine.connect() as conn:
        pending = conn.execute(
            sa.text(f"SELECT count(*) FROM survey_invitations WHERE status = 'pending' {scope}"),
            {"only": only},
        ).scalar_one()
    return InvitationRun(
        at=now,
        quiet=quiet,
        decided=sum(decided.values()),
        sent=len(invitations) - refused,
        reminded=len(reminders) - refused_reminders,
        failed=refused + refused_reminders,
        pending=int(pending),
        skipped={why: n for why, n in skipped.items() if n},
        notes=tuple(notes),
    )
