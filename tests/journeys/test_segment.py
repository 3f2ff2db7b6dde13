"""A segment's journeys read out of the whole store's analysis (journeys.segment) are the journeys computed
from the tables narrowed to that segment, field for field and to the last digit, on both backends; the
whole store's report is unchanged by keeping its sums per segment; and the dashboard answers a segment-only
slice from the unfiltered result without reading a table (other slices still read theirs).

The store is the demo with two kinds of rows no segment's slice holds: customers without a segment, and
interactions of customers the store does not know."""

from __future__ import annotations

import dataclasses
import math
import pickle
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from cxgap.api.dashboard import Dashboard
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate
from cxgap.demo.company import DemoData, write_demo
from cxgap.engine import ALL, Engine, Filters
from cxgap.journeys import JourneyReport, analyze_journeys
from cxgap.journeys.measures import segments_of
from cxgap.journeys.segment import KEYS, only_segment
from cxgap.journeys.service import _sums
from cxgap.journeys.slice import kept
from cxgap.store import Store

SEGMENTS = ("consumer", "small_business")  # enterprise is too thin here for upstream links


def _untidy(data: DemoData) -> DemoData:
    """The demo with every 20th customer's segment missing and every 50th interaction's customer unknown."""
    tables = dict(data.tables)
    customers = tables["customers"]
    blank = pa.array([i % 20 == 0 for i in range(customers.num_rows)])
    segment = pc.if_else(blank, pa.scalar(None, pa.string()), customers["segment"])
    tables["customers"] = customers.set_column(
        customers.schema.get_field_index("segment"), "segment", segment
    )
    events = tables["interactions"]
    ghost = pa.array([i % 50 == 0 for i in range(events.num_rows)])
    ids = pc.if_else(
        ghost, pc.binary_join_element_wise("ghost-", events["customer_id"], ""), events["customer_id"]
    )
    tables["interactions"] = events.set_column(
        events.schema.get_field_index("customer_id"), "customer_id", ids
    )
    return DemoData(data.customers, data.seed, tables)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return _untidy(simulate(2_000, seed=7))


def _fields(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a report (dataclasses, dicts and tuples walked), with its path."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            if f.compare:
                yield from _fields(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, dict):
        yield f"{path}.keys", tuple(value)
        for k, v in value.items():
            yield from _fields(v, f"{path}[{k}]")
    elif isinstance(value, list | tuple):
        yield f"{path}.len", len(value)
        for i, v in enumerate(value):
            yield from _fields(v, f"{path}[{i}]")
    else:
        yield path, value


def _identical(a: JourneyReport, b: JourneyReport) -> int:
    """Assert both reports hold the same fields with the same values (NaN equal to NaN); how many."""
    left, right = list(_fields(a)), list(_fields(b))
    assert [p for p, _ in left] == [p for p, _ in right]
    for (path, x), (_, y) in zip(left, right, strict=True):
        both_nan = isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)
        assert x == y or both_nan, f"{path}: {x!r} != {y!r}"
    return len(left)


def test_a_segment_read_from_the_whole_analysis_equals_the_segment_computed_from_its_tables(
    demo: DemoData, store_url: str
) -> None:
    settings = demo_settings(store=StoreSettings(url=store_url))
    with Store(store_url) as store:
        write_demo(store, demo)
        engine = Engine(store)
        try:
            whole = analyze_journeys(engine, settings)
            for segment in SEGMENTS:
                f = Filters(segment=segment)
                computed = analyze_journeys(engine, settings, filters=f)
                assert computed.measured and computed.upstream and computed.synergy.single
                assert computed.load[0].customers < whole.load[0].customers
                assert _identical(analyze_journeys(engine, settings, filters=f, whole=whole), computed) > 300
            nowhere = analyze_journeys(engine, settings, filters=Filters(segment="nope"), whole=whole)
            _identical(nowhere, analyze_journeys(engine, settings, filters=Filters(segment="nope")))
            assert not nowhere.measured and "No interactions in this selection" in nowhere.notes[0]
        finally:
            engine.close()


def test_the_whole_report_is_the_sum_of_its_segments_and_small_to_keep(
    demo: DemoData, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = f"duckdb:///{tmp_path_factory.mktemp('sums') / 'demo.duckdb'}"
    settings = demo_settings(store=StoreSettings(url=url))
    with Store(url) as store:
        write_demo(store, demo)
        engine = Engine(store)
        try:
            with kept(engine, ALL, settings.journeys.outcome_survey) as tables:
                per_segment = _sums(tables, settings, tables.keep(segments_of(tables)))
                plain = _sums(tables, settings, None)
            whole = analyze_journeys(engine, settings)
        finally:
            engine.close()
    total = per_segment.total()
    for name in ("interactions", "repeats", "channels", "damage", "pairs", "flow"):
        a, b = getattr(total, name), getattr(plain, name)
        keys = list(KEYS[name])
        a, b = (x.sort_values(keys).reset_index(drop=True) if keys else x for x in (a, b))
        pd.testing.assert_frame_equal(a[b.columns], b, check_dtype=False, check_exact=True, obj=name)
    segments = set(per_segment.pairs["segment"].dropna())
    assert segments == {"consumer", "enterprise", "small_business"}
    assert per_segment.pairs["segment"].isna().any()  # customers without a segment, unknown customers
    assert whole.sums is not None and len(pickle.dumps(whole)) < 200_000  # it does not grow with customers
    assert [g.group for g in whole.load] == [
        "all customers",
        "(none)",
        "consumer",
        "enterprise",
        "small_business",
    ]


def test_the_dashboard_reads_a_segment_from_the_unfiltered_result_and_computes_other_slices(
    demo: DemoData, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"duckdb:///{tmp_path_factory.mktemp('board') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, demo)
    read: list[str] = []
    table = Engine.table

    def counted(engine: Engine, name: str) -> Any:
        read.append(name)
        return table(engine, name)

    monkeypatch.setattr(Engine, "table", counted)
    board = Dashboard(demo_settings(store=StoreSettings(url=url)), precompute=False)
    try:
        consumer = board.journeys(Filters(segment="consumer"))  # computes the unfiltered result first
        assert "interactions" in read
        read.clear()
        board.journeys(ALL)
        enterprise = board.journeys(Filters(segment="enterprise"))
        assert read == []  # both answered from the unfiltered result
        phone = Filters(since="2025-01", until="2025-06", channel="phone")
        assert not only_segment(phone) and board.journeys(phone).measured
        assert "interactions" in read
        for f, got in ((Filters(segment="consumer"), consumer), (Filters(segment="enterprise"), enterprise)):
            _identical(got, analyze_journeys(board.engine, board.settings, filters=f))
    finally:
        board.close()
