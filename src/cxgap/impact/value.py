"""What closing a gap is worth: money per year, with its uncertainty carried through every link.

Each link of a chain (gap -> driver -> outcome -> revenue) is an estimate with a standard error; the value
is simulated from all of them together (Monte Carlo), so the interval reflects every link, not one.
The chain reads associations as effects: the value is what the data imply *if* they are causal.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import ibis
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from cxgap.engine import Engine
from cxgap.gaps import GapReport
from cxgap.impact.linkage import Linkage
from cxgap.stats import Estimate

DRAWS = 20_000


@dataclass(frozen=True)
class Value:
    """A yearly money value with its interval, and the chain that produced it, in words."""

    what: str
    value: float
    low: float
    high: float
    chain: str


@dataclass(frozen=True)
class ValueReport:
    """Values of moving detractors and of closing each customer gap."""

    values: tuple[Value, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per value."""
        return pd.DataFrame([asdict(v) for v in self.values])


def _draw(e: Estimate, rng: np.random.Generator) -> NDArray[np.float64]:
    se = e.se if math.isfinite(e.se) else 0.0
    return rng.normal(e.value, se, DRAWS)


def _summary(what: str, draws: NDArray[np.float64], chain: str, confidence: float) -> Value:
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return Value(what, float(np.median(draws)), float(low), float(high), chain)


def detractor_shift(
    link: Linkage, customers: int, share: float = 0.10, confidence: float = 0.95, seed: int = 0
) -> Value:
    """Yearly revenue gained by moving `share` of the customer base's detractors to passive.

    A customer's next-year revenue is revenue x (1 - churn) x (1 + growth) of their group; the detractor
    share among respondents is applied to all `customers`.
    """
    rng = np.random.default_rng(seed)
    d, p = link.group("detractor"), link.group("passive")
    surveyed = sum(g.customers for g in link.groups)
    moved = share * customers * d.customers / surveyed
    kept_p = (1 - _draw(p.churn, rng)) * (1 + _draw(p.growth, rng))
    kept_d = (1 - _draw(d.churn, rng)) * (1 + _draw(d.growth, rng))
    draws = moved * _draw(d.revenue, rng) * (kept_p - kept_d)
    chain = (
        f"{share:.0%} of {customers * d.customers / surveyed:,.0f} detractors x yearly revenue x "
        "(passive's - detractor's retention x growth)"
    )
    return _summary(f"move {share:.0%} of detractors to passive", draws, chain, confidence)


@dataclass(frozen=True)
class Slope:
    """A regression slope with its standard error."""

    value: float
    se: float


def churn_per_nps_point(engine: Engine) -> Slope:
    """Linear-probability slope of churn on the latest relational NPS answer (0-10), from backend sums."""
    g = engine.table("responses")
    g = g.filter((g.survey_kind == "relational") & g.nps.notnull() & g.customer_id.notnull())
    per = g.group_by("customer_id").aggregate(x=g.nps.cast("float64").mean())
    c = engine.table("customers").select("customer_id", "churned")
    j = per.join(c, "customer_id")
    y = ibis.ifelse(j.churned, 1.0, 0.0)  # PostgreSQL cannot cast a boolean to a number
    s = (
        j.aggregate(
            n=j.count(),
            sx=j.x.sum(),
            sy=y.sum(),
            sxx=(j.x * j.x).sum(),
            sxy=(j.x * y).sum(),
            syy=(y * y).sum(),
        )
        .execute()
        .iloc[0]
    )
    n = float(s.n)
    if n < 3:
        return Slope(math.nan, math.nan)
    sxx = float(s.sxx - s.sx**2 / n)
    sxy = float(s.sxy - s.sx * s.sy / n)
    syy = float(s.syy - s.sy**2 / n)
    if sxx <= 0:  # every customer gave the same NPS: no slope to estimate
        return Slope(math.nan, math.nan)
    slope = sxy / sxx
    resid = max(syy - slope * sxy, 0.0) / (n - 2)
    return Slope(float(slope), math.sqrt(resid / sxx))


def nps_per_dimension_point(scores: NDArray[np.float64], names: tuple[str, ...]) -> dict[str, Slope]:
    """OLS of NPS (last column) on all dimension scores together (complete rows): effect of one point.

    Empty when the slopes cannot be estimated: fewer complete answers than the model has terms plus one
    (no residual variance), or dimensions that never vary or move together (a singular design).
    """
    rows = scores[~np.isnan(scores).any(axis=1)]
    x = np.column_stack([np.ones(len(rows)), rows[:, :-1]])
    y = rows[:, -1]
    if len(rows) <= x.shape[1] or np.linalg.matrix_rank(x) < x.shape[1]:
        return {}
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    sigma2 = float(resid @ resid) / (len(rows) - x.shape[1])
    cov = sigma2 * np.linalg.inv(x.T @ x)
    return {name: Slope(float(beta[k + 1]), math.sqrt(cov[k + 1, k + 1])) for k, name in enumerate(names)}


def gap_values(
    report: GapReport,
    nps_slopes: dict[str, Slope],
    churn_slope: Slope,
    revenue: Estimate,
    customers: int,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[Value]:
    """Yearly revenue kept by closing each significant company-wide customer gap (P - E < 0).

    Chain: gap (points) x NPS per point of the dimension x churn per NPS point x yearly revenue x customers.
    """
    if not (math.isfinite(churn_slope.value) and math.isfinite(churn_slope.se)):
        return []
    rng = np.random.default_rng(seed)
    z = float(stats.norm.ppf(0.5 + confidence / 2))  # the gaps' intervals are at this confidence
    out = []
    for gap in report.of_kind("customer"):
        if gap.touchpoint is not None or gap.segment is not None or not gap.significant or gap.value >= 0:
            continue
        slope = nps_slopes.get(gap.subject)
        if slope is None:
            continue
        half = (gap.high - gap.low) / 2
        gap_se = half / z if math.isfinite(half) else 0.0
        closed = -rng.normal(gap.value, gap_se, DRAWS)
        draws = (
            closed
            * rng.normal(slope.value, slope.se, DRAWS)
            * -rng.normal(churn_slope.value, churn_slope.se, DRAWS)
            * _draw(revenue, rng)
            * customers
        )
        chain = (
            f"close {-gap.value:.2f} points of {gap.subject} x {slope.value:.2f} NPS points per point x "
            f"{-churn_slope.value * 100:.2f}% less churn per NPS point x yearly revenue x {customers:,} customers"
        )
        out.append(_summary(f"close the {gap.subject} gap", draws, chain, confidence))
    return out
