"""The inbox: queues and their counts, search, filters, sorting, paging and team scope, at the loop clock."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from cxgap.cases import QUEUES, InboxQuery, assign, inbox, open_cases, transition
from cxgap.errors import CxgapError
from cxgap.store import Store
from tests.cases.conftest import NOW, ungrouped

# the default rules without grouping open five cases at NOW: support (R1 48 h, I1 24 h), key_accounts (R3),
# field_service (R3 low CSAT, 72 h) and cx (F1, 72 h)
LATER = NOW + dt.timedelta(hours=42)  # I1's 24 h deadline has passed; the 48 h ones (R1, R3) are due today


def _ids(store: Store, query: InboxQuery, **who: object) -> list[str | None]:
    person = {"user_id": "sam", "scope": None, "team": "support", "now": LATER} | who
    return [c.trigger_id for c in inbox(store, query, **person).cases]  # type: ignore[arg-type]


@pytest.fixture
def worked(loop_store: Store) -> Store:
    open_cases(loop_store, ungrouped(), now=NOW)
    by_trigger = {
        (r.rule, r.trigger_id): r.case_id
        for r in inbox(loop_store, InboxQuery(), user_id="x", scope=None, team=None, now=NOW).cases
    }
    assign(loop_store, by_trigger[("detractor", "R1")], "lead", owner="sam", now=NOW)
    transition(
        loop_store, by_trigger[("negative_feedback", "F1")], "resolve", "ana", root_cause="system", now=NOW
    )
    return loop_store


def test_each_queue_and_its_count(worked: Store) -> None:
    page = inbox(worked, InboxQuery(queue="all"), user_id="sam", scope=None, team="support", now=LATER)
    # open and in progress by default: the resolved F1 case is not in any queue
    assert page.counts == {"mine": 1, "team": 2, "overdue": 1, "due_today": 2, "unassigned": 3, "all": 4}
    assert set(page.counts) == set(QUEUES) and page.total == 4 and page.now == LATER
    assert _ids(worked, InboxQuery(queue="mine")) == ["R1"]
    assert _ids(worked, InboxQuery(queue="overdue")) == ["I1"]
    assert sorted(_ids(worked, InboxQuery(queue="due_today"))) == ["R1", "R3"]
    assert sorted(_ids(worked, InboxQuery(queue="team"))) == ["I1", "R1"]
    assert _ids(worked, InboxQuery(queue="all", status="resolved")) == ["F1"]
    assert len(_ids(worked, InboxQuery(status="any"))) == 5
    frame = page.to_frame()
    assert list(frame["trigger_id"])[0::3] == ["I1", "R3"] and frame["overdue"].sum() == 1  # by deadline


def test_a_team_member_sees_only_their_team_whatever_they_ask(worked: Store) -> None:
    scoped = {"scope": "field_service", "team": "field_service", "user_id": "fay"}
    assert _ids(worked, InboxQuery(), **scoped) == ["R3"]
    assert _ids(worked, InboxQuery(team="support"), **scoped) == ["R3"]  # beyond the scope: ignored
    assert _ids(worked, InboxQuery(search="R1"), **scoped) == []
    page = inbox(worked, InboxQuery(), now=LATER, **scoped)  # type: ignore[arg-type]
    assert page.counts["all"] == 1 and page.counts["team"] == 1
    assert sorted(_ids(worked, InboxQuery(team="support"))) == ["I1", "R1"]  # an analyst narrowing


def test_search_finds_case_ids_customers_and_words(worked: Store) -> None:
    case = inbox(worked, InboxQuery(search="hold"), user_id="x", scope=None, team=None, now=LATER).cases[0]
    assert case.trigger_id == "R1"  # "kept on hold" in its summary
    assert _ids(worked, InboxQuery(search=case.case_id)) == ["R1"]
    assert sorted(_ids(worked, InboxQuery(search="C1"))) == ["R3", "R3"]
    assert _ids(worked, InboxQuery(search="KEPT hold")) == ["R1"]  # every word, any case
    assert _ids(worked, InboxQuery(search="kept logs")) == []
    assert _ids(worked, InboxQuery(search="100%_")) == []  # wildcards are literal
    with worked.begin() as conn:  # words in a trigger's summary find its case too
        conn.execute(
            sa.text(
                "INSERT INTO case_triggers (rule, trigger_kind, trigger_id, case_id, added_at, summary) "
                "VALUES ('x', 'feedback', 'F7', :c, :now, 'billed twice')"
            ),
            {"c": case.case_id, "now": NOW},
        )
    assert _ids(worked, InboxQuery(search="twice")) == ["R1"]


def test_filters_sorting_and_paging(worked: Store) -> None:
    assert _ids(worked, InboxQuery(rule="low_csat")) == ["R3"]
    assert _ids(worked, InboxQuery(touchpoint="support", sort="-due_at")) == ["R1", "I1"]
    assert _ids(worked, InboxQuery(segment="enterprise")) == ["R3", "R3"]
    assert _ids(worked, InboxQuery(status="any", root_cause="system")) == ["F1"]
    assert len(_ids(worked, InboxQuery(older_than_days=1))) == 4
    assert _ids(worked, InboxQuery(older_than_days=2)) == []
    pages = [
        inbox(
            worked,
            InboxQuery(sort="due_at", page=p, per_page=3),
            user_id="x",
            scope=None,
            team=None,
            now=LATER,
        )
        for p in (1, 2, 3)
    ]
    assert [len(p.cases) for p in pages] == [3, 1, 0] and {p.total for p in pages} == {4}
    assert pages[0].pages == 2
    every = [c.case_id for p in pages for c in p.cases]
    assert len(set(every)) == 4


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (InboxQuery(queue="later"), "queue = 'later' is not one of mine, team"),
        (InboxQuery(status="done"), "status = 'done' is not one of open"),
        (InboxQuery(sort="summary"), "sort = 'summary' is not one of due_at"),
        (InboxQuery(page=0), "pages start at 1"),
        (InboxQuery(per_page=501), "choose 1 to 500"),
        (InboxQuery(older_than_days=-1), "is negative"),
    ],
)
def test_bad_queries_are_one_sentence(loop_store: Store, query: InboxQuery, message: str) -> None:
    with pytest.raises(CxgapError, match=message):
        inbox(loop_store, query, user_id="x", scope=None, team=None, now=NOW)
