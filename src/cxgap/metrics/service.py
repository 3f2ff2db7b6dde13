"""Metrics from the store: Ibis aggregates per group in the backend, then `compute` in Python."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxgap.engine import ALL, Engine, Filters
from cxgap.errors import CxgapError
from cxgap.metrics.compute import changes, scores
from cxgap.metrics.schemas import METRICS, ChangeTable, ScoreTable

GROUPINGS = ("survey_kind", "touchpoint", "channel", "segment", "region", "period")
PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}
TOP_BOX = {"csat_top2": 4, "ces_easy": 5}


def _check(metric: str, by: tuple[str, ...], period: str) -> None:
    if metric not in METRICS:
        raise CxgapError(f"Unknown metric '{metric}'; choose one of {', '.join(METRICS)}.")
    unknown = [b for b in by if b not in GROUPINGS]
    if unknown:
        raise CxgapError(f"Cannot group by '{unknown[0]}'; choose from {', '.join(GROUPINGS)}.")
    if period not in PERIODS:
        raise CxgapError(f"period = '{period}' is not one of {', '.join(PERIODS)}.")


def _responses(
    engine: Engine, by: tuple[str, ...], period: str, since: str | None, until: str | None, filters: Filters
) -> Any:
    r = filters.on_events(
        engine.table("responses"), "responded_at", engine.table("customers"), touchpoint=True
    )
    if since:
        r = r.filter(r.responded_at >= pd.Timestamp(since))
    if until:
        r = r.filter(r.responded_at < pd.Timestamp(until))
    if {"segment", "region"} & set(by):
        c = engine.table("customers").select("customer_id", "segment", "region")
        r = r.left_join(c, r.customer_id == c.customer_id).drop("customer_id_right")
    if "period" in by:
        r = r.mutate(period=r.responded_at.truncate(PERIODS[period]).cast("date"))
    return r


def aggregate(
    engine: Engine,
    metric: str,
    by: tuple[str, ...],
    *,
    period: str = "month",
    since: str | None = None,
    until: str | None = None,
    filters: Filters = ALL,
) -> pd.DataFrame:
    """Per-group sufficient statistics of a metric, computed by the backend on the `filters`' slice."""
    column = "nps" if metric == "nps" else metric.split("_")[0]
    r = _responses(engine, by, period, since, until, filters)
    r = r.filter(r[column].notnull())
    value = r[column]
    if metric == "nps":
        measures = {"n": r.count(), "promoters": (value >= 9).sum(), "detractors": (value <= 6).sum()}
    elif metric in TOP_BOX:
        measures = {"n": r.count(), "top": (value >= TOP_BOX[metric]).sum()}
    else:
        number = value.cast("float64")
        measures = {"n": r.count(), "total": number.sum(), "total_sq": (number * number).sum()}
    grouped = r.group_by(list(by)).aggregate(**measures) if by else r.aggregate(**measures)
    return pd.DataFrame(grouped.execute())


def _keys(by: tuple[str, ...]) -> tuple[str, ...]:
    """Relational and transactional surveys are never mixed silently: survey_kind is always a key."""
    return by if "survey_kind" in by else ("survey_kind", *by)


def score(
    engine: Engine,
    metric: str,
    by: tuple[str, ...] = (),
    *,
    min_n: int = 30,
    confidence: float = 0.95,
    period: str = "month",
    since: str | None = None,
    until: str | None = None,
    filters: Filters = ALL,
) -> ScoreTable:
    """A metric (nps, csat, csat_top2, ces, ces_easy) by any grouping, each cell with n and an interval;
    `filters` narrow the responses to a period, segment, channel and touchpoint."""
    _check(metric, by, period)
    keys = _keys(by)
    frame = aggregate(engine, metric, keys, period=period, since=since, until=until, filters=filters)
    return scores(metric, frame, keys, min_n, confidence)


def change(
    engine: Engine,
    metric: str,
    before: tuple[str, str],
    after: tuple[str, str],
    by: tuple[str, ...] = (),
    *,
    min_n: int = 30,
    confidence: float = 0.95,
) -> ChangeTable:
    """Change of a metric from one period [start, end) to another, per group, with interval and p-value."""
    _check(metric, by, "month")
    if "period" in by:
        raise CxgapError("A change compares two periods; group by something other than 'period'.")
    keys = _keys(by)
    a = aggregate(engine, metric, keys, since=before[0], until=before[1])
    b = aggregate(engine, metric, keys, since=after[0], until=after[1])
    return changes(metric, a, b, keys, (before, after), min_n, confidence)
