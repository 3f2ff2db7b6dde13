"""Business impact: outcomes by NPS group, and what moving detractors or closing a gap is worth per year."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cxgap.config import Settings
from cxgap.drivers.data import dimension_drivers, item_drivers
from cxgap.engine import Engine
from cxgap.gaps import GapReport
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
    """Outcomes by NPS group and yearly values with intervals."""

    linkage: Linkage
    values: ValueReport
    customers: int
    exposures: tuple[Exposure, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The values, one row each (outcomes by group: `linkage.to_frame()`)."""
        return self.values.to_frame()


def impact(
    engine: Engine, settings: Settings, gaps: GapReport | None = None, share: float = 0.10, seed: int = 0
) -> ImpactReport:
    """Link experience to money: churn, revenue and growth by NPS group; the value of moving `share` of
    detractors to passive; and, given a gap report, the value of closing each company-wide customer gap."""
    confidence = settings.analysis.confidence
    link = linkage(engine, confidence)
    c = engine.table("customers")
    active = c.filter(~c.churned)
    customers = int(active.count().execute())
    values = []
    if {g.group for g in link.groups} >= {"passive", "detractor"}:
        values.append(detractor_shift(link, customers, share, confidence, seed))
    if gaps is not None and settings.items:
        scores = dimension_drivers(item_drivers(engine, settings.items, "nps"), settings.items)
        rev = active.revenue.cast("float64")
        sums = active.aggregate(n=rev.count(), s=rev.sum(), q=(rev * rev).sum()).execute().iloc[0]
        revenue = mean_interval(int(sums.n), float(sums.s or 0), float(sums.q or 0), confidence)
        slopes = nps_per_dimension_point(scores.values, scores.drivers)
        values += gap_values(gaps, slopes, churn_per_nps_point(engine), revenue, customers, confidence, seed)
    exposures = tuple(churn_by_exposure(engine, confidence, settings.analysis.min_n))
    return ImpactReport(link, ValueReport(tuple(values)), customers, exposures)


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
