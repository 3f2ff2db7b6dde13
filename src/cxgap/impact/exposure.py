"""Gap exposure: customers who met a failure (a late visit, a missed call, an unresolved contact...) against
those who used the same touchpoint without meeting it: churn with intervals, and the revenue at stake.

Exposure is counted per customer in the backend: one row per touchpoint comes back.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import ibis
import pandas as pd
from scipy import stats

from cxgap.engine import Engine, number, whole
from cxgap.stats import Difference, Estimate, proportion_difference, wilson_interval

# name -> (interaction column, the failing value)
FAILURES = {
    "late": ("on_time", False),
    "missed": ("handled", False),
    "unresolved": ("resolved", False),
    "repeat contact": ("repeat_contact", True),
}


@dataclass(frozen=True)
class Exposure:
    """Exposed customers' outcome rate against the others', and the yearly revenue at stake
    (the exposed customers' revenue times the extra rate, with the difference's interval)."""

    driver: str
    at: float
    exposed: Estimate
    others: Estimate
    difference: Difference
    revenue_at_stake: float
    revenue_low: float
    revenue_high: float

    @property
    def label(self) -> str:
        """What the exposure is, in words: 'tech_support = 0' or 'support: unresolved'."""
        return self.driver if math.isnan(self.at) else f"{self.driver} = {self.at:g}"


def exposure_from_counts(
    name: str, at: float, exposed: tuple[int, int], others: tuple[int, int], revenue: float, confidence: float
) -> Exposure:
    """One exposure from (events, n) of the exposed and of the others, and the exposed customers' revenue;
    `at` is the driver value that means exposed (NaN when the name says it all)."""
    diff = proportion_difference(others, exposed, confidence)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    se = (diff.high - diff.low) / (2 * z)
    return Exposure(
        name,
        at,
        wilson_interval(*exposed, confidence),
        wilson_interval(*others, confidence),
        diff,
        revenue * diff.value,
        revenue * (diff.value - z * se),
        revenue * (diff.value + z * se),
    )


def exposures_frame(exposures: list[Exposure]) -> pd.DataFrame:
    """One row per exposure with flattened estimates."""
    rows = []
    for e in exposures:
        row: dict[str, Any] = {"exposure": e.driver, "revenue_at_stake": e.revenue_at_stake}
        for part in ("exposed", "others", "difference"):
            row |= {f"{part}_{k}": v for k, v in asdict(getattr(e, part)).items() if k != "confidence"}
        rows.append(row)
    return pd.DataFrame(rows)


def churn_by_exposure(engine: Engine, confidence: float = 0.95, min_n: int = 30) -> list[Exposure]:
    """Per touchpoint and failure: churn of customers who met it at least once vs the touchpoint's other users."""
    i = engine.table("interactions")
    i = i.filter(i.customer_id.notnull())
    flags = {name: ibis.ifelse(i[column] == value, 1, 0).max() for name, (column, value) in FAILURES.items()}
    per = i.group_by(["customer_id", "touchpoint"]).aggregate(
        **{f"f{k}": v for k, v in enumerate(flags.values())}
    )
    c = engine.table("customers").select("customer_id", "churned", "revenue")
    j = per.join(c, "customer_id")
    churned = ibis.ifelse(j.churned, 1, 0)
    revenue = j.revenue.cast("float64").fill_null(0.0)
    measures: dict[str, Any] = {}
    for k in range(len(flags)):
        f = j[f"f{k}"]
        measures |= {
            f"n{k}": f.count(),
            f"x{k}": f.sum(),
            f"xc{k}": (f * churned).sum(),
            f"c{k}": (churned * ibis.ifelse(f.notnull(), 1, 0)).sum(),
            f"r{k}": (f.cast("float64") * revenue).sum(),
        }
    frame = j.group_by("touchpoint").aggregate(**measures).execute()
    out = []
    for row in frame.sort_values("touchpoint").to_dict("records"):
        for k, name in enumerate(flags):
            n, x = whole(row[f"n{k}"]), whole(row[f"x{k}"])
            if x < min_n or n - x < min_n:
                continue
            exposed = (int(row[f"xc{k}"]), x)
            others = (int(row[f"c{k}"]) - exposed[0], n - x)
            revenue_exposed = number(row[f"r{k}"])
            if not math.isfinite(revenue_exposed):
                continue
            out.append(
                exposure_from_counts(
                    f"{row['touchpoint']}: {name}", math.nan, exposed, others, revenue_exposed, confidence
                )
            )
    return out
