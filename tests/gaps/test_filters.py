"""Filtered gaps read the rollups, and give the numbers a recount of the raw rows gives."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa

from cxgap.config import demo_settings
from cxgap.engine import Engine, Filters
from cxgap.gaps import Gap, analyze

SLICE = Filters(since="2024-03", until="2025-02", segment="consumer", channel="phone")


def _sql(engine: Engine, sql: str) -> pd.DataFrame:
    with engine.store.engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.text(sql)).mappings().all())


def _one(gaps: tuple[Gap, ...], kind: str, touchpoint: str | None, subject: str) -> Gap:
    found = [
        g for g in gaps if (g.kind, g.touchpoint, g.subject, g.segment) == (kind, touchpoint, subject, None)
    ]
    assert len(found) == 1, found
    return found[0]


def test_a_filtered_customer_gap_equals_a_recount_of_the_raw_ratings(demo_engine: Engine) -> None:
    settings = demo_settings()
    gap = _one(analyze(demo_engine, settings, filters=SLICE).gaps, "customer", "support", "responsiveness")
    items = [item for item, dimension in settings.items.items() if dimension == "responsiveness"]
    raw = _sql(
        demo_engine,
        "SELECT i.perception - i.expectation AS gap FROM response_items i "
        "JOIN responses r ON r.response_id = i.response_id JOIN customers c ON c.customer_id = r.customer_id "
        "WHERE r.survey_kind = 'transactional' AND r.touchpoint = 'support' AND c.segment = 'consumer' "
        "AND r.channel = 'phone' AND r.responded_at >= '2024-03-01' AND r.responded_at < '2025-03-01' "
        f"AND i.item IN ({', '.join(repr(i) for i in items)}) AND i.expectation IS NOT NULL",
    )["gap"].dropna()
    assert gap.n == len(raw) > 30
    assert gap.value == pytest.approx(raw.mean(), abs=1e-9)
    whole = _one(analyze(demo_engine, settings).gaps, "customer", "support", "responsiveness")
    assert whole.n > gap.n


def test_a_filtered_operational_gap_equals_a_recount_of_the_raw_interactions(demo_engine: Engine) -> None:
    gap = _one(
        analyze(demo_engine, demo_settings(), filters=SLICE).gaps,
        "implementation",
        "support",
        "wait_seconds@call",
    )
    raw = _sql(
        demo_engine,
        "SELECT i.wait_seconds FROM interactions i JOIN customers c ON c.customer_id = i.customer_id "
        "WHERE i.touchpoint = 'support' AND i.kind = 'call' AND c.segment = 'consumer' AND i.channel = 'phone' "
        "AND i.occurred_at >= '2024-03-01' AND i.occurred_at < '2025-03-01'",
    )["wait_seconds"].dropna()
    target = float(
        _sql(demo_engine, "SELECT target FROM standards WHERE metric = 'wait_seconds@call'")["target"][0]
    )
    assert gap.n == len(raw) > 30
    assert gap.value == pytest.approx(
        target - raw.mean(), abs=1e-6
    )  # waiting longer than the target is worse


def test_a_touchpoint_filter_keeps_that_touchpoints_gaps_and_their_q_values(demo_engine: Engine) -> None:
    whole = analyze(demo_engine, demo_settings())
    support = analyze(demo_engine, demo_settings(), filters=Filters(touchpoint="support"))
    assert support.gaps and {g.touchpoint for g in support.gaps} == {"support"}
    expected = {(g.kind, g.subject, g.segment): g.q_value for g in whole.gaps if g.touchpoint == "support"}
    got = {(g.kind, g.subject, g.segment): g.q_value for g in support.gaps}
    assert got.keys() == expected.keys()
    assert all(
        math.isclose(got[k], expected[k]) or (math.isnan(got[k]) and math.isnan(expected[k])) for k in got
    )


def test_a_slice_with_no_data_measures_nothing_and_says_so(demo_engine: Engine) -> None:
    report = analyze(demo_engine, demo_settings(), filters=Filters(since="2031-01"))
    measured = [g for g in report.gaps if g.kind in ("customer", "implementation") and g.n > 0]
    assert not measured
    assert report.headline is None
