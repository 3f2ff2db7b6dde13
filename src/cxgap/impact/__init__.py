"""Business impact: outcomes by NPS group, and what moving detractors or closing a gap is worth per year."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cxgap.config import Settings
from cxgap.drivers.data import dimension_drivers, item_drivers
from cxgap.engine import Engine, number, with_data_defaults
from cxgap.gaps import GapReport
from cxgap.impact.chain import NO_CHURN_SLOPE, NO_ITEMS
from cxgap.impact.exposure import FAILURES, Exposure, churn_by_exposure, exposures_frame
from cxgap.impact.linkage import GROUPS, GroupOutcome, Linkage, linkage, nps_groups
from cxgap.impact.value import (
    Slope,
    Value,
    ValueReport,
    churn_per_nps_point,
    detractor_shift,
    gap_values,
    nps_per_dimension_point,
)
from cxgap.stats import mean_interval


@dataclass(frozen=True)
class ImpactReport:
    """Outcomes by NPS group and yearly values with intervals; `notes` say, in words, which part could not
    be measured and the data it needs."""

    linkage: Linkage
    values: ValueReport
    customers: int
    exposures: tuple[Exposure, ...] = ()
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The values, one row each (outcomes by group: `linkage.to_frame()`)."""
        return self.values.to_frame()


def _linkage_needs(engine: Engine, known_customers: int) -> str:
    """Why no NPS group could be linked to churn and revenue: no customers, no answers, or no match."""
    if known_customers == 0:
        return (
            "The customers table is empty: churn and revenue by NPS group need your customers (import the "
            "CRM table first)."
        )
    r = engine.table("responses")
    answers = int(r.filter((r.survey_kind == "relational") & r.nps.notnull()).count().execute())
    if answers == 0:
        return (
            "Churn and revenue by NPS group need relational NPS answers tied to customers (responses with "
            "survey_kind 'relational', nps and customer_id); the store has none yet."
        )
    return (
        f"None of the {answers:,} relational NPS answers names a customer in the customers table; churn "
        "and revenue by NPS group need the survey's customer ids to match the CRM's."
    )


def impact(
    engine: Engine, settings: Settings, gaps: GapReport | None = None, share: float = 0.10, seed: int = 0
) -> ImpactReport:
    """Link experience to money: churn, revenue and growth by NPS group; the value of moving `share` of
    detractors to passive; and, given a gap report, the value of closing each company-wide customer gap.

    A part the data cannot support is skipped and named in the report's notes (never estimated from
    too little: a singular regression or a missing link gives no value at all)."""
    settings = with_data_defaults(engine, settings)  # each rated item a dimension where cxgap.toml names none
    confidence = settings.analysis.confidence
    notes: list[str] = []
    link = linkage(engine, confidence)
    c = engine.table("customers")
    active = c.filter(~c.churned)
    customers = int(active.count().execute())
    values = []
    if {g.group for g in link.groups} >= {"passive", "detractor"}:
        values.append(detractor_shift(link, customers, share, confidence, seed))
    elif not link.groups:
        notes.append(_linkage_needs(engine, int(c.count().execute())))
    else:
        notes.append(
            "Moving detractors to passive needs both passives and detractors among the linked NPS answers."
        )
    if gaps is not None and settings.items:
        scores = dimension_drivers(item_drivers(engine, settings.items, "nps"), settings.items)
        slopes = nps_per_dimension_point(scores.values, scores.drivers)
        churn_slope = churn_per_nps_point(engine)
        if not slopes:
            notes.append(NO_ITEMS)
        elif not math.isfinite(churn_slope.value):
            notes.append(NO_CHURN_SLOPE)
        else:
            rev = active.revenue.cast("float64")
            sums = active.aggregate(n=rev.count(), s=rev.sum(), q=(rev * rev).sum()).execute().iloc[0]
            revenue = mean_interval(int(sums.n), number(sums.s), number(sums.q), confidence)
            values += gap_values(gaps, slopes, churn_slope, revenue, customers, confidence, seed)
    exposures = tuple(churn_by_exposure(engine, confidence, settings.analysis.min_n))
    if not exposures and int(engine.table("interactions").count().execute()) == 0:
        notes.append(
            "Churn by gap exposure needs interactions (calls, visits, tickets with customer, touchpoint and "
            "whether each was handled, resolved or on time); the store has none yet."
        )
    return ImpactReport(link, ValueReport(tuple(values)), customers, exposures, tuple(notes))


__all__ = [
    "FAILURES",
    "Exposure",
    "churn_by_exposure",
    "exposures_frame",
    "GROUPS",
    "GroupOutcome",
    "ImpactReport",
    "Linkage",
    "Slope",
    "Value",
    "ValueReport",
    "churn_per_nps_point",
    "detractor_shift",
    "gap_values",
    "impact",
    "linkage",
    "nps_groups",
    "nps_per_dimension_point",
]
