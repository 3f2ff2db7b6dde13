"""Invitations rule by rule, against a real local SMTP server: the interaction trigger's window, once per
interaction; nobody asked twice within `min_days_between` across surveys (by id and by address); the daily
cap per local day, reminders included; quiet hours; opt-outs honoured at decision and at sending;
reminders; the pulse's seeded sample; the staff list once per version; refused sends; only published
surveys; manual invitations; two runs at once; the server's scheduler. Both backends where the SQL differs
(the month test runs the pulse and staff triggers on PostgreSQL too)."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from cxgap.cases.clock import system_now
from cxgap.config import SurveyTrigger
from cxgap.errors import CxgapError, NotFound
from cxgap.notify.scheduler import Scheduler, invitations_wanted
from cxgap.store import Store
from cxgap.surveys.catalog import close, definition_of, publish, save_version
from cxgap.surveys.contacts import opt_out
from cxgap.surveys.definition import SurveyDefinition
from cxgap.surveys.invitations import invite, run_invitations
from cxgap.surveys.links import SurveyClosed
from cxgap.surveys.mail import compose
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

NOW = dt.datetime(2026, 6, 10, 10)  # noon in Berlin (summer time)
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)
SUPPORT = SurveyTrigger(
    survey="support-csat", when="interaction", touchpoints=["support"], after_hours=24, within_hours=48
)
PULSE = SurveyTrigger(survey="pulse", when="schedule", every_days=30, sample=0.25)
LEADERS = SurveyTrigger(survey="beliefs", when="staff", roles=["leader", "manager"])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


def customers(store: Store, *ids: str, contacts: bool = True) -> None:
    """Customers with these ids, each with a contact unless `contacts` is false."""
    add_customers(store, list(ids))
    if contacts:
        add_contacts(store, "customer", list(ids))


def support(store: Store, *rows: tuple[str, str, dt.datetime]) -> None:
    """Support interactions (id, customer, when)."""
    add_interactions(store, [(key, who, at, "support") for key, who, at in rows])


def recipients(inbox: Inbox, since: int = 0) -> list[str]:
    return sorted(str(m["To"]) for m in inbox.messages[since:])


def test_an_interaction_invites_its_customer_once_inside_its_window(
    store: Store, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(store.url, port, {"support": SUPPORT})
    publish_surveys(store, settings, "support-csat")
    customers(store, "c1", "c2", "c3", "c4")
    customers(store, "c5", contacts=False)
    support(
        store, ("i1", "c1", NOW - 30 * HOUR), ("i2", "c2", NOW - 10 * HOUR), ("i3", "c3", NOW - 80 * HOUR)
    )
    support(store, ("i5", "c5", NOW - 30 * HOUR))
    add_interactions(store, [("i4", "c4", NOW - 30 * HOUR, "billing")])
    run = run_invitations(store, settings, NOW)
    assert (run.sent, run.skipped) == (1, {"no e-mail address": 1})
    assert recipients(inbox) == [address("c1")]
    decided = {row["trigger_id"]: row for row in invitations(store)}
    assert set(decided) == {"i1", "i5"}  # too recent, too old and another touchpoint: no decision yet
    assert decided["i1"]["status"] == "sent" and decided["i1"]["touchpoint"] == "support"
    assert decided["i1"]["expires_at"] == NOW + dt.timedelta(days=settings.surveys.token_days)
    message = inbox.messages[0]
    assert message["Subject"] == "Acme: How was your support experience?"
    body = message.get_content()
    token = body.split("/s/")[1].split()[0]
    assert read_token(survey_secret(store), token) == decided["i1"]["invitation_id"]
    assert f"https://cx.example.com/s/{token}/opt-out" in body and body.rstrip().endswith("Acme")
    assert run_invitations(store, settings, NOW + HOUR).decided == 0  # once per interaction
    later = run_invitations(store, settings, NOW + 15 * HOUR)  # i2 is 25 hours old now
    assert later.sent == 1 and recipients(inbox, 1) == [address("c2")]


def test_nobody_is_asked_twice_within_min_days_between_across_surveys(
    store: Store, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(
        store.url, port, {"support": SUPPORT, "pulse": PULSE.model_copy(update={"sample": 1.0})}
    )
    publish_surveys(store, settings, "support-csat", "pulse")
    customers(store, "c1", "c2", "c3")
    add_customers(store, ["c1-twin"])
    with store.begin() as conn:  # another id at c1's address
        conn.execute(
            sa.text(
                "INSERT INTO survey_contacts (kind, recipient_id, email, added_at) VALUES ('customer', 'c1-twin', :e, :at)"
            ),
            {"e": address("c1").upper(), "at": NOW},
        )
    support(
        store, ("i1", "c1", NOW - 30 * HOUR), ("i2", "c2", NOW - 30 * HOUR), ("i2b", "c2", NOW - 29 * HOUR)
    )
    run = run_invitations(store, settings, NOW)
    # the support trigger comes first; the pulse asks only c3; c2's second interaction waits its turn
    assert recipients(inbox) == [address("c1"), address("c2"), address("c3")]
    assert run.skipped == {"invited within the last 30 days": 4}  # i2b, and the pulse's c1, c1-twin, c2
    support(store, ("i3", "c1", NOW + 27 * DAY), ("i4", "c1", NOW + 30 * DAY))
    assert run_invitations(store, settings, NOW + 28 * DAY).skipped == {"invited within the last 30 days": 1}
    assert run_invitations(store, settings, NOW + 31 * DAY + 2 * HOUR).sent >= 1
    assert recipients(inbox, 3).count(address("c1")) == 1


def test_the_daily_cap_counts_invitations_and_reminders_per_local_day(
    store: Store, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(store.url, port, {"support": SUPPORT}, daily_cap=3, timezone="Europe/Berlin")
    publish_surveys(store, settings, "support-csat")
    ids = [f"c{i}" for i in range(12)]
    customers(store, *ids)
    support(store, *[(f"i{i}", ids[i], NOW - 30 * HOUR + i * dt.timedelta(minutes=1)) for i in range(5)])
    run = run_invitations(store, settings, NOW)
    assert (run.sent, run.skipped) == (3, {"daily cap of 3 reached": 2})
    assert set(recipients(inbox)) < {address(i) for i in ids[:5]}  # those decided together: in random order
    support(store, ("i5", ids[5], NOW - 28 * HOUR))
    assert run_invitations(store, settings, NOW + 9 * HOUR).skipped == {"daily cap of 3 reached": 1}
    support(store, ("i6", ids[6], NOW - 27 * HOUR))  # 22:30 UTC is 00:30 in Berlin: a new day there
    assert run_invitations(store, settings, NOW + 12 * HOUR + 30 * dt.timedelta(minutes=1)).sent == 1
    support(store, *[(f"i{i}", ids[i], NOW + 2 * DAY) for i in range(7, 10)])
    reminded = run_invitations(store, settings, NOW + 3 * DAY + HOUR)  # three reminders fill the day
    assert (reminded.reminded, reminded.sent) == (3, 0)
    assert reminded.skipped == {"daily cap of 3 reached": 3}


def test_quiet_hours_hold_invitations_until_the_next_run_outside_them(
    store: Store, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(
        store.url, port, {"support": SUPPORT}, quiet_hours=(21, 8), timezone="Europe/Berlin"
    )
    publish_surveys(store, settings, "support-csat")
    customers(store, "c1", "c2", "c3")
    late = dt.datetime(2026, 6, 10, 20)  # 22:00 in Berlin
    support(store, ("i1", "c1", late - 30 * HOUR), ("i2", "c2", late - 30 * HOUR))
    run = run_invitations(store, settings, late)
    assert run.quiet and (run.sent, run.pending) == (0, 2) and inbox.messages == []
    assert "2 wait after the quiet hours" in run.sentence()
    assert run_invitations(store, settings, late + 9 * HOUR).sent == 0  # 07:00 in Berlin: still quiet
    morning = run_invitations(store, settings, late + 10 * HOUR + 30 * dt.timedelta(minutes=1))
    assert (morning.quiet, morning.sent, morning.pending) == (False, 2, 0)
    support(store, ("i3", "c3", late + 20 * HOUR))
    run_invitations(store, settings, late + 2 * DAY)  # decided at 22:00, and no run outside quiet hours
    stale = run_invitations(store, settings, late + 3 * DAY + HOUR)  # a whole day later: too late now
    assert stale.skipped == {"not sent within 24 hours (quiet hours, or no run since)": 1}
    assert len(inbox.messages) == 2


def test_opted_out_people_are_never_contacted(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = settings_for(store.url, port, {"support": SUPPORT}, quiet_hours=(21, 8))
    publish_surveys(store, settings, "support-csat")
    customers(store, "c1", "c2", "c3", "c4", "c5")
    opt_out(store, "customer", "c1", address("c1"), "link", NOW - DAY)
    opt_out(store, "customer", None, address("c5"), "admin", NOW - DAY)
    add_customers(store, ["c1-new"])
    add_contacts(store, "customer", ["c1-new"])
    with store.begin() as conn:  # c1's address comes back under a new id; c5 under their own
        conn.execute(
            sa.text("UPDATE survey_contacts SET email = :e WHERE recipient_id = 'c1-new'"),
            {"e": address("c1")},
        )
    at = [("i1", "c1", NOW - 30 * HOUR), ("i1n", "c1-new", NOW - 30 * HOUR), ("i5", "c5", NOW - 30 * HOUR)]
    support(store, *at, ("i2", "c2", NOW - 30 * HOUR), ("i4", "c4", NOW - 30 * HOUR))
    night = NOW + 11 * HOUR  # 21:00 UTC: quiet
    run = run_invitations(store, settings, night)
    assert run.skipped == {"opted out": 3} and run.pending == 2
    opt_out(store, "customer", "c2", address("c2"), "link", night + HOUR)  # between decision and sending
    morning = run_invitations(store, settings, night + 12 * HOUR)
    assert morning.skipped == {"opted out": 1} and recipients(inbox) == [address("c4")]
    opt_out(store, "customer", "c4", None, "link", night + DAY)  # by id: no reminder either
    assert run_invitations(store, settings, night + 5 * DAY).reminded == 0
    assert all(row["why_not"] for row in invitations(store, "status = 'skipped'"))


def test_reminders_go_to_the_unanswered_once_a_day_and_say_so(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = settings_for(
        store.url, port, {"support": SUPPORT}, reminder_after_days=3, max_reminders=2, token_days=8
    )
    publish_surveys(store, settings, "support-csat")
    customers(store, "c1", "c2")
    support(store, ("i1", "c1", NOW - 30 * HOUR), ("i2", "c2", NOW - 30 * HOUR))
    assert run_invitations(store, settings, NOW).sent == 2
    with store.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE survey_invitations SET status = 'answered', answered_at = :at WHERE trigger_id = 'i2'"
            ),
            {"at": NOW + HOUR},
        )
    assert run_invitations(store, settings, NOW + 2 * DAY).reminded == 0
    first = run_invitations(store, settings, NOW + 3 * DAY)
    assert first.reminded == 1 and recipients(inbox, 2) == [address("c1")]
    assert run_invitations(store, settings, NOW + 3 * DAY + 2 * HOUR).reminded == 0
    assert run_invitations(store, settings, NOW + 6 * DAY).reminded == 1
    assert run_invitations(store, settings, NOW + 9 * DAY).reminded == 0  # two at most (and expired)
    reminder = inbox.to(address("c1"))[1]
    assert str(reminder["Subject"]).startswith("Reminder: Acme:")
    assert "would still like to hear from you" in reminder.get_content()
    link = inbox.to(address("c1"))[0].get_content().split("/s/")[1].split()[0]
    assert link in reminder.get_content()  # the same link
    (row,) = invitations(store, "trigger_id = 'i1'")
    assert row["reminders"] == 2 and row["reminded_at"] == NOW + 6 * DAY


def test_no_reminder_for_an_expired_link(duck_store: Store, smtp: tuple[Inbox, int]) -> None:
    _, port = smtp
    settings = settings_for(duck_store.url, port, {"support": SUPPORT}, reminder_after_days=3, token_days=2)
    publish_surveys(duck_store, settings, "support-csat")
    customers(duck_store, "c1")
    support(duck_store, ("i1", "c1", NOW - 30 * HOUR))
    run_invitations(duck_store, settings, NOW)
    assert run_invitations(duck_store, settings, NOW + 3 * DAY).reminded == 0


def test_a_pulse_wave_is_a_seeded_share_of_the_customers_every_every_days(
    duck_store: Store, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(duck_store.url, port, {"pulse": PULSE}, min_days_between=0, daily_cap=1000)
    publish_surveys(duck_store, settings, "pulse")
    ids = [f"c{i:03d}" for i in range(200)]
    add_customers(duck_store, ids, churned=set(ids[:20]))
    add_contacts(duck_store, "customer", ids)
    wave = f"pulse@{NOW:%Y-%m-%dT%H:%M}"
    expected = {
        i
        for i in ids[20:]
        if hashlib.md5(f"{wave}:{i}".encode()).hexdigest()[:8] < f"{int(0.25 * 16**8):08x}"
    }
    run = run_invitations(duck_store, settings, NOW)
    assert run.sent == len(expected) and 30 <= len(expected) <= 60
    assert {row["recipient_id"] for row in invitations(duck_store)} == expected
    assert {row["trigger_id"] for row in invitations(duck_store)} == {wave}
    assert run_invitations(duck_store, settings, NOW + 29 * DAY).decided == 0
    assert run_invitations(duck_store, settings, NOW + 30 * DAY).decided > 0  # the next wave
    assert len(inbox.messages) > len(expected)


def test_staff_are_asked_once_per_version_by_role(duck_store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    wrong = SurveyTrigger(survey="beliefs", when="interaction")
    settings = settings_for(duck_store.url, port, {"leaders": LEADERS, "wrong": wrong, "draft": PULSE})
    publish_surveys(duck_store, settings, "beliefs")
    add_contacts(duck_store, "staff", ["s1", "s2", "s3"], roles=["leader", "manager", "frontline"])
    run = run_invitations(duck_store, settings, NOW)
    assert run.sent == 2 and recipients(inbox) == [address("s1"), address("s2")]
    assert "Trigger wrong (interaction) asks customers, but beliefs asks staff." in run.notes
    assert any(note.startswith("Trigger draft: There is no survey named 'pulse'") for note in run.notes)
    staff_mail = inbox.messages[0].get_content()
    assert "Acme asks for your view" in staff_mail
    assert run_invitations(duck_store, settings, NOW + DAY).decided == 0
    definition, _ = definition_of(duck_store, "beliefs")
    save_version(
        duck_store, definition.model_copy(update={"title": {"en": "Our customers, as we see them"}}), now=NOW
    )
    publish(duck_store, "beliefs", now=NOW)
    assert run_invitations(duck_store, settings, NOW + 2 * DAY).skipped == {
        "invited within the last 30 days": 2
    }
    again = run_invitations(duck_store, settings, NOW + 31 * DAY)
    assert again.sent == 2 and "Our customers, as we see them" in inbox.messages[-1].get_content()


def test_a_refused_send_marks_the_invitation_failed(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = settings_for(store.url, port, {"support": SUPPORT})
    publish_surveys(store, settings, "support-csat")
    customers(store, "c1", "c2")
    inbox.refuse_to = {address("c2")}
    support(store, ("i1", "c1", NOW - 30 * HOUR), ("i2", "c2", NOW - 30 * HOUR))
    run = run_invitations(store, settings, NOW)
    assert (run.sent, run.failed) == (1, 1) and "1 refused by the mail server" in run.sentence()
    (failed,) = invitations(store, "status = 'failed'")
    assert failed["trigger_id"] == "i2" and failed["sent_at"] is None
    assert "550" in failed["last_error"] and "mailbox unavailable" in failed["last_error"]
    inbox.refuse_to = set()
    support(store, ("i3", "c2", NOW - 20 * HOUR))  # a failed send was no contact
    assert run_invitations(store, settings, NOW + 5 * HOUR).sent == 1
    inbox.refuse_to = {address("c1")}
    reminders = run_invitations(store, settings, NOW + 3 * DAY)
    assert (reminders.reminded, reminders.failed) == (0, 1)  # c1's reminder refused: not tried again
    (first,) = invitations(store, "trigger_id = 'i1'")
    assert (first["status"], first["reminders"]) == ("sent", 1) and "550" in first["last_error"]


def test_invitations_waiting_for_a_closed_survey_are_not_sent(
    duck_store: Store, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(duck_store.url, port, {"support": SUPPORT}, quiet_hours=(21, 8))
    publish_surveys(duck_store, settings, "support-csat")
    customers(duck_store, "c1")
    support(duck_store, ("i1", "c1", NOW - 20 * HOUR))
    assert run_invitations(duck_store, settings, NOW + 11 * HOUR).pending == 1
    close(duck_store, "support-csat", now=NOW + 12 * HOUR)
    morning = run_invitations(duck_store, settings, NOW + 23 * HOUR)
    assert morning.skipped == {"the survey is no longer published": 1} and inbox.messages == []
    assert morning.notes == (
        "Trigger support: The survey 'support-csat' is closed and takes no more answers.",
    )


def test_invite_asks_named_recipients_or_every_contact(store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = settings_for(store.url, port)
    publish_surveys(store, settings, "pulse", "beliefs")
    customers(store, "c1", "c2")
    add_contacts(store, "staff", ["s1", "s2"])
    run = invite(store, settings, "pulse", ["c1", "c2", "c1", "nobody"], NOW)
    assert (run.sent, run.skipped) == (2, {"no e-mail address": 1})
    assert {row["trigger_id"] for row in invitations(store)} == {f"invite@{NOW:%Y-%m-%dT%H:%M:%S}"}
    assert invite(store, settings, "beliefs", None, NOW).sent == 2
    assert recipients(inbox) == [address(i) for i in ("c1", "c2", "s1", "s2")]
    assert invite(store, settings, "pulse", ["c1"], NOW + DAY).skipped == {
        "invited within the last 30 days": 1
    }
    with pytest.raises(NotFound):
        invite(store, settings, "nothing", ["c1"], NOW)
    close(store, "pulse", now=NOW)
    with pytest.raises(SurveyClosed, match="closed"):
        invite(store, settings, "pulse", ["c1"], NOW)
    with pytest.raises(CxgapError, match="at least one recipient"):
        invite(store, settings, "beliefs", [], NOW)


def test_two_runs_at_once_decide_and_send_each_interaction_once(
    store: Store, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(store.url, port, {"support": SUPPORT})
    publish_surveys(store, settings, "support-csat")
    ids = [f"c{i}" for i in range(30)]
    customers(store, *ids)
    support(store, *[(f"i{i}", ids[i], NOW - 30 * HOUR) for i in range(30)])
    other = Store(store.url) if store.backend == "postgresql" else store  # PostgreSQL: another process's
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda s=s: results.append(run_invitations(s, settings, NOW).sent))
        for s in (store, other)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if other is not store:
        other.close()
    assert sorted(results) == [0, 30] and len(inbox.messages) == 30
    assert len(invitations(store)) == 30


def test_the_servers_scheduler_sends_the_invitations_due(duck_store: Store, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = settings_for(duck_store.url, port, {"support": SUPPORT})
    publish_surveys(duck_store, settings, "support-csat")
    customers(duck_store, "c1")
    support(duck_store, ("i1", "c1", system_now() - 30 * HOUR))  # the scheduler runs at the machine's clock
    scheduler = Scheduler(duck_store, settings).start()
    try:
        assert inbox.arrived.wait(30), "the scheduler sent nothing within 30 s"
    finally:
        scheduler.stop()
    assert recipients(inbox) == [address("c1")]


def test_a_run_needs_a_mail_server_and_the_server_runs_it_only_with_triggers(duck_store: Store) -> None:
    settings = settings_for(duck_store.url, None, {"support": SUPPORT})
    with pytest.raises(CxgapError, match=r"No mail server is configured \(\[notify\] smtp_url\)"):
        run_invitations(duck_store, settings, NOW)
    assert not invitations_wanted(settings)
    assert invitations_wanted(settings_for(duck_store.url, 25, {"support": SUPPORT}))
    assert not invitations_wanted(settings_for(duck_store.url, 25))


def test_an_invitation_email_speaks_the_recipients_language_where_the_survey_does() -> None:
    definition = SurveyDefinition.model_validate(
        {
            "name": "tx",
            "title": {"en": "How did we do?", "de": "Wie war es?"},
            "languages": ["en", "de"],
            "thanks": {"en": "Thank you.", "de": "Danke."},
            "questions": [{"id": "csat", "type": "csat", "text": {"en": "Rate us", "de": "Bewerten"}}],
        }
    )
    until = dt.datetime(2026, 6, 24)
    german = compose(definition, "de-AT", "https://x/s/t", until)
    assert german.subject == "Wie war es?" and "    Wie war es?" in german.body  # no company: no name
    assert german.body.startswith("Hello,\n\nWe would like to hear") and "--" not in german.body
    assert "works until 24 June 2026" in german.body and "https://x/s/t/opt-out" in german.body
    assert compose(definition, "fr", "https://x/s/t", until).subject == "How did we do?"
    reminder = compose(definition, None, "https://x/s/t", until, reminder=True)
    assert reminder.subject == "Reminder: How did we do?"
