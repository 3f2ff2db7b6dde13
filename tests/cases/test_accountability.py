"""Accountability metrics against hand-counted cases, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from cxgap.cases import accountability
from cxgap.engine import Engine
from cxgap.errors import CxgapError
from cxgap.stats import wilson_interval
from cxgap.store import Store

T0 = dt.datetime(2026, 5, 1, 8, 0)
NOW = dt.datetime(2026, 5, 10, 8, 0)


def _case(
    case_id: str,
    team: str,
    status: str,
    first_h: float | None,
    resolved_h: float | None,
    due_h: float,
    reopened: int = 0,
) -> dict[str, object]:
    def at(hours: float | None) -> dt.datetime | None:
        return None if hours is None else T0 + dt.timedelta(hours=hours)

    return {
        "case_id": case_id,
        "created_at": T0,
        "trigger_kind": "manual",
        "team": team,
        "status": status,
        "first_action_at": at(first_h),
        "resolved_at": at(resolved_h),
        "due_at": at(due_h),
        "reopen_count": reopened,
    }


CASES = [
    _case("A1", "support", "resolved", 1, 5, 48),
    _case("A2", "support", "closed", 2, 10, 48, reopened=1),
    _case("A3", "support", "in_progress", 3, None, 48),  # past its deadline by NOW
    _case("A4", "support", "open", 10, None, 24 * 30),
    _case("B1", "billing", "open", None, None, 24 * 30),
]


@pytest.fixture
def engine(store: Store) -> Engine:
    with store.begin() as conn:
        conn.execute(sa.insert(sa.table("cases", *(sa.column(k) for k in CASES[0]))), CASES)
    return Engine(store)


def test_shares_counts_and_hours_per_team_match_the_hand_count(engine: Engine) -> None:
    report = accountability(engine, "team", now=NOW, min_n=1)
    support = next(g for g in report.groups if g.group == "support")
    assert support.cases == 4 and support.overdue == 1
    assert support.acted_on == wilson_interval(4, 4)
    assert support.unresolved == wilson_interval(2, 4)
    assert support.reopened == wilson_interval(1, 2)  # of the two cases ever resolved
    assert support.hours_to_first_action == pytest.approx((2.5, 7.9))  # 1, 2, 3, 10 hours
    assert support.hours_to_resolve == pytest.approx((7.5, 9.5))  # 5 and 10 hours
    billing = next(g for g in report.groups if g.group == "billing")
    assert billing.acted_on == wilson_interval(0, 1) and billing.hours_to_first_action == (None, None)


def test_small_groups_say_insufficient_data_and_the_frame_has_a_row_each(engine: Engine) -> None:
    report = accountability(engine, "team", now=NOW, min_n=30)
    assert all(g.acted_on is None for g in report.groups)
    frame = report.to_frame()
    assert list(frame["team"]) == ["billing", "support"] and frame["cases"].sum() == 5


def test_the_trend_groups_by_month_and_bad_groupings_are_one_sentence(engine: Engine) -> None:
    assert [g.group for g in accountability(engine, "month", now=NOW, min_n=1).groups] == ["2026-05-01"]
    with pytest.raises(CxgapError, match="Cannot group cases by 'weather'"):
        accountability(engine, "weather")


def test_a_team_narrows_the_report_to_its_own_cases(engine: Engine) -> None:
    mine = accountability(engine, "owner", team="support", now=NOW, min_n=1)
    assert mine.team == "support" and sum(g.cases for g in mine.groups) == 4
    assert [g.group for g in accountability(engine, "team", team="billing", now=NOW, min_n=1).groups] == [
        "billing"
    ]
    later = accountability(engine, "team", team="support", now=T0 + dt.timedelta(days=40), min_n=1)
    assert later.groups[0].overdue == 2  # A4's 30-day deadline has passed too
