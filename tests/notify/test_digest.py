"""The daily digest: once per person and loop-clock day from digest_hour, with counts and the first cases."""

from __future__ import annotations

import datetime as dt

from cxgap import cases
from cxgap.notify import delivery_log, run_notifications, set_preference
from cxgap.store import Store
from tests.notify.conftest import NOW, add_detractors, settings_for

DAY = dt.datetime(2026, 6, 2, 6, 0)  # the next morning, before the digest hour (7)


def test_the_digest_lists_each_persons_cases_once_a_day(staffed: Store, smtp) -> None:
    inbox, port = smtp
    settings = settings_for(staffed.url, port, digest_hour=7)
    rows = [(f"R{i}", "support") for i in range(7)] + [("F1", "installation")]
    support = add_detractors(staffed, settings, NOW - dt.timedelta(days=2), *rows[:6])
    late = add_detractors(staffed, settings, DAY - dt.timedelta(hours=1), *rows[6:])  # due 09:00 today
    cases.assign(staffed, support[0], "lea", owner="sam")
    cases.assign(staffed, support[1], "lea", owner="lea")
    for event in ("case_assigned", "case_due", "case_overdue"):
        for name in ("sam", "lea", "fay", "flo"):
            set_preference(staffed, name, event, enabled=False, in_digest=False)
    early = run_notifications(staffed, settings, now=DAY)
    assert early.sent == 0  # before 07:00 (the loop's clock) no digest
    run_notifications(staffed, settings, now=DAY + dt.timedelta(hours=1, minutes=5))
    (lea,) = inbox.to("lea@example.com")
    assert (
        " ".join(str(lea["Subject"]).split())
        == "[cxgap] Your digest for 2026-06-02: 7 open, 1 due today, 6 overdue"
    )
    text = lea.get_content()
    assert "Overdue (6):" in text and "Due today (1):" in text and "... and 1 more" in text
    assert f"- {late[0]}" in text and "https://cx.example.com/cases" in text
    (sam,) = inbox.to("sam@example.com")
    # sam's own case, and the support team's unowned ones: a member does not get cases owned by others
    assert "6 open" in str(sam["Subject"]) and support[0] in sam.get_content()
    assert support[1] not in sam.get_content()
    (fay,) = inbox.to("fay@example.com")
    assert all(case_id not in fay.get_content() for case_id in support + late[:1])
    assert late[1] in fay.get_content()
    assert inbox.to("ana@example.com") == []  # an analyst with no case of their own gets no digest
    run_notifications(staffed, settings, now=DAY + dt.timedelta(hours=9))
    assert len(inbox.to("lea@example.com")) == 1  # once a day
    run_notifications(staffed, settings, now=DAY + dt.timedelta(days=1, hours=2))
    assert len(inbox.to("lea@example.com")) == 2  # and again the next day


def test_deadlines_moved_into_the_digest_are_not_sent_at_once(staffed: Store, smtp) -> None:
    inbox, port = smtp
    settings = settings_for(staffed.url, port, digest_hour=23)
    add_detractors(staffed, settings, NOW, ("R1", "support"))
    set_preference(staffed, "sam", "case_due", enabled=True, in_digest=True)
    set_preference(staffed, "sam", "digest", enabled=False, in_digest=False)
    run_notifications(staffed, settings, now=NOW)
    assert [s for s in inbox.subjects("sam@example.com") if "due" in s] == []
    assert any("due" in s for s in inbox.subjects("lea@example.com"))
    run_notifications(staffed, settings, now=NOW.replace(hour=23))
    told = sorted(d.event for d in delivery_log(staffed, recipient="sam"))
    assert told == ["case_assigned", "case_overdue"]  # no case_due, and the digest is off
    assert "digest" in {d.event for d in delivery_log(staffed, recipient="lea")}
