"""The money behind "where to act first": each shortfall's yearly value at stake from the impact chain.

Customer gaps take the value of closing them (gap -> NPS -> churn -> revenue); operational gaps take the
revenue at stake among customers who met the failure (a late visit, a missed or unresolved contact, a wait
over the standard) against the touchpoint's other customers. The ranking itself is `cxgap.gaps.priorities`.

The chain's links are the company's, fitted once per store version on the whole store (`fit_chain`). A slice
brings its own gaps and its own customers: a customer gap's value is the slice's gap x the whole store's
NPS per point x churn per NPS point x the slice's yearly revenue x its active customers; an operational
gap's value is the revenue of the slice's customers who met the failure x how much more the whole store's
customers who met it churned. So a slice's figures add up to no more than its own customers hold.
"""

from __future__ import annotations

from typing import Any

import ibis

from cxgap.config import Settings
from cxgap.engine import ALL, Engine, Filters, number, whole, with_data_defaults
from cxgap.gaps import Gap, GapReport
from cxgap.gaps.priorities import GapKey, Priorities, Target, ValueAtStake, metric_name, prioritise
from cxgap.impact.chain import (
    ValueChain,
    active_revenue,
    beyond_target,
    fit_chain,
    over_target,
    targets,
)
from cxgap.impact.exposure import FAILURES, Exposure
from cxgap.impact.value import gap_values
from cxgap.journeys.slice import customers_in

# share metrics and the failure (cxgap.impact.exposure.FAILURES) that makes them
SHARE_FAILURES = {
    "on_time_rate": ("late", "a late visit"),
    "missed_rate": ("missed", "a missed contact"),
    "first_contact_resolution": ("unresolved", "an unresolved contact"),
    "repeat_rate": ("repeat contact", "a repeat contact"),
}
IN_SLICE = "; the links are the whole store's, the gap and customers this selection's"

__all__ = ["SHARE_FAILURES", "ValueChain", "fit_chain", "over_target", "targets", "where_to_act"]


def _from_exposure(exposure: Exposure, what: str, touchpoint: str) -> ValueAtStake:
    d = exposure.difference
    chain = (
        f"{exposure.exposed.n:,} customers who met {what} at {touchpoint} churned "
        f"{100 * d.value:+.1f} points [{100 * d.low:+.1f}, {100 * d.high:+.1f}] more than its other "
        f"{exposure.others.n:,} customers x their yearly revenue"
    )
    return ValueAtStake(exposure.revenue_at_stake, exposure.revenue_low, exposure.revenue_high, chain)


def _in_slice(exposure: Exposure, met: int, revenue: float, what: str, touchpoint: str) -> ValueAtStake:
    """The whole store's extra churn of customers who met a failure, applied to the revenue of the slice's
    customers who met it (the interval is the extra churn's, as for the whole store)."""
    d = exposure.difference
    half = (d.high - d.low) / 2
    chain = (
        f"{met:,} customers in this selection who met {what} at {touchpoint} x their yearly revenue x the "
        f"{100 * d.value:+.1f} points [{100 * d.low:+.1f}, {100 * d.high:+.1f}] more churn of the whole "
        f"store's {exposure.exposed.n:,} customers who met it than its other {exposure.others.n:,}"
    )
    return ValueAtStake(revenue * d.value, revenue * (d.value - half), revenue * (d.value + half), chain)


def _failure(gap: Gap, target: Target, chain: ValueChain) -> tuple[Exposure, str] | None:
    """The whole store's exposure behind an operational gap, and the failure in words."""
    touchpoint, subject = gap.touchpoint, gap.subject
    base = subject.partition("@")[0]
    if base in SHARE_FAILURES:
        failure, what = SHARE_FAILURES[base]
        exposure = chain.exposures.get(f"{touchpoint}: {failure}")
        return None if exposure is None else (exposure, what)
    exposure = chain.beyond.get((gap.kind, touchpoint, subject))
    if exposure is None:
        return None
    unit = " s" if gap.unit == "seconds" else " h" if gap.unit == "hours" else ""
    side = "over" if target.direction == "at_most" else "under"
    return exposure, f"a {metric_name(subject)} {side} {target.value:g}{unit}"


def _met_in_slice(
    engine: Engine, filters: Filters, wanted: dict[GapKey, Target]
) -> dict[GapKey, tuple[int, float]]:
    """Per operational gap: how many of the slice's customers met its failure in the slice's interactions
    at least once, and their yearly revenue (one query for all of them)."""
    i = filters.on_events(
        engine.table("interactions"), "occurred_at", engine.table("customers"), touchpoint=True
    )
    i = i.filter(i.customer_id.notnull() & i.touchpoint.isin(sorted({k[1] for k in wanted if k[1]})))
    flags: dict[str, Any] = {}
    keys = list(wanted)
    for k, (_, touchpoint, subject) in enumerate(keys):
        base = subject.partition("@")[0]
        if base in SHARE_FAILURES:
            column, failing = FAILURES[SHARE_FAILURES[base][0]]
            met = i[column] == failing
        else:
            measured, beyond = beyond_target(i, subject, wanted[keys[k]]) or (ibis.literal(False),) * 2
            met = measured & beyond
        flags[f"f{k}"] = ibis.ifelse((i.touchpoint == touchpoint) & met.fill_null(False), 1, 0).max()
    per = i.group_by("customer_id").aggregate(**flags)
    c = engine.table("customers").select("customer_id", "revenue")
    j = per.join(c, "customer_id")
    revenue = j.revenue.cast("float64").fill_null(0.0)
    sums: dict[str, Any] = {}
    for k in range(len(keys)):
        f = j[f"f{k}"]
        sums |= {f"x{k}": f.sum(), f"r{k}": (f.cast("float64") * revenue).sum()}
    row = j.aggregate(**sums).execute().iloc[0]
    return {key: (whole(row[f"x{k}"]), number(row[f"r{k}"])) for k, key in enumerate(keys)}


def _operational_values(
    engine: Engine, report: GapReport, goals: dict[GapKey, Target], chain: ValueChain, filters: Filters
) -> dict[GapKey, ValueAtStake]:
    """The value at stake of each operational shortfall with a target and a measured failure."""
    found: dict[GapKey, tuple[Exposure, str]] = {}
    for gap in report.gaps:
        key = (gap.kind, gap.touchpoint, gap.subject)
        if key in goals and gap.touchpoint is not None and gap.priority > 0:
            failure = _failure(gap, goals[key], chain)
            if failure is not None:
                found[key] = failure
    if not filters.active:
        return {k: _from_exposure(e, what, str(k[1])) for k, (e, what) in found.items()}
    met = _met_in_slice(engine, filters, {k: goals[k] for k in found}) if found else {}
    return {k: _in_slice(e, *met[k], what, str(k[1])) for k, (e, what) in found.items()}


def _customer_values(
    engine: Engine, settings: Settings, report: GapReport, chain: ValueChain, filters: Filters
) -> dict[GapKey, ValueAtStake | str]:
    """The value of closing each of the slice's company-wide customer gaps, or why it is not measured."""
    values: dict[GapKey, ValueAtStake | str] = {}
    if not settings.items:
        return values
    if chain.missing is None:
        customers, revenue = chain.customers, chain.revenue
        if filters.active:
            c = customers_in(engine, filters)
            customers, revenue = active_revenue(c.filter(~c.churned), settings.analysis.confidence)
        confidence = settings.analysis.confidence
        found = gap_values(report, chain.nps_slopes, chain.churn_slope, revenue, customers, confidence)
        for v in found:
            subject = v.what.removeprefix("close the ").removesuffix(" gap")
            chain_text = v.chain + (IN_SLICE if filters.active else "")
            values[("customer", None, subject)] = ValueAtStake(v.value, v.low, v.high, chain_text)
        return values
    reason = "value not measured: " + chain.missing[0].lower() + chain.missing[1:]
    for gap in report.of_kind("customer"):
        if gap.touchpoint is None and gap.segment is None:
            values[("customer", None, gap.subject)] = reason
    return values


def where_to_act(
    engine: Engine,
    settings: Settings,
    report: GapReport,
    filters: Filters = ALL,
    limit: int = 10,
    chain: ValueChain | None = None,
) -> Priorities:
    """Where to act first in the slice `report` measures: its shortfalls with their yearly value at stake,
    ranked. `chain`: the whole store's links for this store version (fitted here when not given); the
    slice contributes its gaps, its reach and its customers (see the module's note)."""
    settings = with_data_defaults(engine, settings)
    chain = chain if chain is not None else fit_chain(engine, settings)
    values = _customer_values(engine, settings, report, chain, filters)
    goals = targets(engine)
    values |= _operational_values(engine, report, goals, chain, filters)
    return prioritise(report, values, goals, limit)
