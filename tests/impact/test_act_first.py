"""Where to act first in a slice: the whole store's chain (fitted once) applied to the slice's own gaps and
customers, checked against the links and the slice's customers read straight from the tables with pandas;
the unfiltered view is the impact report's, as before the chain was kept."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from cxgap.config import Settings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import ALL, Engine, Filters
from cxgap.gaps import GapReport, Priorities, ValueAtStake, analyze, prioritise
from cxgap.gaps.operations import metric_of
from cxgap.impact import impact
from cxgap.impact.act_first import SHARE_FAILURES, ValueChain, fit_chain, over_target, targets, where_to_act
from cxgap.impact.exposure import FAILURES
from cxgap.impact.value import gap_values
from cxgap.stats import mean_interval
from cxgap.store import Store

SLICES = {
    "segment": Filters(segment="consumer"),
    "period and channel": Filters(since="2025-01", until="2025-06", channel="phone"),
}


def _table(store: Store, name: str) -> pd.DataFrame:
    with store.engine.connect() as conn:
        return pd.read_sql_query(sa.text(f"SELECT * FROM {name}"), conn)


def _in_slice(frame: pd.DataFrame, time: str, f: Filters) -> pd.DataFrame:
    """Event rows within the slice's period and channel (the test's slices set no touchpoint)."""
    at = pd.to_datetime(frame[time])
    keep = pd.Series(True, index=frame.index)
    if f.first_day:
        keep &= at >= pd.Timestamp(f.first_day)
    if f.end:
        keep &= at < pd.Timestamp(f.end)
    if f.channel:
        keep &= frame["channel"] == f.channel
    return frame[keep]


def _customers(store: Store, f: Filters) -> pd.DataFrame:
    """The slice's customers: of the segment, and with a period or channel, with an answer or a contact
    inside it."""
    c = _table(store, "customers")
    if f.segment:
        c = c[c.segment == f.segment]
    if f.since or f.until or f.channel:
        active = set(_in_slice(_table(store, "responses"), "responded_at", f).customer_id)
        active |= set(_in_slice(_table(store, "interactions"), "occurred_at", f).customer_id)
        c = c[c.customer_id.isin(active)]
    return c


def _expected(
    store: Store, settings: Settings, report: GapReport, chain: ValueChain, f: Filters
) -> Priorities:
    """The ranking the whole store's links give the slice's gaps, its active customers and their revenue,
    and the revenue of its customers who met each failure."""
    customers = _customers(store, f)
    active = customers[customers.churned == False]  # noqa: E712 (a null churn is not active)
    rev = active.revenue.dropna().astype(float)
    revenue = mean_interval(
        len(rev), float(rev.sum()), float((rev * rev).sum()), settings.analysis.confidence
    )
    values: dict[tuple[str, str | None, str], ValueAtStake | str] = {}
    found = gap_values(report, chain.nps_slopes, chain.churn_slope, revenue, len(active))
    for v in found:
        values[("customer", None, v.what.removeprefix("close the ").removesuffix(" gap"))] = ValueAtStake(
            v.value, v.low, v.high, v.chain
        )
    goals = targets(Engine(store))
    events = _in_slice(_table(store, "interactions"), "occurred_at", f)
    events = events[events.customer_id.isin(customers.customer_id)]
    revenue_of = customers.set_index("customer_id").revenue.astype(float).fillna(0.0)
    exposures = chain.exposures | {f"{k[0]}: {k[1]}: {k[2]}": e for k, e in chain.beyond.items()}
    for gap in report.gaps:
        key = (gap.kind, gap.touchpoint, gap.subject)
        if key not in goals or gap.priority <= 0:
            continue
        at = events[events.touchpoint == gap.touchpoint]
        base, _, kind = gap.subject.partition("@")
        if base in SHARE_FAILURES:
            failure = SHARE_FAILURES[base][0]
            exposure = exposures.get(f"{gap.touchpoint}: {failure}")
            column, failing = FAILURES[failure]
            at = at[at[column] == failing]
        else:
            spec, target = metric_of(gap.subject), goals[key]
            assert spec is not None and spec.kind == "mean"
            exposure = exposures.get(f"{gap.kind}: {gap.touchpoint}: {gap.subject}")
            if kind or spec.only_kind:
                at = at[at.kind == (kind or spec.only_kind)]
            if spec.skip_kind:
                at = at[at.kind != spec.skip_kind]
            measured = at[spec.column].astype(float) * spec.scale
            at = at[measured > target.value if target.direction == "at_most" else measured < target.value]
        if exposure is None:
            continue
        r = float(revenue_of.loc[sorted(set(at.customer_id))].sum())
        d = exposure.difference
        half = (d.high - d.low) / 2
        values[key] = ValueAtStake(r * d.value, r * (d.value - half), r * (d.value + half), "")
    return prioritise(report, values, goals)


# two runs of one query: DuckDB adds doubles on two threads in either order (the last bits; CI saw
# 1649327.5015215925 against ...913)
SUMS = 1e-12


@pytest.fixture(scope="module")
def whole(demo_engine: Engine) -> ValueChain:
    return fit_chain(demo_engine, demo_settings())


@pytest.mark.parametrize("name", SLICES)
def test_a_slice_ranks_its_own_gaps_and_customers_through_the_whole_store_chain(
    name: str, demo_engine: Engine, whole: ValueChain
) -> None:
    settings, f = demo_settings(), SLICES[name]
    report = analyze(demo_engine, settings, filters=f)
    got = where_to_act(demo_engine, settings, report, f, chain=whole)
    want = _expected(demo_engine.store, settings, report, whole, f)
    assert [p.gap for p in got.items] == [p.gap for p in want.items] and got.items
    valued = 0
    for g, w in zip(got.items, want.items, strict=True):
        assert g.reason == w.reason and g.valued == w.valued
        assert (g.value is None) == (w.value is None), g
        if g.value is not None and w.value is not None:
            assert (g.value.value, g.value.low, g.value.high) == pytest.approx(
                (w.value.value, w.value.low, w.value.high), rel=1e-9
            )
            assert "this selection" in g.value.chain
            valued += 1
    assert valued >= 2
    # fitted here, the same chain gives the same ranking and values (to DuckDB's summing order, see SUMS):
    # the slice never refits what it was given
    again = where_to_act(demo_engine, settings, report, f).items
    assert [(p.gap, p.reason, p.target) for p in again] == [(p.gap, p.reason, p.target) for p in got.items]
    for a, g in zip(again, got.items, strict=True):
        assert (a.value is None) == (g.value is None)
        if a.value is not None and g.value is not None:
            assert a.value.chain == g.value.chain
            assert (a.value.value, a.value.low, a.value.high) == pytest.approx(
                (g.value.value, g.value.low, g.value.high), rel=SUMS
            )


def test_a_slice_holds_less_money_than_the_whole_store(demo_engine: Engine, whole: ValueChain) -> None:
    settings = demo_settings()
    everything = where_to_act(demo_engine, settings, analyze(demo_engine, settings), chain=whole)
    f = SLICES["segment"]
    part = where_to_act(demo_engine, settings, analyze(demo_engine, settings, filters=f), f, chain=whole)
    total = {(p.gap.kind, p.gap.touchpoint, p.gap.subject): p.value for p in everything.items if p.value}
    for p in part.items:
        whole_value = total.get((p.gap.kind, p.gap.touchpoint, p.gap.subject))
        if p.value is not None and whole_value is not None and p.gap.kind != "customer":
            assert 0 < p.value.value < whole_value.value  # consumers are a part of the exposed customers


def test_the_unfiltered_view_is_the_impact_reports_values(demo_engine: Engine, whole: ValueChain) -> None:
    """As before the chain was fitted apart: customer gaps take impact()'s values, share failures its
    exposures' revenue at stake, a wait over its standard the over-target exposure."""
    settings = demo_settings()
    report = analyze(demo_engine, settings)
    act = where_to_act(demo_engine, settings, report, ALL, chain=whole)
    result = impact(demo_engine, settings, report)
    closing = {v.what.removeprefix("close the ").removesuffix(" gap"): v for v in result.values.values}
    exposures = {e.driver: e for e in result.exposures}
    goals = targets(demo_engine)
    checked = set()
    for p in act.items:
        if p.value is None:
            continue
        g = p.gap
        if g.kind == "customer":
            v = closing[g.subject]
            assert p.value.chain == v.chain
            assert (p.value.value, p.value.low, p.value.high) == pytest.approx(
                (v.value, v.low, v.high), rel=SUMS
            )
        elif g.subject.partition("@")[0] in SHARE_FAILURES:
            e = exposures[f"{g.touchpoint}: {SHARE_FAILURES[g.subject.partition('@')[0]][0]}"]
            assert (p.value.value, p.value.low, p.value.high) == pytest.approx(
                (e.revenue_at_stake, e.revenue_low, e.revenue_high), rel=SUMS
            )
        else:
            a = settings.analysis
            e = over_target(
                demo_engine,
                str(g.touchpoint),
                g.subject,
                goals[(g.kind, g.touchpoint, g.subject)],
                a.confidence,
                a.min_n,
            )  # type: ignore[assignment]
            assert e is not None and p.value.value == pytest.approx(e.revenue_at_stake, rel=SUMS)
        checked.add(g.kind)
        assert "this selection" not in p.value.chain and "whole store" not in p.value.chain
    assert {"customer", "implementation"} <= checked


def test_the_slice_query_reads_the_same_on_both_backends(store: Store) -> None:
    """The slice's customers and who met each failure, counted by the backend, on DuckDB and PostgreSQL."""
    write_demo(store, simulate(1_500, seed=7))
    engine, settings = Engine(store), demo_settings()
    f = Filters(since="2025-01", until="2025-09", segment="consumer")
    chain = fit_chain(engine, settings)
    report = analyze(engine, settings, filters=f)
    got = where_to_act(engine, settings, report, f, chain=chain)
    want = _expected(store, settings, report, chain, f)
    assert [p.gap for p in got.items] == [p.gap for p in want.items]
    for g, w in zip(got.items, want.items, strict=True):
        assert (g.value is None) == (w.value is None), g
        if g.value is not None and w.value is not None:
            assert g.value.value == pytest.approx(w.value.value, rel=1e-9)
