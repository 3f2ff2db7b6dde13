"""The impact chain's links, fitted once per store version on the whole store and reused by every slice.

How a point of a dimension moves NPS, how an NPS point moves churn, and how much more the customers who met
a failure at a touchpoint churn than its other customers are properties of the company, estimated where the
data are largest. A slice brings its own gaps, its own customers and their revenue; `cxgap.impact.act_first`
puts them through these links.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd

from cxgap.config import Settings
from cxgap.drivers.data import dimension_drivers, item_drivers
from cxgap.engine import Engine, number, whole, with_data_defaults
from cxgap.gaps.operations import metric_of
from cxgap.gaps.priorities import GapKey, Target
from cxgap.impact.exposure import Exposure, churn_by_exposure, exposure_from_counts
from cxgap.impact.value import Slope, churn_per_nps_point, nps_per_dimension_point
from cxgap.stats import Estimate, mean_interval

NO_ITEMS = (
    "The value of closing each customer gap needs relational answers that rate the configured items "
    "together with NPS (response_items); there are too few to estimate the links."
)
NO_CHURN_SLOPE = (
    "The value of closing each customer gap needs churn per NPS point: relational NPS answers from "
    "customers whose churn is known, with more than one NPS value."
)


@dataclass(frozen=True)
class ValueChain:
    """The whole store's links: NPS per point of each dimension, churn per NPS point, and per failure at a
    touchpoint (`exposures`, keyed 'support: unresolved'; `beyond`, keyed by the gap of a mean metric past its
    standard or promise) the churn of the customers who met it against the touchpoint's others. `customers` and
    `revenue` are the whole store's active customers and their yearly revenue; `missing` says why customer
    gaps cannot be valued (None when they can)."""

    nps_slopes: dict[str, Slope]
    churn_slope: Slope
    customers: int
    revenue: Estimate
    exposures: dict[str, Exposure] = field(default_factory=dict)
    beyond: dict[GapKey, Exposure] = field(default_factory=dict)
    missing: str | None = None


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


def beyond_target(i: Any, metric: str, target: Target) -> tuple[Any, Any] | None:
    """For a mean metric (a wait, a callback): the conditions that an interaction of `i` is measured on it
    and that it misses `target`; None for a share metric (its failures are FAILURES)."""
    spec = metric_of(metric)
    if spec is None or spec.kind != "mean":
        return None
    measured = i[spec.column].notnull()
    only = metric.partition("@")[2] or spec.only_kind
    if only:
        measured &= i.kind == only
    if spec.skip_kind:
        measured &= i.kind != spec.skip_kind
    value = i[spec.column].cast("float64") * spec.scale
    return measured, value > target.value if target.direction == "at_most" else value < target.value


def over_target(
    engine: Engine, touchpoint: str, metric: str, target: Target, confidence: float, min_n: int
) -> Exposure | None:
    """Churn of customers who met the touchpoint's mean metric (a wait, a callback) beyond its target at
    least once, against its other measured customers; None with too few on either side."""
    i = engine.table("interactions")
    i = i.filter(i.customer_id.notnull() & (i.touchpoint == touchpoint))
    found = beyond_target(i, metric, target)
    if found is None:
        return None
    measured, beyond = found
    i = i.filter(measured)
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
    n, x = whole(row.n), whole(row.x)
    if x < min_n or n - x < min_n or not math.isfinite(number(row.r)):
        return None
    exposed = (whole(row.xc), x)
    others = (whole(row.c) - exposed[0], n - x)
    return exposure_from_counts(
        f"{touchpoint}: {metric}", math.nan, exposed, others, float(row.r), confidence
    )


def active_revenue(active: Any, confidence: float) -> tuple[int, Estimate]:
    """How many active customers `active` holds and their mean yearly revenue with its interval."""
    rev = active.revenue.cast("float64")
    sums = active.aggregate(m=active.count(), n=rev.count(), s=rev.sum(), q=(rev * rev).sum()).execute()
    row = sums.iloc[0]
    revenue = mean_interval(whole(row.n), number(row.s), number(row.q), confidence)
    return whole(row.m), revenue


def dimension_slopes(engine: Engine, settings: Settings) -> dict[str, Slope]:
    """NPS points per point of each configured dimension, fitted on all relational answers together."""
    scores = dimension_drivers(item_drivers(engine, settings.items, "nps"), settings.items)
    return nps_per_dimension_point(scores.values, scores.drivers)


def fit_chain(engine: Engine, settings: Settings) -> ValueChain:
    """The whole store's links (see ValueChain): the slow part of valuing gaps, done once per store version."""
    settings = with_data_defaults(engine, settings)
    a = settings.analysis
    c = engine.table("customers")
    customers, revenue = active_revenue(c.filter(~c.churned), a.confidence)
    slopes = dimension_slopes(engine, settings) if settings.items else {}
    churn_slope = churn_per_nps_point(engine) if slopes else Slope(math.nan, math.nan)
    missing = None
    if settings.items and not slopes:
        missing = NO_ITEMS
    elif settings.items and not math.isfinite(churn_slope.value):
        missing = NO_CHURN_SLOPE
    exposures = {e.driver: e for e in churn_by_exposure(engine, a.confidence, a.min_n)}
    beyond = {}
    for key, target in targets(engine).items():
        touchpoint, metric = key[1], key[2]
        exposure = (
            None
            if touchpoint is None
            else over_target(engine, touchpoint, metric, target, a.confidence, a.min_n)
        )
        if exposure is not None:
            beyond[key] = exposure
    return ValueChain(slopes, churn_slope, customers, revenue, exposures, beyond, missing)
