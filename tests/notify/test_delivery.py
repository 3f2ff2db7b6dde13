"""Each event is delivered once per recipient and channel, to a real SMTP server and a real webhook
receiver that checks every signature; failures are retried with backoff on an injected clock."""

from __future__ import annotations

import datetime as dt
import json
import threading

import sqlalchemy as sa

from cxgap import cases
from cxgap.notify import delivery_log, run_notifications, set_preference
from cxgap.store import Store
from tests.notify.conftest import NOW, SECRET, add_detractors, settings_for

HOUR = dt.timedelta(hours=1)


def test_assigned_and_due_cases_reach_the_team_by_mail_and_webhook_once(
    staffed: Store, smtp, receiver
) -> None:
    inbox, port = smtp
    settings = settings_for(staffed.url, port, receiver.url)
    support, field = add_detractors(staffed, settings, NOW, ("R1", "support"), ("R2", "installation"))
    first = run_notifications(staffed, settings, now=NOW)
    # assigned to the team (no owner) and due within 8 hours: two events per case
    assert first.found == 4 and first.failed == 0 and first.retrying == 0
    sam = sorted(inbox.subjects("sam@example.com"))
    assert sam == [
        f"[cxgap] Case {support} is due 2026-06-01 16:00",
        f"[cxgap] Case {support} is yours (team support)",
    ]
    assert len(inbox.to("lea@example.com")) == 2 and len(inbox.to("fay@example.com")) == 2
    assert all(field not in s for s in inbox.subjects("sam@example.com") + inbox.subjects("lea@example.com"))
    assert inbox.to("ana@example.com") == []  # an analyst owns no team's queue
    assert f"https://cx.example.com/cases/{support}" in inbox.to("sam@example.com")[0].get_content()
    assert len(receiver.bodies) == 4 and all(receiver.verified)
    assert {b["text"].split(".")[0] for b in receiver.bodies} >= {f"Case {support} is yours (team support)"}
    sent = first.sent

    again = run_notifications(staffed, settings, now=NOW + dt.timedelta(minutes=30))
    assert (again.queued, again.sent) == (0, 0)
    assert len(inbox.messages) == sent - 4 and len(receiver.bodies) == 4
    log = delivery_log(staffed)
    assert len(log) == sent and {d.status for d in log} == {"sent"} and all(d.attempts == 1 for d in log)


def test_an_owner_alone_hears_of_their_case_and_the_lead_of_it_overdue(staffed: Store, smtp) -> None:
    inbox, port = smtp
    settings = settings_for(staffed.url, port)
    (case_id,) = add_detractors(staffed, settings, NOW - 2 * HOUR, ("R1", "support"))
    cases.assign(staffed, case_id, "lea", owner="sam")
    run_notifications(staffed, settings, now=NOW)
    due = f"[cxgap] Case {case_id} is due 2026-06-01 14:00"
    assert sorted(inbox.subjects("sam@example.com")) == [due, f"[cxgap] Case {case_id} is yours (owner sam)"]
    assert inbox.subjects("lea@example.com") == []  # the owner alone hears of an owned case
    inbox.messages.clear()
    run_notifications(staffed, settings, now=NOW + 3 * HOUR)  # due at 14:00: overdue now
    overdue = f"[cxgap] Case {case_id} is overdue (due 2026-06-01 14:00)"
    assert inbox.subjects("sam@example.com") == [overdue]
    assert inbox.subjects("lea@example.com") == [overdue]  # escalated to the lead
    assert inbox.to("fay@example.com") == inbox.to("flo@example.com") == []


def test_a_team_member_never_hears_of_another_teams_case(staffed: Store, smtp) -> None:
    inbox, port = smtp
    settings = settings_for(staffed.url, port)
    (case_id,) = add_detractors(staffed, settings, NOW, ("R1", "support"))
    cases.assign(staffed, case_id, "ana", owner="fay")  # owned by someone of another team
    run_notifications(staffed, settings, now=NOW + HOUR)
    assert inbox.to("fay@example.com") == [] and inbox.to("flo@example.com") == []
    assert all(case_id in " ".join(str(m["Subject"]).split()) for m in inbox.messages)


def test_webhooks_carry_no_customer_text_and_follow_their_teams(staffed: Store, receiver) -> None:
    from cxgap.config import NotifySettings, Webhook

    settings = settings_for(staffed.url, None, receiver.url)
    hooks = {
        "ops": Webhook(url=receiver.url, secret=SECRET, teams=["field_service"], events=["case_assigned"])
    }
    settings = settings.model_copy(
        update={"notify": NotifySettings(base_url="https://cx.example.com", webhooks=hooks, digest_hour=23)}
    )
    support, field = add_detractors(staffed, settings, NOW, ("R1", "support"), ("R2", "installation"))
    with staffed.begin() as conn:
        conn.execute(sa.text("UPDATE cases SET summary = 'Customer wrote: the engineer never came'"))
    run = run_notifications(staffed, settings, now=NOW)
    assert run.sent == 1 and all(receiver.verified)
    (body,) = receiver.bodies
    assert field in body["text"] and support not in json.dumps(body)
    assert "never came" not in json.dumps(body) and "field_service" in body["text"]
    assert body["blocks"][1]["elements"][0]["text"] == f"<https://cx.example.com/cases/{field}|Open the case>"


def test_two_concurrent_runs_send_each_message_once(staffed: Store, smtp, receiver) -> None:
    inbox, port = smtp
    settings = settings_for(staffed.url, port, receiver.url)
    add_detractors(staffed, settings, NOW, *((f"R{i}", "support") for i in range(6)))
    runs: list[object] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        runs.append(run_notifications(staffed, settings, now=NOW))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(runs) == 2
    subjects = [(m["To"], m["Subject"]) for m in inbox.messages]
    assert len(subjects) == len(set(subjects)) == 6 * 2 * 2  # 6 cases, 2 events, lea and sam
    assert len(receiver.bodies) == 12 and all(receiver.verified)
    assert sum(r.sent for r in runs) == 36  # type: ignore[attr-defined]


def test_failures_are_retried_with_backoff_then_given_up(staffed: Store, smtp, receiver) -> None:
    from cxgap.config import Webhook

    inbox, port = smtp
    settings = settings_for(staffed.url, port, None, backoff_seconds=60, max_attempts=3)
    hooks = {
        "flaky": Webhook(url=receiver.url + "/flaky", secret=SECRET, events=["case_assigned"]),
        "down": Webhook(url=receiver.url + "/down", secret=SECRET, events=["case_due"]),
    }
    settings = settings.model_copy(update={"notify": settings.notify.model_copy(update={"webhooks": hooks})})
    for name, event in (("sam", "case_due"), ("lea", "case_assigned"), ("lea", "case_due")):
        set_preference(staffed, name, event, enabled=False, in_digest=False)
    add_detractors(staffed, settings, NOW, ("R1", "support"))
    inbox.refuse = 1  # sam's one e-mail is refused once
    receiver.answers = {"/hook/flaky": [500], "/hook/down": [500, 500, 500]}
    first = run_notifications(staffed, settings, now=NOW)
    assert (first.sent, first.retrying, first.failed) == (0, 3, 0)
    early = run_notifications(staffed, settings, now=NOW + dt.timedelta(seconds=59))
    assert (early.sent, early.retrying) == (0, 0)  # nothing is due before the backoff ends
    second = run_notifications(staffed, settings, now=NOW + dt.timedelta(seconds=60))
    assert (second.sent, second.retrying, second.failed) == (2, 1, 0)
    assert len(inbox.messages) == 1 and len(receiver.bodies) == 1 and all(receiver.verified)
    third = run_notifications(staffed, settings, now=NOW + dt.timedelta(seconds=60 + 119))
    assert (third.sent, third.retrying) == (0, 0)  # the second wait is twice as long
    last = run_notifications(staffed, settings, now=NOW + dt.timedelta(seconds=60 + 120))
    assert (last.sent, last.retrying, last.failed) == (0, 0, 1)
    log = {d.recipient: d for d in delivery_log(staffed)}
    given_up = log["down"]
    assert (given_up.status, given_up.attempts) == ("failed", 3)
    assert given_up.last_error is not None and given_up.last_error.count("HTTP 500") == 3
    assert given_up.last_error.splitlines()[0].startswith("attempt 1 at 2026-06-01 12:00:00")
    assert (log["flaky"].status, log["flaky"].attempts) == ("sent", 2)
    assert (log["sam"].status, log["sam"].attempts) == ("sent", 2) and "451" in (log["sam"].last_error or "")
    assert all(SECRET not in (d.last_error or "") for d in log.values())
    later = run_notifications(staffed, settings, now=NOW + dt.timedelta(days=1))
    newer = [
        d for d in delivery_log(staffed) if d.notification_id not in {x.notification_id for x in log.values()}
    ]
    assert later.sent == 2 and {d.event for d in newer} == {"case_overdue"}  # only the new event is sent
    assert {d.recipient: (d.status, d.attempts) for d in delivery_log(staffed) if d in log.values()} == {
        name: (d.status, d.attempts) for name, d in log.items()
    }


def test_errors_never_show_the_password_or_the_webhook_url(staffed: Store) -> None:
    from cxgap.config import NotifySettings, Webhook

    dead = "http://127.0.0.1:9/services/T000/B000/sEcReTpAtH"
    settings = settings_for(staffed.url).model_copy(
        update={
            "notify": NotifySettings(
                smtp_url="smtp://mailer:pa55word@127.0.0.1:9",
                digest_hour=23,
                webhooks={"chat": Webhook(url=dead, secret=SECRET)},
                timeout_seconds=2,
            )
        }
    )
    add_detractors(staffed, settings, NOW, ("R1", "support"))
    run = run_notifications(staffed, settings, now=NOW)
    assert run.retrying > 0 and run.sent == 0
    errors = " ".join(d.last_error or "" for d in delivery_log(staffed))
    assert "could not be reached" in errors and "mail server refused" in errors
    assert "pa55word" not in errors and "sEcReTpAtH" not in errors and SECRET not in errors


def test_nothing_is_queued_without_a_channel(staffed: Store) -> None:
    settings = settings_for(staffed.url)
    add_detractors(staffed, settings, NOW, ("R1", "support"))
    run = run_notifications(staffed, settings, now=NOW)
    assert not run.configured and "No channel is configured" in run.sentence()
    assert delivery_log(staffed) == []


def test_a_playbook_run_is_told_to_analysts_and_the_teams_lead(staffed: Store, smtp) -> None:
    import pandas as pd

    from cxgap.config import Playbook
    from cxgap.playbooks.run import run_playbooks

    inbox, port = smtp
    playbook = Playbook(action="Call them back today", risk_above=0.5, team="support", holdout=0.0)
    settings = settings_for(staffed.url, port).model_copy(update={"playbooks": {"callback": playbook}})
    scored = pd.DataFrame(
        {
            "customer_id": ["C1", "C2", "C3"],
            "segment": ["consumer"] * 3,
            "risk": [0.9, 0.8, 0.1],
            "health": [20.0, 30.0, 80.0],
            "revenue": [100.0, 200.0, 300.0],
        }
    )
    run_playbooks(staffed, scored, settings, at=NOW)
    run_notifications(staffed, settings, now=NOW + HOUR)
    told = "[cxgap] Playbook callback ran: 2 cases for team support"
    assert inbox.subjects("ana@example.com") == [told]
    assert told in inbox.subjects("lea@example.com")
    assert told not in inbox.subjects("sam@example.com") + inbox.subjects("flo@example.com")
