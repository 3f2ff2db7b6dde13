"""An improvement's effect in the gap engine: planted changes after the action date are recovered, with
intervals, and a change that happened everywhere is not credited to the action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cxgap.cases import IssueRecord, issue_effect, plan_action, raise_issue
from cxgap.config import Settings, StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import Engine
from cxgap.errors import CxgapError
from cxgap.store import Store
from cxgap.store.context import rebuild_rollups

ACTION_AT = dt.datetime(2025, 6, 15)
AFTER = "2025-07-01"
CHANGES = (
    # installation: 80% of late visits after the action arrive on time
    "UPDATE interactions SET on_time = true WHERE touchpoint = 'installation' AND occurred_at >= :after "
    "AND on_time = false AND hash(interaction_id) % 10 < 8",
    # calls wait 100 s less at support (the action) and 40 s less at billing (not the action)
    "UPDATE interactions SET wait_seconds = GREATEST(wait_seconds - 100, 0) WHERE touchpoint = 'support' "
    "AND kind = 'call' AND occurred_at >= :after",
    "UPDATE interactions SET wait_seconds = wait_seconds - 40 WHERE touchpoint = 'billing' AND kind = 'call' "
    "AND occurred_at >= :after AND wait_seconds >= 40",
    "INSERT INTO standards (touchpoint, metric, target, direction, unit) "
    "VALUES ('billing', 'wait_seconds@call', 60, 'at_most', 'seconds')",
)


@pytest.fixture(scope="module")
def improved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Settings]]:
    """The demo company (2,000 customers) with the changes above planted after 1 July 2025."""
    url = f"duckdb:///{Path(tmp_path_factory.mktemp('effect')) / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(2000, seed=3))
        with store.begin() as conn:
            for sql in CHANGES:
                conn.execute(sa.text(sql), {"after": AFTER})
            rebuild_rollups(conn)
        yield store, demo_settings(store=StoreSettings(url=url))


def _issue(store: Store, touchpoint: str, kind: str, subject: str, cause: str) -> IssueRecord:
    issue = raise_issue(store, "lead", root_cause=cause, touchpoint=touchpoint)
    return plan_action(
        store, issue.issue_id, "lead", action="fix", action_at=ACTION_AT, gap_kind=kind, gap_subject=subject
    )


def test_a_planted_improvement_shows_as_a_narrower_gap(improved: tuple[Store, Settings]) -> None:
    store, settings = improved
    effect = issue_effect(
        Engine(store), settings, _issue(store, "installation", "implementation", "on_time_rate", "process")
    )
    assert effect.status == "measured"
    assert effect.before_period == ("2024-12", "2025-05") and effect.after_period == ("2025-07", "2025-12")
    assert effect.before is not None and effect.after is not None and effect.change is not None
    assert effect.before.value < -0.05 < 0 < effect.after.value
    # 80% of the ~20% late visits fixed: on-time rate up by about 0.16
    assert effect.change.low < 0.16 < effect.change.high and effect.change.low > 0.08
    assert effect.controls == 0 and effect.net is None
    assert "narrowed" in effect.sentence() and "2024-12..2025-05" in effect.sentence()
    assert list(effect.to_frame()["row"]) == ["before", "after", "change"]


def test_a_change_everywhere_is_subtracted_from_the_action(improved: tuple[Store, Settings]) -> None:
    store, settings = improved
    effect = issue_effect(
        Engine(store), settings, _issue(store, "support", "implementation", "wait_seconds@call", "staffing")
    )
    assert effect.change is not None and effect.control is not None and effect.net is not None
    assert effect.controls == 1
    assert effect.change.low < 100 < effect.change.high
    assert effect.control.low < 40 < effect.control.high
    assert effect.net.low < 60 < effect.net.high and effect.net.low > 0
    assert "beyond the other touchpoints" in effect.sentence()


def test_no_change_is_reported_as_none(improved: tuple[Store, Settings]) -> None:
    store, settings = improved
    effect = issue_effect(
        Engine(store), settings, _issue(store, "installation", "customer", "reliability", "training")
    )
    assert effect.change is not None and effect.change.low < 0 < effect.change.high
    assert "did not change significantly" in effect.sentence()


def test_an_effect_needs_an_action_date_and_a_gap(improved: tuple[Store, Settings]) -> None:
    store, settings = improved
    issue = raise_issue(store, "lead", root_cause="policy", touchpoint="billing")
    with pytest.raises(CxgapError, match="has no action date yet"):
        issue_effect(Engine(store), settings, issue)
    later = plan_action(store, issue.issue_id, "lead", action="new policy", action_at=dt.datetime(2031, 1, 1))
    with pytest.raises(CxgapError, match="names no gap to close"):
        issue_effect(Engine(store), settings, later)
    future = plan_action(
        store,
        issue.issue_id,
        "lead",
        action="new policy",
        action_at=dt.datetime(2031, 1, 1),
        gap_kind="implementation",
        gap_subject="wait_seconds@call",
    )
    assert issue_effect(Engine(store), settings, future).status == "too early"
    past = plan_action(
        store,
        issue.issue_id,
        "lead",
        action="old policy",
        action_at=dt.datetime(2020, 3, 1),
        gap_kind="implementation",
        gap_subject="wait_seconds@call",
    )
    assert issue_effect(Engine(store), settings, past).status == "insufficient data"
