"""The money behind "where to act first": each shortfall's yearly value at stake from the impact chain.

Customer gaps take the value of closing them (gap -> NPS -> churn -> revenue); operational gaps take the
revenue at stake among customers who met the failure (a late visit, a missed or unresolved contact, a wait
over the standard) against the touchpoint's other customers. The ranking itself is `cxgap.gaps.priorities`.
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import pandas as pd

from cxgap.config import Settings
from cxgap.engine import ALL, Engine, Filters
from cxgap.gaps import GapReport
from cxgap.gaps.operations import metric_of
from cxgap.gaps.priorities import GapKey, Priorities, Target, ValueAtStake, metric_name, prioritise
from cxgap.impact import impact
from cxgap.impact.exposure import Exposure, exposure_from_counts

# share metrics and the failure (cxgap.impact.exposure.FAILURES) that makes them
SHARE_FAILURES = {
    "on_time_rate": ("late", "a late visit"),
    "missed_rate": ("missed", "a missed contact"),
    "first_contact_resolution": ("unresolved", "an unresolved contact"),
    "repeat_rate": ("repeat contact", "a repeat contact"),
}


def targets(engine: Engine) -> dict[GapKey, Target]:
    """Every standard (implementation gaps) and promise (communication gaps) by the gap it measures."""
    out: dict[GapKey, Target] = {}
    for table, kind, column, source in (
        ("standards", "implementation", "target", "standard"),
        ("promises", "communication", "promised_value", "promise"),
    ):
        frame = pd.DataFrame(engine.table(table).execute())
        for row in frame.to_dict("records"):
            key = (kind, str(row["touchpoint"]), str(row["metric"]))
            out[key] = Target(float(row[column]), str(row["direction"]), source)
    return out


def over_target(
    engine: Engine, touchpoint: str, metric: str, target: Target, confidence: float, min_n: int
) -> Exposure | None:
    """Churn of customers who met the touchpoint's mean metric (a wait, a callback) beyond its target at
    least once, against its other measured customers; None with too few on either side."""
    spec = metric_of(metric)
    if spec is None or spec.kind != "mean":
        return None
    i = engine.table("interactions")
    i = i.filter(i.customer_id.notnull() & (i.touchpoint == touchpoint) & i[spec.column].notnull())
    only = metric.partition("@")[2] or spec.only_kind
    if only:
        i = i.filter(i.kind == only)
    if spec.skip_kind:
        i = i.filter(i.kind != spec.skip_kind)
    measured = i[spec.column].cast("float64") * spec.scale
    beyond = measured > target.value if target.direction == "at_most" else measured < target.value
    per = i.group_by("customer_id").aggregate(f=ibis.ifelse(beyond, 1, 0).max())
    c = engine.table("customers").select("customer_id", "churned", "revenue")
    j = per.join(c, "customer_id")
    churned = ibis.ifelse(j.churned, 1, 0)
    row: Any = (
        j.aggregate(
            n=j.count(),
            x=j.f.sum(),
            xc=(j.f * churned).sum(),
            c=churned.sum(),
            r=(j.f.cast("float64") * j.revenue.cast("float64").fill_null(0.0)).sum(),
        )
        .execute()
        .iloc[0]
    )
    n, x = int(row.n or 0), int(row.x or 0)
    if x < min_n or n - x < min_n or not math.isfinite(float(row.r or 0.0)):
        return None
    exposed = (int(row.xc or 0), x)
    others = (int(row.c or 0) - exposed[0], n - x)
    return exposure_from_counts(
        f"{touchpoint}: {metric}", math.nan, exposed, others, float(row.r), confidence
    )


def _from_exposure(exposure: Exposure, what: str, touchpoint: str) -> ValueAtStake:
    d = exposure.difference
    chain = (
        f"{exposure.exposed.n:,} customers who met {what} at {touchpoint} churned "
        f"{100 * d.value:+.1f} points [{100 * d.low:+.1f}, {100 * d.high:+.1f}] more than its other "
        f"{exposure.others.n:,} customers x their yearly revenue"
    )
    return ValueAtStake(exposure.revenue_at_stake, exposure.revenue_low, exposure.revenue_high, chain)


def _operational_values(
    engine: Engine,
    report: GapReport,
    goals: dict[GapKey, Target],
    found: dict[str, Exposure],
    settings: Settings,
) -> dict[GapKey, ValueAtStake | str]:
    a = settings.analysis
    out: dict[GapKey, ValueAtStake | str] = {}
    for gap in report.gaps:
        key = (gap.kind, gap.touchpoint, gap.subject)
        if key not in goals or gap.touchpoint is None or gap.priority <= 0:
            continue
        base = gap.subject.partition("@")[0]
        if base in SHARE_FAILURES:
            failure, what = SHARE_FAILURES[base]
            exposure = found.get(f"{gap.touchpoint}: {failure}")
        else:
            target = goals[key]
            exposure = over_target(engine, gap.touchpoint, gap.subject, target, a.confidence, a.min_n)
            limit = f"{target.value:g}" + (
                " s" if gap.unit == "seconds" else " h" if gap.unit == "hours" else ""
            )
            what = (
                f"a {metric_name(gap.subject)} {'over' if target.direction == 'at_most' else 'under'} {limit}"
            )
        if exposure is not None:
            out[key] = _from_exposure(exposure, what, gap.touchpoint)
    return out


def where_to_act(
    engine: Engine, settings: Settings, report: GapReport, filters: Filters = ALL, limit: int = 10
) -> Priorities:
    """Where to act first in the slice: its shortfalls with their yearly value at stake, ranked."""
    result = impact(engine, settings, report)
    values: dict[GapKey, ValueAtStake | str] = {}
    whole = " (the value chain is estimated on the whole store)" if filters.active else ""
    for v in result.values.values:
        if v.what.startswith("close the ") and v.what.endswith(" gap"):
            subject = v.what.removeprefix("close the ").removesuffix(" gap")
            values[("customer", None, subject)] = ValueAtStake(v.value, v.low, v.high, v.chain + whole)
    missing_chain = [n for n in result.notes if "customer gap" in n]
    for gap in report.of_kind("customer"):
        key: GapKey = ("customer", None, gap.subject)
        if gap.touchpoint is None and gap.segment is None and key not in values and missing_chain:
            values[key] = "value not measured: " + missing_chain[0][0].lower() + missing_chain[0][1:]
    goals = targets(engine)
    found = {e.driver: e for e in result.exposures}
    for gap_key, value in _operational_values(engine, report, goals, found, settings).items():
        values[gap_key] = (
            ValueAtStake(value.value, value.low, value.high, value.chain + whole)
            if isinstance(value, ValueAtStake)
            else value
        )
    return prioritise(report, values, goals, limit)
