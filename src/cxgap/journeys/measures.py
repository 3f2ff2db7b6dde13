"""The journey measures, each an aggregate the backend computes from the incident expression.

Python receives a few rows per measure: counts per bucket, cross-product sums for a regression, 2x2
tables per touchpoint pair. Intervals come from those sums (Wilson for shares, t for means, OLS
standard errors for the damage regression).
"""

from __future__ import annotations

import math
from typing import Any

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from cxgap.journeys.incidents import SECONDS_PER_DAY, capped
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
from cxgap.stats import Estimate, mean_interval, normal_difference, proportion_difference, wilson_interval

BUCKETS = ("0", "1", "2", "3+")


def _ones(condition: Any) -> Any:
    """1 where true, else 0 (PostgreSQL cannot cast a boolean to bigint)."""
    return ibis.ifelse(condition, 1, 0)


def _status(n: int, min_n: int) -> str:
    return "measured" if n >= min_n else "insufficient data"


def _frame(expr: Any) -> pd.DataFrame:
    return pd.DataFrame(expr.execute())


def incident_load(
    engine: Any, incidents: Any, limits: dict[str, int], confidence: float, min_n: int = 0
) -> tuple[IncidentLoad, ...]:
    """Incidents per customer (all customers, then per segment), customers without any counted as 0; a
    group of fewer than `min_n` customers is marked insufficient data."""
    visible = incidents.filter(~incidents.internal)
    per = visible.group_by(["customer_id", "incident"]).aggregate(n=visible.count())
    per = per.mutate(n=capped(per, "n", limits))
    k = per.group_by("customer_id").aggregate(k=per.n.sum())
    c = engine.table("customers")
    c = c.select(customer_id=c.customer_id.cast("string"), segment=c.segment.fill_null("(none)"))
    j = c.left_join(k, c.customer_id == k.customer_id).select(c.segment, k=k.k.fill_null(0))
    j = j.mutate(bucket=ibis.least(j.k, 3))
    sums = _frame(
        j.group_by(["segment", "bucket"]).aggregate(n=j.count(), total=j.k.sum(), sq=(j.k * j.k).sum())
    )
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


def _design(engine: Any, incidents: Any, names: list[str], limits: dict[str, int], survey: str) -> Any:
    """One row per outcome response: its NPS and the incidents of each kind before it (capped)."""
    r = engine.table("responses")
    r = r.filter((r.survey_kind == survey) & r.nps.notnull() & r.customer_id.notnull())
    r = r.select(
        r.response_id,
        customer_id=r.customer_id.cast("string"),
        answered=r.responded_at,
        y=r.nps.cast("float64"),
    )
    visible = incidents.filter(~incidents.internal)
    j = r.join(visible, [r.customer_id == visible.customer_id, visible.at < r.answered])
    j = j.select(r.response_id, visible.incident)
    per = j.group_by(["response_id", "incident"]).aggregate(n=j.count())
    per = per.mutate(n=capped(per, "n", limits))
    wide = per.group_by("response_id").aggregate(
        **{f"x{i}": per.n.sum(where=per.incident == name) for i, name in enumerate(names)}
    )
    x = r.left_join(wide, r.response_id == wide.response_id).select(
        r.y, **{f"x{i}": wide[f"x{i}"].fill_null(0).cast("float64") for i in range(len(names))}
    )
    k = sum((x[f"x{i}"] for i in range(len(names))), ibis.literal(0.0))
    return x.mutate(
        one=ibis.literal(1.0), extra=ibis.greatest(k - 1, 0), bucket=ibis.least(k, 3).cast("int64")
    )


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


def synergy(
    engine: Any,
    incidents: Any,
    names: list[str],
    limits: dict[str, int],
    survey: str,
    confidence: float,
    min_n: int,
) -> Synergy:
    """NPS on each incident kind's count plus the number of incidents beyond the first: the last
    coefficient is the negative synergy (extra damage per extra incident), 0 if damages simply add."""
    x = _design(engine, incidents, names, limits, survey)
    columns = ["one"] + [f"x{i}" for i in range(len(names))] + ["extra"]
    sums: dict[str, Any] = {"n": x.count(), "yy": (x.y * x.y).sum()}
    for a, first in enumerate(columns):
        sums[f"y_{a}"] = (x[first] * x.y).sum()
        for b in range(a, len(columns)):
            sums[f"p_{a}_{b}"] = (x[first] * x[columns[b]]).sum()
    by_bucket = _frame(x.group_by("bucket").aggregate(**sums)).fillna(0).sort_values("bucket")
    total = by_bucket.drop(columns="bucket").sum()
    n = int(total["n"])
    p = len(columns)
    xtx = np.zeros((p, p))
    for a in range(p):
        for b in range(a, p):
            xtx[a, b] = xtx[b, a] = total[f"p_{a}_{b}"]
    xty = np.array([total[f"y_{a}"] for a in range(p)])
    present = [i for i in range(p) if xtx[i, i] > 0]  # kinds that never happened cannot be estimated
    full = _ols(xtx[np.ix_(present, present)], xty[present], float(total["yy"]), n) if n >= min_n else None
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
    fit = _ols(xtx[np.ix_(additive, additive)], xty[additive], float(total["yy"]), n)
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


def _contacts(engine: Any, incidents: Any) -> Any:
    """Every contact with a customer and a touchpoint: when, where, and whether an incident rule failed it."""
    t = engine.table("interactions")
    t = t.filter(t.customer_id.notnull() & t.touchpoint.notnull())
    ev = t.select(
        record_id=t.interaction_id.cast("string"),
        customer_id=t.customer_id.cast("string"),
        at=t.occurred_at,
        touchpoint=t.touchpoint,
    )
    fails = incidents.filter(incidents.source == "interactions").select(fid=incidents.record_id).distinct()
    return ev.left_join(fails, ev.record_id == fails.fid).select(
        ev.customer_id, ev.at, ev.touchpoint, failed=fails.fid.notnull()
    )


def _pair_counts(engine: Any, incidents: Any) -> pd.DataFrame:
    """Per (upstream, downstream, whether the upstream touchpoint had failed before): customers whose first
    downstream contact after their first upstream one is counted, and how many of those contacts failed.

    A contact is the customer's first at its touchpoint after a moment when it comes after the moment and
    their previous contact there does not. Each customer's first contact (and first failure) at every
    touchpoint sits beside each of their contacts as columns, so every upstream touchpoint is judged in one
    pass over the contacts, with no join of every contact to every upstream touchpoint and no ranking."""
    evf = _contacts(engine, incidents)
    places = [str(v) for v in _frame(evf.select("touchpoint").distinct())["touchpoint"]]
    firsts = evf.group_by("customer_id").aggregate(
        **{f"f{i}": evf.at.min(where=evf.touchpoint == up) for i, up in enumerate(places)},
        **{f"x{i}": evf.at.min(where=(evf.touchpoint == up) & evf.failed) for i, up in enumerate(places)},
    )
    window = ibis.window(group_by=[evf.customer_id, evf.touchpoint], order_by=evf.at)
    ev = evf.mutate(before=evf.at.lag().over(window))
    j = ev.join(firsts, ev.customer_id == firsts.customer_id)
    marks: dict[str, Any] = {}
    for i, up in enumerate(places):  # per upstream touchpoint: counted, and the upstream had failed
        first = j[f"f{i}"]
        counted = (j.touchpoint != up) & (first < j.at) & (j.before.isnull() | (j.before <= first))
        marks[f"c{i}"] = counted.fill_null(False)
        marks[f"a{i}"] = (j[f"x{i}"] < j.at).fill_null(False)
    j = j.select("touchpoint", "failed", **marks)
    sums: dict[str, Any] = {}
    for i in range(len(places)):
        c, a = j[f"c{i}"], j[f"a{i}"]
        for flag, chosen in ((1, c & a), (0, c & ~a)):
            sums[f"n{i}_{flag}"] = j.count(where=chosen)
            sums[f"k{i}_{flag}"] = j.count(where=chosen & j.failed)
    wide = _frame(j.group_by("touchpoint").aggregate(**sums)) if places else pd.DataFrame()
    rows = [
        {
            "upstream": up,
            "downstream": row["touchpoint"],
            "up_failed": bool(flag),
            "n": int(row[f"n{i}_{flag}"] or 0),
            "failures": int(row[f"k{i}_{flag}"] or 0),
        }
        for row in wide.to_dict("records")
        for i, up in enumerate(places)
        for flag in (1, 0)
    ]
    table = pd.DataFrame(rows, columns=["upstream", "downstream", "up_failed", "n", "failures"])
    return table[table.n > 0]


def upstream_links(engine: Any, incidents: Any, confidence: float, min_n: int) -> list[UpstreamLink]:
    """Per ordered touchpoint pair: of customers who met the upstream touchpoint and then the downstream
    one, does their first downstream contact fail more often when the upstream one had failed before?"""
    table = _pair_counts(engine, incidents)
    out = []
    for (up, down), g in table.groupby(["upstream", "downstream"], sort=True):
        after, other = g[g.up_failed], g[~g.up_failed]
        if after.n.sum() < min_n or other.n.sum() < min_n or g.failures.sum() == 0:
            continue  # too few customers, or no rule can make the downstream touchpoint fail
        a = (int(after.failures.sum()), int(after.n.sum()))
        o = (int(other.failures.sum()), int(other.n.sum()))
        out.append(
            UpstreamLink(
                str(up),
                str(down),
                wilson_interval(*a, confidence),
                wilson_interval(*o, confidence),
                proportion_difference(o, a, confidence),
            )
        )
    return out


def channel_gaps(engine: Any, online: list[str], confidence: float, min_n: int) -> list[ChannelGap]:
    """Per touchpoint and reason: the share resolved online against offline."""
    t = engine.table("interactions")
    t = t.filter(t.reason.notnull() & t.channel.notnull() & t.resolved.notnull() & t.touchpoint.notnull())
    t = t.mutate(online=t.channel.isin(online))
    table = _frame(
        t.group_by(["touchpoint", "reason", "online"]).aggregate(n=t.count(), ok=_ones(t.resolved).sum())
    )
    out = []
    for (touchpoint, reason), g in table.groupby(["touchpoint", "reason"], sort=True):
        on, off = g[g.online], g[~g.online]
        if on.n.sum() < min_n or off.n.sum() < min_n:
            continue
        a = (int(on.ok.sum()), int(on.n.sum()))
        b = (int(off.ok.sum()), int(off.n.sum()))
        out.append(
            ChannelGap(
                str(touchpoint),
                str(reason),
                wilson_interval(*a, confidence),
                wilson_interval(*b, confidence),
                proportion_difference(b, a, confidence),
            )
        )
    return out


def repeat_contacts(engine: Any, days: float, confidence: float, min_n: int) -> list[RepeatContacts]:
    """Per touchpoint: the share of contacts followed within `days` by the same customer's next contact
    about the same reason, after a resolved and after an unresolved contact."""
    t = engine.table("interactions")
    t = t.filter(t.reason.notnull() & t.customer_id.notnull() & t.touchpoint.notnull())
    window = ibis.window(group_by=[t.customer_id, t.touchpoint, t.reason], order_by=t.occurred_at)
    t = t.mutate(next_at=t.occurred_at.lead().over(window))
    again = t.next_at.notnull() & (
        t.next_at.epoch_seconds() - t.occurred_at.epoch_seconds() <= days * SECONDS_PER_DAY
    )
    t = t.mutate(again=_ones(again), unresolved=~t.resolved.fill_null(True))
    table = _frame(t.group_by(["touchpoint", "unresolved"]).aggregate(n=t.count(), again=t.again.sum()))
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
    engine: Any, incidents: Any, touchpoints: list[str], confidence: float, min_n: int = 0
) -> tuple[FlowStep, ...]:
    """Per touchpoint, in the configured journey order: customers who reached it, the share with an
    incident there, and churn of those with one against those without; a touchpoint fewer than `min_n`
    customers reached is marked insufficient data."""
    t = engine.table("interactions")
    t = t.filter(t.customer_id.notnull() & t.touchpoint.isin(touchpoints))
    reached = t.select(customer_id=t.customer_id.cast("string"), touchpoint=t.touchpoint).distinct()
    failed = (
        incidents.select(incidents.customer_id, incidents.touchpoint).distinct().mutate(hit=ibis.literal(1))
    )
    c = engine.table("customers")
    c = c.select(customer_id=c.customer_id.cast("string"), churned=c.churned.fill_null(False))
    j = reached.left_join(
        failed, [reached.customer_id == failed.customer_id, reached.touchpoint == failed.touchpoint]
    )
    j = j.select(reached.customer_id, reached.touchpoint, hit=failed.hit.notnull())
    j = j.left_join(c, j.customer_id == c.customer_id).select(
        j.touchpoint, j.hit, churned=c.churned.fill_null(False)
    )
    table = _frame(j.group_by(["touchpoint", "hit"]).aggregate(n=j.count(), churned=_ones(j.churned).sum()))
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
