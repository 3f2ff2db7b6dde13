"""Business linkage: churn, revenue and revenue growth per NPS group, from sums the backend computes.

A customer's NPS group comes from their latest relational answer. Revenue growth compares the last two outcome
periods for the customers present throughout both (started before the first, churned in neither) (a ratio of sums with a delta-method interval).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import ibis
import pandas as pd
from scipy import stats

from cxgap.engine import Engine, number
from cxgap.stats import Estimate, mean_interval, wilson_interval

GROUPS = ("promoter", "passive", "detractor")


@dataclass(frozen=True)
class GroupOutcome:
    """One NPS group's churn, revenue and revenue growth, each with n and an interval."""

    group: str
    customers: int
    churn: Estimate
    revenue: Estimate
    growth: Estimate


@dataclass(frozen=True)
class Linkage:
    """Outcomes by NPS group; `periods` are the two outcome periods growth compares."""

    groups: tuple[GroupOutcome, ...]
    periods: tuple[str, str] | None

    def group(self, name: str) -> GroupOutcome:
        """The outcomes of one group ('promoter', 'passive', 'detractor')."""
        return next(g for g in self.groups if g.group == name)

    def to_frame(self) -> pd.DataFrame:
        """One row per group and measure, with value, interval and n."""
        rows = []
        for g in self.groups:
            for measure in ("churn", "revenue", "growth"):
                e: Estimate = getattr(g, measure)
                rows.append({"group": g.group, "measure": measure} | asdict(e))
        return pd.DataFrame(rows)


def nps_groups(engine: Engine) -> Any:
    """Per customer: the NPS group of their latest relational answer."""
    r = engine.table("responses")
    r = r.filter((r.survey_kind == "relational") & r.nps.notnull() & r.customer_id.notnull())
    latest = r.mutate(rank=ibis.row_number().over(group_by=r.customer_id, order_by=ibis.desc(r.responded_at)))
    latest = latest.filter(latest.rank == 0)
    group = ibis.cases((latest.nps >= 9, "promoter"), (latest.nps >= 7, "passive"), else_="detractor")
    return latest.select("customer_id", group=group)


def _ratio(n: int, sx: float, sy: float, sxx: float, syy: float, sxy: float, confidence: float) -> Estimate:
    """Growth = sum(y)/sum(x) - 1 with a delta-method interval (pairs of one customer's two periods)."""
    if n < 2 or sx <= 0:
        return Estimate(math.nan, math.nan, math.nan, n, math.nan, confidence)
    ratio = sy / sx
    # variance of the residuals y - ratio * x, from the sums
    resid = (syy - 2 * ratio * sxy + ratio**2 * sxx) / (n - 1)
    se = math.sqrt(max(resid, 0.0) / n) / (sx / n)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    return Estimate(ratio - 1, ratio - 1 - z * se, ratio - 1 + z * se, n, se, confidence)


def _growth(sums: Any, confidence: float) -> Estimate:
    """Growth of one group from its aggregated row (n, sx, sy, sxx, syy, sxy)."""
    x, y = float(sums.sx), float(sums.sy)
    return _ratio(int(sums.n), x, y, float(sums.sxx), float(sums.syy), float(sums.sxy), confidence)


def _periods(engine: Engine) -> tuple[Any, Any] | None:
    o = engine.table("outcomes")
    frame = o.select("period").distinct().order_by("period").execute()
    if len(frame) < 2:
        return None
    return frame["period"].iloc[-2], frame["period"].iloc[-1]


def linkage(engine: Engine, confidence: float = 0.95) -> Linkage:
    """Churn (Wilson), yearly revenue (t) and revenue growth between the last two outcome periods, per group."""
    groups = nps_groups(engine)
    c = engine.table("customers").select("customer_id", "churned", "revenue")
    joined = groups.join(c, "customer_id")
    rev = joined.revenue.cast("float64")
    base = (
        joined.group_by("group")
        .aggregate(
            n=joined.count(),
            churned=ibis.ifelse(joined.churned, 1, 0).sum(),
            n_rev=rev.count(),
            s_rev=rev.sum(),
            q_rev=(rev * rev).sum(),
        )
        .execute()
    )
    periods = _periods(engine)
    growth = pd.DataFrame()
    if periods is not None:
        o = engine.table("outcomes")
        first = o.filter((o.period == periods[0]) & ~o.churned.fill_null(False))
        last = o.filter((o.period == periods[1]) & ~o.churned.fill_null(False))
        # customers present for the whole of both periods: started before the first, churned in neither
        known = engine.table("customers").select("customer_id", "started_at")
        known = known.filter(known.started_at.isnull() | (known.started_at <= periods[0]))
        pair = groups.join(known.select("customer_id"), "customer_id")
        pair = pair.join(first.select("customer_id", x=first.revenue.cast("float64")), "customer_id")
        pair = pair.join(last.select("customer_id", y=last.revenue.cast("float64")), "customer_id")
        pair = pair.filter(pair.x.notnull() & pair.y.notnull())
        growth = (
            pair.group_by("group")
            .aggregate(
                n=pair.count(),
                sx=pair.x.sum(),
                sy=pair.y.sum(),
                sxx=(pair.x * pair.x).sum(),
                syy=(pair.y * pair.y).sum(),
                sxy=(pair.x * pair.y).sum(),
            )
            .execute()
        )
    out = []
    for name in GROUPS:
        row = base[base["group"] == name]
        if row.empty:
            continue
        b = row.iloc[0]
        g = growth[growth["group"] == name] if len(growth) else growth
        change = (
            _growth(g.iloc[0], confidence)
            if len(g)
            else Estimate(math.nan, math.nan, math.nan, 0, math.nan, confidence)
        )
        out.append(
            GroupOutcome(
                name,
                int(b.n),
                wilson_interval(int(b.churned), int(b.n), confidence),
                mean_interval(int(b.n_rev), number(b.s_rev), number(b.q_rev), confidence),
                change,
            )
        )
    shown = (str(periods[0])[:10], str(periods[1])[:10]) if periods else None
    return Linkage(tuple(out), shown)
