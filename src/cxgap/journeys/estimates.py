"""The journey measures as estimates with intervals, from the sums the backend computed (journeys.measures):
Wilson for shares, t for means, OLS standard errors for the damage regression. Nothing here reads the store,
so the same sums give the same estimates whether a slice's sums were queried or selected (journeys.segment).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from cxgap.journeys.schemas import (
    ChannelGap,
    CountDamage,
    FlowStep,
    IncidentLoad,
    RepeatContacts,
    Synergy,
    UpstreamLink,
    outcome_name,
)
from cxgap.stats import (
    Difference,
    Estimate,
    mean_interval,
    normal_difference,
    proportion_difference,
    wilson_interval,
)

BUCKETS = ("0", "1", "2", "3+")


def _status(n: int, min_n: int) -> str:
    return "measured" if n >= min_n else "insufficient data"


def incident_load(sums: pd.DataFrame, confidence: float, min_n: int = 0) -> tuple[IncidentLoad, ...]:
    """Incidents per customer (all customers, then per segment; customers without one as '(none)'), from
    `measures.load_sums`; a group of fewer than `min_n` customers is marked insufficient data."""
    sums = sums.assign(segment=sums["segment"].astype(object).where(sums["segment"].notna(), "(none)"))
    out = []
    groups = [("all customers", sums)] + [(str(s), g) for s, g in sums.groupby("segment", sort=True)]
    for name, g in groups:
        n = int(g.n.sum())
        if n == 0:
            continue
        shares = {
            label: wilson_interval(int(g.n[g.bucket == b].sum()), n, confidence)
            for b, label in enumerate(BUCKETS)
        }
        mean = mean_interval(n, float(g.total.sum()), float(g.sq.sum()), confidence)
        out.append(IncidentLoad(name, n, mean, shares, _status(n, min_n)))
    return tuple(out)


def _ols(xtx: np.ndarray, xty: np.ndarray, yty: float, n: int) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Coefficients, their covariance and the residual variance from the normal equations."""
    p = len(xty)
    if n <= p or np.linalg.matrix_rank(xtx) < p:
        return None
    inverse = np.linalg.inv(xtx)
    beta = inverse @ xty
    rss = max(yty - 2 * beta @ xty + beta @ xtx @ beta, 0.0)
    s2 = rss / (n - p)
    return beta, s2 * inverse, s2


def _coefficient(beta: np.ndarray, cov: np.ndarray, i: int, n: int, p: int, confidence: float) -> Estimate:
    se = math.sqrt(max(cov[i, i], 0.0))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - p)) * se
    return Estimate(float(beta[i]), float(beta[i] - half), float(beta[i] + half), n, se, confidence)


def synergy(by_bucket: pd.DataFrame, names: list[str], survey: str, confidence: float, min_n: int) -> Synergy:
    """NPS on each incident kind's count plus the number of incidents beyond the first (from
    `measures.damage_sums`, one row per bucket): the last coefficient is the negative synergy (extra
    damage per extra incident), 0 if damages simply add."""
    by_bucket = by_bucket.sort_values("bucket")
    total = by_bucket.drop(columns="bucket").sum()
    n = int(total["n"]) if len(by_bucket) else 0
    p = len(names) + 2
    xtx = np.zeros((p, p))
    for a in range(p):
        for b in range(a, p):
            xtx[a, b] = xtx[b, a] = total.get(f"p_{a}_{b}", 0.0)
    xty = np.array([total.get(f"y_{a}", 0.0) for a in range(p)])
    present = [i for i in range(p) if xtx[i, i] > 0]  # kinds that never happened cannot be estimated
    yy = float(total.get("yy", 0.0))
    full = _ols(xtx[np.ix_(present, present)], xty[present], yy, n) if n >= min_n else None
    if full is None:
        return Synergy(outcome_name(survey), n, None, {}, (), "insufficient data")
    beta, cov, _ = full
    single = {
        names[i - 1]: _coefficient(beta, cov, j, n, len(present), confidence)
        for j, i in enumerate(present)
        if 0 < i < p - 1
    }
    extra = (
        _coefficient(beta, cov, len(present) - 1, n, len(present), confidence) if p - 1 in present else None
    )
    additive = [i for i in present if i != p - 1]
    fit = _ols(xtx[np.ix_(additive, additive)], xty[additive], yy, n)
    by_count = _by_count(by_bucket, additive, fit[0] if fit else None, confidence)
    return Synergy(outcome_name(survey), n, extra, single, by_count)


def _by_count(
    by_bucket: pd.DataFrame, additive: list[int], beta: np.ndarray | None, confidence: float
) -> tuple[CountDamage, ...]:
    """Mean outcome per incident count against the sum of the single damages (the additive model)."""
    out = []
    for row in by_bucket.to_dict("records"):
        m = int(row["n"])
        if m < 2 or beta is None:
            continue
        observed = mean_interval(m, float(row["y_0"]), float(row["yy"]), confidence)
        predicted = float(sum(beta[j] * row[f"p_0_{i}"] for j, i in enumerate(additive)) / m)
        diff = observed.value - predicted
        shortfall = Estimate(
            diff,
            diff - (observed.value - observed.low),
            diff + (observed.high - observed.value),
            m,
            observed.se,
            confidence,
        )
        out.append(CountDamage(BUCKETS[int(row["bucket"])], m, observed, predicted, shortfall))
    return tuple(out)


def upstream_links(table: pd.DataFrame, confidence: float, min_n: int) -> list[UpstreamLink]:
    """Per ordered touchpoint pair (from `measures.pair_counts`): of customers who met the upstream
    touchpoint and then the downstream one, does their first downstream contact fail more often when the
    upstream one had failed before?"""
    out = []
    for (up, down), g in table.groupby(["upstream", "downstream"], sort=True):
        after, other = g[g.up_failed], g[~g.up_failed]
        if after.n.sum() < min_n or other.n.sum() < min_n or g.failures.sum() == 0:
            continue  # too few customers, or no rule can make the downstream touchpoint fail
        shares = _two_shares(after, other, "failures", confidence)
        out.append(UpstreamLink(str(up), str(down), *shares))
    return out


def _two_shares(
    first: pd.DataFrame, second: pd.DataFrame, hits: str, confidence: float
) -> tuple[Estimate, Estimate, Difference]:
    """The share of `hits` among n in two groups of summed rows, each with its Wilson interval, and the
    first's share minus the second's with its interval."""
    a = (int(first[hits].sum()), int(first.n.sum()))
    b = (int(second[hits].sum()), int(second.n.sum()))
    return (
        wilson_interval(*a, confidence),
        wilson_interval(*b, confidence),
        proportion_difference(b, a, confidence),
    )


def channel_gaps(table: pd.DataFrame, confidence: float, min_n: int) -> list[ChannelGap]:
    """Per touchpoint and reason (from `measures.channel_sums`): the share resolved online against offline."""
    out = []
    for (touchpoint, reason), g in table.groupby(["touchpoint", "reason"], sort=True):
        on, off = g[g.online], g[~g.online]
        if on.n.sum() < min_n or off.n.sum() < min_n:
            continue
        out.append(ChannelGap(str(touchpoint), str(reason), *_two_shares(on, off, "ok", confidence)))
    return out


def repeat_contacts(table: pd.DataFrame, confidence: float, min_n: int) -> list[RepeatContacts]:
    """Per touchpoint (from `measures.repeat_sums`): the share of contacts followed within the window by
    the same customer's next contact about the same reason, after a resolved and an unresolved contact."""
    out = []
    for touchpoint, g in table.groupby("touchpoint", sort=True):
        bad, good = g[g.unresolved], g[~g.unresolved]
        n = int(g.n.sum())
        if n < min_n:
            continue
        u = (int(bad.again.sum()), int(bad.n.sum()))
        r = (int(good.again.sum()), int(good.n.sum()))
        diff = (
            proportion_difference(r, u, confidence)
            if u[1] and r[1]
            else normal_difference(math.nan, math.nan, u[1], r[1], confidence)
        )
        out.append(
            RepeatContacts(
                str(touchpoint),
                n,
                wilson_interval(int(g.again.sum()), n, confidence),
                wilson_interval(*u, confidence),
                wilson_interval(*r, confidence),
                diff,
            )
        )
    return out


def journey_flow(
    table: pd.DataFrame, touchpoints: list[str], confidence: float, min_n: int = 0
) -> tuple[FlowStep, ...]:
    """Per touchpoint, in the configured journey order (from `measures.flow_sums`): customers who reached
    it, the share with an incident there, and churn of those with one against those without; a touchpoint
    fewer than `min_n` customers reached is marked insufficient data."""
    out = []
    for touchpoint in touchpoints:
        g = table[table.touchpoint == touchpoint]
        n = int(g.n.sum())
        if n == 0:
            continue
        bad, good = g[g.hit], g[~g.hit]
        out.append(
            FlowStep(
                touchpoint,
                n,
                wilson_interval(int(bad.n.sum()), n, confidence),
                wilson_interval(int(bad.churned.sum()), int(bad.n.sum()), confidence),
                wilson_interval(int(good.churned.sum()), int(good.n.sum()), confidence),
                _status(n, min_n),
            )
        )
    return tuple(out)
