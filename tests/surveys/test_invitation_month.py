"""A simulated month of invitations for 10,000 customers against a real local SMTP server: two transactional
triggers (support, installation), a relational pulse every 14 days, the staff belief survey, 30 daily runs
at varying hours (some in quiet hours, Europe/Berlin), customers opting out mid-month (by the link, and by
an address that comes back under a new id) and some answering. What the SMTP server received is held
against the rules, not only the table: nobody invited twice within `min_days_between`, no day over the cap,
nobody e-mailed after opting out, nothing sent in quiet hours, reminders only to the unanswered, every
e-mail a `sent` row and every `sent` row an e-mail, every skip with its why."""

from __future__ import annotations

import datetime as dt
import email
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email.policy import compat32
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from cxgap.config import Settings, SurveyTrigger
from cxgap.store import Store
from cxgap.surveys.contacts import opt_out
from cxgap.surveys.invitations import run_invitations
from cxgap.surveys.sending import is_quiet, local_time
from cxgap.surveys.tokens import read_token, survey_secret
from tests.smtp_server import Inbox, smtp_server
from tests.surveys.inviting import (
    add_contacts,
    add_customers,
    add_interactions,
    address,
    invitations,
    publish_surveys,
    settings_for,
)

CUSTOMERS = 10_000
START = dt.datetime(2026, 6, 1)  # June: Berlin is UTC+2, its quiet hours 21-8 are 19-6 UTC
HOURS = [9, 14, 20, 7, 11, 3, 16, 8, 12, 23, 10, 15]  # UTC run hours, day by day in turn: 20, 3, 23 are quiet
TRIGGERS = {
    "support-after-contact": SurveyTrigger(
        survey="support-csat", when="interaction", touchpoints=["support"], after_hours=24, within_hours=48
    ),
    "installation-done": SurveyTrigger(
        survey="install-ces",
        when="interaction",
        touchpoints=["installation"],
        after_hours=48,
        within_hours=72,
    ),
    "pulse": SurveyTrigger(survey="pulse", when="schedule", every_days=14, sample=0.05),
    "leaders": SurveyTrigger(survey="beliefs", when="staff", roles=["leader", "manager"]),
}
RULES = {
    "min_days_between": 14,
    "daily_cap": 150,
    "quiet_hours": (21, 8),
    "timezone": "Europe/Berlin",
    "token_days": 10,
    "reminder_after_days": 3,
    "max_reminders": 1,
}
LINK = re.compile(r"/s/([A-Za-z0-9_-]+)\s")


@dataclass
class Received:
    """One e-mail the SMTP server received: to whom, the invitation it links to, whether a reminder, and
    the run (its clock) that sent it."""

    to: str
    invitation: str
    reminder: bool
    at: dt.datetime


@dataclass
class Month:
    """The simulation's record: what arrived, who opted out when (by address), what was answered when."""

    received: list[Received] = field(default_factory=list)
    opted_out: dict[str, dt.datetime] = field(default_factory=dict)
    answered: dict[str, dt.datetime] = field(default_factory=dict)
    runs: list[tuple[dt.datetime, int]] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)


def seed(store: Store, settings: Settings) -> None:
    """10,000 customers (300 churned), contacts for 9,500 of them, 40 staff, and 20,000 interactions over
    the month at four touchpoints."""
    rng = np.random.default_rng(19)
    ids = [f"c{i:05d}" for i in range(CUSTOMERS)]
    add_customers(store, ids, churned=set(ids[-300:]))
    add_contacts(store, "customer", ids[:9_500])
    staff = [f"s{i:02d}" for i in range(40)]
    add_contacts(store, "staff", staff, roles=["leader", "manager", "frontline", "other"] * 10)
    publish_surveys(store, settings, "support-csat", "install-ces", "pulse", "beliefs")
    who = rng.integers(0, CUSTOMERS, 20_000)
    minutes = rng.integers(0, 31 * 24 * 60, 20_000)
    where = rng.choice(["support", "installation", "billing", "app"], 20_000, p=[0.4, 0.15, 0.3, 0.15])
    add_interactions(
        store,
        [
            (f"i{n:05d}", ids[w], START - dt.timedelta(days=2) + dt.timedelta(minutes=int(m)), str(t))
            for n, (w, m, t) in enumerate(zip(who, minutes, where, strict=True))
        ],
    )


def read(envelope: tuple[tuple[str, ...], bytes], secret: bytes, at: dt.datetime) -> Received:
    """One received e-mail (parsed with the quick legacy policy: 10,000 of them are read here)."""
    (to,), content = envelope
    message = email.message_from_bytes(content, policy=compat32)
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    token = LINK.search(body.decode("utf-8"))
    assert token is not None and message["To"] == to, body
    reminder = str(message["Subject"]).startswith("Reminder:")
    return Received(to, read_token(secret, token.group(1)), reminder, at)


def answer_some(store: Store, month: Month, now: dt.datetime, rng: np.random.Generator) -> None:
    """A third of the invitations sent and not yet answered get answered an hour after the run."""
    open_ones = [r["invitation_id"] for r in invitations(store, "status = 'sent'")]
    chosen = [key for key in open_ones if rng.random() < 1 / 3]
    at = now + dt.timedelta(hours=1)
    with store.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE survey_invitations SET status = 'answered', answered_at = :at "
                "WHERE invitation_id IN (SELECT unnest(CAST(:ids AS VARCHAR[])))"
            ),
            {"at": at, "ids": chosen},
        )
    month.answered |= dict.fromkeys(chosen, at)


def opt_outs(store: Store, month: Month, day: int, now: dt.datetime) -> None:
    """Day 10: 100 customers e-mailed so far opt out through their link; day 15: 30 more by address, and
    20 of the first 100 come back in a new contact list under new ids with the same address."""
    at = now + dt.timedelta(minutes=30)
    if day == 10:
        reached = sorted({r.to for r in month.received if r.to.startswith("c")})[:100]
        for to in reached:
            opt_out(store, "customer", to.split("@")[0], to, "link", at)
            month.opted_out[to] = at
    if day == 15:
        quiet_ones = [address(f"c{i:05d}") for i in range(9_000, 9_030)]
        for to in quiet_ones:
            opt_out(store, "customer", None, to.upper(), "admin", at)
            month.opted_out[to] = at
        again = sorted(month.opted_out)[:20]
        with store.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO survey_contacts (kind, recipient_id, email, language, added_at) "
                    "SELECT 'customer', 'new-' || recipient_id, email, language, :at FROM survey_contacts "
                    "WHERE kind = 'customer' AND email IN (SELECT unnest(CAST(:to AS VARCHAR[])))"
                ),
                {"at": at, "to": again},
            )


def simulate(store: Store, settings: Settings, inbox: Inbox) -> Month:
    """30 daily runs, with opt-outs and answers between them; what arrived from each run."""
    month, rng, secret = Month(), np.random.default_rng(7), survey_secret(store)
    statements = [0]

    def count(*_: Any) -> None:
        statements[0] += 1

    for day in range(30):
        now = START + dt.timedelta(days=day, hours=HOURS[day % len(HOURS)], minutes=day)
        before, statements[0] = len(inbox.raw), 0
        sa.event.listen(store.engine, "before_cursor_execute", count)
        try:
            run = run_invitations(store, settings, now)
        finally:
            sa.event.remove(store.engine, "before_cursor_execute", count)
        month.statements.append(statements[0])
        arrived = inbox.raw[before:]
        assert len(arrived) == run.sent + run.reminded, run.sentence()
        month.received += [read(m, secret, now) for m in arrived]
        month.runs.append((now, len(arrived)))
        answer_some(store, month, now, rng)
        opt_outs(store, month, day, now)
    return month


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def month(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path_factory.mktemp('month') / 'month.duckdb'}"
    else:
        from tests.conftest import _reset_pg

        url = str(request.getfixturevalue("pg_database"))
        _reset_pg(url)
    with smtp_server() as (inbox, port), Store(url) as store:
        settings = settings_for(url, port, TRIGGERS, **RULES)
        seed(store, settings)
        yield store, settings, simulate(store, settings, inbox), None


def test_each_run_is_a_few_statements_whatever_the_number_of_customers(month: Any) -> None:
    """Set-based: a run over 10,000 customers is a bounded number of SQL statements, none per customer
    (the month takes about 10 s on one free core; --durations shows the fixture's time)."""
    _, _, simulated, _ = month
    assert len(simulated.received) > 3_000  # the month is busy: the rules below are tested under load
    assert max(simulated.statements) <= 40, simulated.statements


def test_nobody_is_invited_twice_within_min_days_between(month: Any) -> None:
    _, settings, simulated, _ = month
    by_person: dict[str, list[dt.datetime]] = defaultdict(list)
    for r in simulated.received:
        if not r.reminder:
            by_person[r.to].append(r.at)
    window = dt.timedelta(days=settings.surveys.min_days_between)
    for to, times in by_person.items():
        gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
        assert all(gap >= window for gap in gaps), (to, times)
    assert any(len(times) > 1 for times in by_person.values())  # some were asked again after the window


def test_no_day_exceeds_the_daily_cap(month: Any) -> None:
    store, settings, simulated, _ = month
    per_day = Counter(local_time(settings, r.at).date() for r in simulated.received)
    assert max(per_day.values()) <= settings.surveys.daily_cap
    assert max(per_day.values()) == settings.surveys.daily_cap  # the cap did bind
    capped = invitations(store, "why_not = :w", w=f"daily cap of {settings.surveys.daily_cap} reached")
    assert capped


def test_nobody_opted_out_is_emailed_after_opting_out(month: Any) -> None:
    store, _, simulated, _ = month
    late = [r for r in simulated.received if r.to in simulated.opted_out and r.at > simulated.opted_out[r.to]]
    assert late == []
    assert invitations(store, "why_not = 'opted out'")  # they were due again, and skipped
    returned = invitations(store, "recipient_id LIKE 'new-%' AND status <> 'skipped'")
    assert returned == []  # the address came back under a new id: still never asked


def test_nothing_is_sent_in_quiet_hours(month: Any) -> None:
    _, settings, simulated, _ = month
    quiet_runs = [(at, n) for at, n in simulated.runs if is_quiet(settings, at)]
    assert len(quiet_runs) >= 5
    assert all(n == 0 for _, n in quiet_runs)
    assert all(not is_quiet(settings, r.at) for r in simulated.received)


def test_reminders_go_only_to_the_unanswered(month: Any) -> None:
    store, _, simulated, _ = month
    reminders = [r for r in simulated.received if r.reminder]
    assert len(reminders) > 100
    for r in reminders:
        answered = simulated.answered.get(r.invitation)
        assert answered is None or answered > r.at, r
    per_invitation = Counter(r.invitation for r in reminders)
    assert max(per_invitation.values()) == 1  # max_reminders = 1


def test_every_email_is_a_sent_row_and_every_sent_row_an_email(month: Any) -> None:
    store, _, simulated, _ = month
    sent_rows = invitations(store, "sent_at IS NOT NULL")
    invited = Counter(r.invitation for r in simulated.received if not r.reminder)
    assert max(invited.values()) == 1
    assert set(invited) == {row["invitation_id"] for row in sent_rows}
    reminded = Counter(r.invitation for r in simulated.received if r.reminder)
    assert reminded == Counter(
        {row["invitation_id"]: row["reminders"] for row in sent_rows if row["reminders"]}
    )
    contacts = {row["invitation_id"]: row for row in sent_rows}
    for r in simulated.received:
        assert r.to == address(contacts[r.invitation]["recipient_id"])


def test_every_decision_is_a_row_with_its_why(month: Any) -> None:
    store, settings, _, _ = month
    rows = invitations(store)
    statuses = Counter(row["status"] for row in rows)
    assert set(statuses) <= {"sent", "answered", "skipped", "pending"}
    assert all(row["why_not"] for row in rows if row["status"] == "skipped")
    assert all(row["why_not"] is None for row in rows if row["status"] != "skipped")
    whys = Counter(row["why_not"] for row in rows if row["status"] == "skipped")
    assert {"opted out", "no e-mail address", "invited within the last 14 days"} <= set(whys)
    with store.engine.connect() as conn:
        once = conn.execute(
            sa.text(
                "SELECT count(*) FROM (SELECT trigger_id FROM survey_invitations WHERE reason = 'transactional' "
                "GROUP BY survey, trigger_id HAVING count(*) > 1) t"
            )
        ).scalar_one()
    assert once == 0  # one decision per interaction
    leaders = invitations(store, "survey = 'beliefs' AND status <> 'skipped'")
    assert len(leaders) == 20  # the leaders and managers of the 40 staff, once for the version
