"""Churn risk of a filter slice, read out of one scored store: the model is fitted and every customer scored
once per store version (`store_risk`), and a slice only picks its customers and sums again (health per
segment, revenue at risk, the health trend), so a slice costs a selection, never a refit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from cxgap.churn.explain import by_segment, reasons, revenue_at_risk
from cxgap.churn.health import HealthModel
from cxgap.churn.schemas import HealthPoint, RiskReport, SegmentHealth
from cxgap.engine import Engine, Filters
from cxgap.stats import mean_interval, wilson_interval

REASONS_FOR = 1_000  # a slice's riskiest customers get their reasons in words (as the whole store's do)


@dataclass(frozen=True)
class Explainer:
    """What explains a scored customer after the fit: the baseline model (reasons), the health model
    (components) and the features every current customer was scored on, in the scored table's order."""

    baseline: Any
    columns: tuple[str, ...]  # the features the baseline reads
    health: HealthModel
    features: pd.DataFrame  # one row per row of RiskReport.scored, float32 (memory: 15 columns a customer)


def segment_health(
    scores: np.ndarray, segment: np.ndarray | pd.Categorical[Any] | None, confidence: float
) -> tuple[SegmentHealth, ...]:
    """Mean health with its interval and the share below 40, for all customers and per segment (a group
    of fewer than two customers has no interval and is left out)."""
    out = []
    for label, rows in by_segment(segment):
        s = scores if rows is None else scores[rows]
        if len(s) < 2:
            continue
        mean = mean_interval(len(s), float(s.sum()), float((s**2).sum()), confidence)
        out.append(
            SegmentHealth(str(label), len(s), mean, wilson_interval(int((s < 40).sum()), len(s), confidence))
        )
    return tuple(out)


def health_explained(health: HealthModel, features: pd.DataFrame, limit: int = 3) -> list[str]:
    """Each customer's health component by component: the points each costs or adds against a neutral
    50, largest first ("nps_latest -9.8, incidents_90d -6.0, tenure_days +3.1")."""
    parts = health.contributions(features)
    names, values = list(parts.columns), parts.to_numpy(dtype=float)
    out = []
    for row in values:
        ranked = _largest_first(np.abs(row))[:limit]
        out.append(", ".join(f"{names[j]} {row[j]:+.1f}" for j in ranked))
    return out


def _largest_first(values: np.ndarray) -> np.ndarray:
    """Positions of `values` largest first, ties in the order pandas' `sort_values(ascending=False)` gives
    them (the same quicksort on the reversed values), so the words are those of a row-by-row pandas sort."""
    n = len(values)
    return np.arange(n)[::-1][values[::-1].argsort(kind="quicksort")][::-1]


def slice_customers(engine: Engine, filters: Filters) -> np.ndarray | None:
    """The ids of the customers in a slice: of its segment, and (with a period, channel or touchpoint) with
    a survey response or an interaction inside it; None when nothing is restricted (every customer)."""
    if not filters.active:
        return None
    customers = engine.table("customers")
    chosen = None
    if filters.segment:
        chosen = customers.filter(customers.segment == filters.segment).select(
            customer_id=customers.customer_id.cast("string")
        )
    if filters.since or filters.until or filters.channel or filters.touchpoint:
        events = Filters(filters.since, filters.until, None, filters.channel, filters.touchpoint)
        active = None
        for table, time in (("responses", "responded_at"), ("interactions", "occurred_at")):
            t = events.on_events(engine.table(table), time, touchpoint=True)
            t = t.filter(t.customer_id.notnull()).select(customer_id=t.customer_id.cast("string"))
            active = t if active is None else active.union(t, distinct=True)
        assert active is not None
        chosen = active if chosen is None else active.filter(active.customer_id.isin(chosen.customer_id))
    assert chosen is not None
    return np.asarray(chosen.distinct().execute()["customer_id"].to_numpy(), dtype=object)


def _explained(report: RiskReport, scored: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """`scored` (a slice of the report's table, `rows` its row numbers there) with reasons in words for
    its riskiest customers that the whole store's top did not already explain."""
    explainer = report.explainer
    top = np.arange(min(REASONS_FOR, len(scored)))
    missing = top[scored["reasons"].to_numpy()[top] == ""]
    if explainer is None or not len(missing):
        return scored
    features = explainer.features.iloc[rows[missing]].astype(float).reset_index(drop=True)
    scored = scored.copy()
    scored.loc[missing, "reasons"] = reasons(explainer.baseline, features[list(explainer.columns)])
    scored.loc[missing, "health_why"] = health_explained(explainer.health, features)
    return scored


def _trend(
    report: RiskReport, chosen: np.ndarray, segments: tuple[SegmentHealth, ...], confidence: float
) -> tuple[HealthPoint, ...]:
    """The slice's health per segment at each earlier snapshot (its customers active then), then now."""
    history = report.history
    if history is None or not report.trend:
        return ()
    points = []
    inside = history[history["customer_id"].isin(chosen)]
    moment: Any
    for moment, group in inside.groupby("as_of", sort=True, observed=True):
        health = group["health"].to_numpy(dtype=float)
        for s in segment_health(health, group["segment"].astype(str).to_numpy(), confidence):
            points.append(HealthPoint(pd.Timestamp(moment).date(), s.segment, s.mean))
    if report.scored_as_of is not None:
        points += [HealthPoint(report.scored_as_of.date(), s.segment, s.mean) for s in segments]
    return tuple(points)


def risk_of_slice(
    report: RiskReport, chosen: np.ndarray | None, confidence: float = 0.95, description: str = ""
) -> RiskReport:
    """The report for the customers `chosen` (None: the report itself): the same fitted models and held-out
    scores (they judge the model, fitted on the whole store), the slice's scored customers riskiest first,
    health per segment, revenue at risk and the health trend of those customers."""
    if chosen is None:
        return report
    keep = report.scored["customer_id"].isin(pd.Index(chosen)).to_numpy()
    rows = np.flatnonzero(keep)
    scored = _explained(report, report.scored.iloc[rows].reset_index(drop=True), rows)
    segment = scored["segment"].astype(str).to_numpy()
    segments = segment_health(scored["health"].to_numpy(dtype=float), segment, confidence)
    revenue = revenue_at_risk(
        scored["risk"].to_numpy(dtype=float), scored["revenue"].to_numpy(dtype=float), segment, confidence
    )
    return replace(
        report,
        scored=scored,
        segments=segments,
        revenue=tuple(revenue),
        trend=_trend(report, chosen, segments, confidence),
        selection=f"{len(scored):,} current customers of {description or 'the selection'}",
    )


def slice_risk(engine: Engine, report: RiskReport, filters: Filters, confidence: float = 0.95) -> RiskReport:
    """The store's risk report (`store_risk`) read for the customers of `filters` (see `slice_customers`)."""
    return risk_of_slice(report, slice_customers(engine, filters), confidence, filters.describe())
