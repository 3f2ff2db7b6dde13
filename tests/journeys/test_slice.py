"""Journeys under filters: a filtered analysis equals the analysis of a store that holds only the slice (built
here from the demo's tables with pyarrow, independently of the engine's narrowing), and thin or empty
slices say insufficient data or that the selection holds no journeys rather than showing numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cxgap.config import Settings, StoreSettings, demo_settings
from cxgap.demo import simulate
from cxgap.demo.company import DemoData, write_demo
from cxgap.engine import Engine, Filters
from cxgap.journeys import JourneyReport, analyze_journeys
from cxgap.store import Store

SEED = 42
CUSTOMERS = 3_000
OUTCOME = "relational"  # the outcome survey: a slice's channel and touchpoint do not narrow it
EVENTS = {  # per table: its time column, whether it has a channel and a touchpoint
    "interactions": ("occurred_at", True, True),
    "responses": ("responded_at", True, True),
    "feedback": ("received_at", True, True),
    "cases": ("created_at", False, True),
}


def _events(t: pa.Table, name: str, f: Filters, strict: bool) -> pa.Table:
    """An event table's rows within the period, channel and touchpoint (`strict`: outcome answers too)."""
    time, has_channel, has_touchpoint = EVENTS[name]
    keep = pa.array([True] * t.num_rows)
    if f.first_day:
        keep = pc.and_(
            keep, pc.greater_equal(t[time], pa.scalar(dt.datetime.combine(f.first_day, dt.time())))
        )
    if f.end:
        keep = pc.and_(keep, pc.less(t[time], pa.scalar(dt.datetime.combine(f.end, dt.time()))))
    outcome = pc.equal(t["survey_kind"], OUTCOME) if name == "responses" and not strict else None
    for column, wanted, present in (
        ("channel", f.channel, has_channel),
        ("touchpoint", f.touchpoint, has_touchpoint),
    ):
        if wanted and present:
            same = pc.fill_null(pc.equal(t[column], wanted), False)
            keep = pc.and_(keep, same if outcome is None else pc.or_(same, outcome))
    return t.filter(pc.fill_null(keep, False))


def only(data: DemoData, f: Filters) -> DemoData:
    """The demo's tables holding the slice `f` alone (the definition a filtered journey analysis meets): the
    segment's customers with a response or interaction in the period, channel and touchpoint, and their
    events there (the outcome survey's answers whatever their channel or touchpoint)."""
    tables = dict(data.tables)
    customers = tables["customers"]
    if f.segment:
        customers = customers.filter(pc.equal(customers["segment"], f.segment))
    if f.since or f.until or f.channel or f.touchpoint:
        active = pa.concat_arrays(
            [
                _events(tables[n], n, f, strict=True)["customer_id"].combine_chunks()
                for n in ("responses", "interactions")
            ]
        )
        customers = customers.filter(pc.is_in(customers["customer_id"], active))
    tables["customers"] = customers
    for name in EVENTS:
        if name in tables:
            t = _events(tables[name], name, f, strict=False)
            tables[name] = t.filter(pc.fill_null(pc.is_in(t["customer_id"], customers["customer_id"]), False))
    items = tables["response_items"]
    tables["response_items"] = items.filter(
        pc.is_in(items["response_id"], tables["responses"]["response_id"])
    )
    return DemoData(data.customers, data.seed, tables)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return simulate(CUSTOMERS, seed=SEED)


@pytest.fixture(scope="module")
def whole(demo: DemoData, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Settings]]:
    url = f"duckdb:///{tmp_path_factory.mktemp('whole') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, demo)
        engine = Engine(store)
        yield engine, demo_settings(store=StoreSettings(url=url))
        engine.close()


def _alone(demo: DemoData, f: Filters, directory: Path) -> JourneyReport:
    url = f"duckdb:///{directory / 'slice.duckdb'}"
    with Store(url) as store:
        write_demo(store, only(demo, f))
        engine = Engine(store)
        try:
            return analyze_journeys(engine, demo_settings(store=StoreSettings(url=url)))
        finally:
            engine.close()


def _same(a: JourneyReport, b: JourneyReport) -> None:
    """Equal to rounding: every measure, interval, n and q-value, and where customers fall out."""
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame(), rtol=1e-9, atol=1e-12)
    assert [(s.touchpoint, s.customers, s.status) for s in a.flow] == [
        (s.touchpoint, s.customers, s.status) for s in b.flow
    ]
    for x, y in zip(a.flow, b.flow, strict=True):
        assert x.failed.value == pytest.approx(y.failed.value, rel=1e-9)
        assert x.churn_after_failure.value == pytest.approx(
            y.churn_after_failure.value, rel=1e-9, nan_ok=True
        )
    assert [(g.group, g.customers, g.status) for g in a.load] == [
        (g.group, g.customers, g.status) for g in b.load
    ]
    assert a.synergy.n == b.synergy.n and a.synergy.status == b.synergy.status


SLICES = {
    "segment": Filters(segment="small_business"),
    "period and channel": Filters(since="2025-01", until="2025-12", channel="phone"),
    "touchpoint and segment": Filters(segment="consumer", touchpoint="support"),
}


@pytest.mark.parametrize("name", SLICES)
def test_a_filtered_analysis_equals_the_analysis_of_a_store_holding_only_the_slice(
    name: str, demo: DemoData, whole: tuple[Engine, Settings], tmp_path: Path
) -> None:
    engine, settings = whole
    f = SLICES[name]
    filtered = analyze_journeys(engine, settings, filters=f)
    assert filtered.measured and filtered.load, filtered.notes
    _same(filtered, _alone(demo, f, tmp_path))
    everything = analyze_journeys(engine, settings)
    assert filtered.load[0].customers < everything.load[0].customers or f.segment is None
    assert filtered.to_frame()["n"].sum() != everything.to_frame()["n"].sum()  # the filter did narrow


def test_a_thin_slice_says_insufficient_data_and_an_empty_one_says_so(whole: tuple[Engine, Settings]) -> None:
    engine, settings = whole
    thin = analyze_journeys(engine, settings, filters=Filters(segment="enterprise", since="2025-12"))
    min_n = settings.analysis.min_n
    assert thin.synergy.status == "insufficient data" and thin.synergy.per_extra_incident is None
    assert thin.flow and all((s.customers < min_n) == (s.status == "insufficient data") for s in thin.flow)
    assert any(s.status == "insufficient data" for s in thin.flow)
    assert all(r.contacts >= min_n for r in thin.repeats) and thin.top_upstream() == []
    empty = analyze_journeys(engine, settings, filters=Filters(since="2030-01"))
    assert not empty.measured and empty.load == () and empty.flow == ()
    assert empty.notes == (
        "No interactions in this selection (2030-01 to now), so there are no journeys "
        "to follow: widen the period or clear a filter.",
    )


@pytest.mark.postgres
def test_a_slice_reads_the_same_on_postgresql(
    demo: DemoData, whole: tuple[Engine, Settings], pg_url: str
) -> None:
    engine, settings = whole
    f = SLICES["touchpoint and segment"]
    with Store(pg_url) as store:
        write_demo(store, demo)
        pg = Engine(store)
        try:
            on_postgres = analyze_journeys(pg, demo_settings(store=StoreSettings(url=pg_url)), filters=f)
        finally:
            pg.close()
    _same(on_postgres, analyze_journeys(engine, settings, filters=f))
