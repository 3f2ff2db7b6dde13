"""Per-item customer gaps: each item's P - E beside its dimension's, equal to a recount of the raw ratings,
corrected as a family of their own; the rankings (effect size x reach, or shortfall in points) and where to
act first with every shortfall it has room for."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa

from cxgap.config import demo_settings
from cxgap.engine import Engine
from cxgap.gaps import RANKS, Gap, GapReport, analyze
from cxgap.stats import benjamini_hochberg


@pytest.fixture(scope="module")
def report(demo_engine: Engine) -> GapReport:
    return analyze(demo_engine, demo_settings(), importance=False)


def test_an_items_gap_equals_a_recount_of_its_raw_ratings(demo_engine: Engine, report: GapReport) -> None:
    settings = demo_settings()
    found = [g for g in report.items if g.touchpoint is None and g.subject == "right_first_time"]
    assert len(found) == 1 and found[0].dimension == settings.items["right_first_time"]
    with demo_engine.store.engine.connect() as conn:
        raw = pd.DataFrame(
            conn.execute(
                sa.text(
                    "SELECT i.perception - i.expectation AS gap FROM response_items i JOIN responses r "
                    "ON r.response_id = i.response_id WHERE r.survey_kind = 'relational' "
                    "AND i.item = 'right_first_time' AND i.expectation IS NOT NULL"
                )
            )
            .mappings()
            .all()
        )["gap"].dropna()
    gap = found[0]
    assert gap.n == len(raw) and gap.value == pytest.approx(raw.mean(), abs=1e-9)
    assert gap.effect_size == pytest.approx(raw.mean() / raw.std(ddof=1), rel=1e-6)
    assert gap.low < gap.value < gap.high


def test_items_are_a_family_of_their_own_and_leave_the_six_gaps_as_they_were(report: GapReport) -> None:
    items = report.items
    assert items and all(g.kind == "customer" and g.dimension and g.segment is None for g in items)
    expected = benjamini_hochberg([g.p_value for g in items])
    assert [g.q_value for g in items] == pytest.approx(list(expected))
    customer = next(s for s in report.summary() if s.kind == "customer")
    assert customer.measured == len(report.of_kind("customer"))  # the dimensions' gaps alone
    dimensions = {g.subject for g in report.of_kind("customer")}
    assert not dimensions & {g.subject for g in items}


def test_where_to_act_first_with_the_rest_hides_no_shortfall(report: GapReport) -> None:
    shortfalls = [g for g in report.every() if g.priority > 0]
    listed = report.act_first(limit=10_000, rest=True)
    assert sorted(map(id, listed)) == sorted(map(id, shortfalls))
    pairs = {(g.kind, g.touchpoint) for g in shortfalls}
    head = listed[: len(pairs)]
    assert {(g.kind, g.touchpoint) for g in head} == pairs  # one of each kind and touchpoint first
    assert [g.priority for g in head] == sorted((g.priority for g in head), reverse=True)
    assert len(report.act_first(limit=5, rest=True)) == 5


def _gap(subject: str, value: float, sd: float, unit: str = "points", reach: float = 1.0) -> Gap:
    return Gap(
        "customer",
        None,
        subject,
        "P - E",
        value,
        value - 0.1,
        value + 0.1,
        100,
        1e-6,
        value / sd,
        reach=reach,
        q_value=1e-5,
        significant=True,
        unit=unit,
    )


def test_the_rankings_order_by_effect_or_by_shortfall_in_points() -> None:
    wide = _gap("wide", -1.5, 1.5)  # d = -1.0
    narrow = _gap("narrow", -0.75, 0.43)  # d = -1.74
    seconds = _gap("wait", -120.0, 60.0, unit="seconds", reach=0.6)  # d = -2.0, x reach: 1.2
    fine = _gap("fine", 0.4, 0.5)
    fine = Gap(**{**fine.__dict__, "significant": False, "q_value": 0.3})
    report = GapReport((fine, wide, seconds, narrow))
    assert [g.subject for g in report.ranked("effect")] == ["narrow", "wait", "wide", "fine"]
    assert [g.subject for g in report.ranked("shortfall")] == ["wide", "narrow", "wait", "fine"]
    assert math.isclose(seconds.priority, 1.2)
    worst = {rank: next(s.worst for s in report.summary(rank) if s.kind == "customer") for rank in RANKS}
    assert {rank: gap.subject if gap else None for rank, gap in worst.items()} == {
        "effect": "narrow",
        "shortfall": "wide",
    }
