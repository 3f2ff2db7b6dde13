"""The loop's clock: lookbacks, deadlines, 'overdue' and workflow times follow the data's calendar."""

from __future__ import annotations

import datetime as dt

from cxgap.cases import accountability, events, list_cases, open_cases, transition
from cxgap.cases.clock import loop_now, set_loop_calendar
from cxgap.config import demo_settings
from cxgap.engine import Engine
from cxgap.store import Store

DATA_END = dt.datetime(2024, 1, 2, 12, 0)  # the day after R4, the only record of 2024


def _near(moment: dt.datetime | None, expected: dt.datetime) -> bool:
    return moment is not None and abs(moment - expected) < dt.timedelta(minutes=5)


def test_a_store_with_its_own_calendar_opens_its_cases_without_a_date(loop_store: Store) -> None:
    set_loop_calendar(loop_store, DATA_END)
    run = open_cases(loop_store, demo_settings())  # no date: the lookback ends at the store's calendar
    assert run.opened["detractor"] == 1 and run.total == 1  # R4; the 2026 records lie after the clock
    (case,) = list_cases(loop_store)
    assert case.trigger_id == "R4" and _near(case.created_at, DATA_END)
    assert case.due_at is not None and _near(case.due_at, DATA_END + dt.timedelta(hours=48))
    assert not case.overdue(loop_now(loop_store, demo_settings()))


def test_cases_as_of_fixes_the_clock_over_the_stores_calendar(loop_store: Store) -> None:
    set_loop_calendar(loop_store, DATA_END)
    fixed = demo_settings(**{"cases": {"as_of": "2026-06-01T12:00:00"}})
    assert loop_now(loop_store, fixed) == dt.datetime(2026, 6, 1, 12)
    assert loop_now(loop_store, fixed, as_of=dt.datetime(2026, 6, 2)) == dt.datetime(2026, 6, 2)
    aware = dt.datetime(2026, 6, 2, 14, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert loop_now(loop_store, fixed, as_of=aware) == dt.datetime(2026, 6, 2, 12)
    run = open_cases(loop_store, fixed)
    assert run.total == 2 and {c.created_at for c in list_cases(loop_store)} == {dt.datetime(2026, 6, 1, 12)}


def test_workflow_steps_without_a_time_are_stamped_on_the_stores_calendar(loop_store: Store) -> None:
    set_loop_calendar(loop_store, DATA_END)
    open_cases(loop_store, demo_settings())
    (case,) = list_cases(loop_store)
    resolved = transition(loop_store, case.case_id, "resolve", "ana", root_cause="process")
    assert _near(resolved.resolved_at, DATA_END) and _near(resolved.first_action_at, DATA_END)
    assert all(_near(e.happened_at, DATA_END) for e in events(loop_store, case.case_id))
    at = DATA_END + dt.timedelta(days=3)
    closed = transition(loop_store, case.case_id, "close", "ana", now=at)
    assert closed.closed_at == at and closed.updated_at == at
    report = accountability(Engine(loop_store), "team", min_n=1)
    assert _near(report.now, DATA_END)
