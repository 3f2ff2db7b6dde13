"""Operational gaps: delivery against the company's own standards (implementation), against its promises
(communication), and standards against what customers expect (design).

Actuals are computed by the backend from the interactions table as sufficient statistics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pandas as pd
from scipy import stats

from cxgap.engine import ALL, Engine, Filters
from cxgap.gaps.schemas import Gap, MissingGap
from cxgap.stats import mean_test, sd_from_sums


@dataclass(frozen=True)
class OperationalMetric:
    """How an operational metric is measured from interactions."""

    name: str
    kind: str  # "share" or "mean"
    column: str
    scale: float = 1.0
    only_kind: str | None = None
    skip_kind: str | None = None
    positive: bool = True  # for shares: the share of True values (else of False)
    unit: str = "share"


CATALOGUE = {
    m.name: m
    for m in (
        OperationalMetric("wait_seconds", "mean", "wait_seconds", skip_kind="callback", unit="seconds"),
        OperationalMetric(
            "callback_hours", "mean", "wait_seconds", scale=1 / 3600, only_kind="callback", unit="hours"
        ),
        OperationalMetric("first_contact_resolution", "share", "resolved", skip_kind="callback"),
        OperationalMetric("on_time_rate", "share", "on_time"),
        OperationalMetric("missed_rate", "share", "handled", positive=False),
        OperationalMetric("repeat_rate", "share", "repeat_contact"),
        OperationalMetric("duration_seconds", "mean", "duration_seconds", unit="seconds"),
    )
}


def metric_of(name: str) -> OperationalMetric | None:
    """The catalogue entry of a metric name; 'wait_seconds@call' measures wait_seconds on calls only."""
    return CATALOGUE.get(name.split("@", 1)[0])


def _kind_sums(engine: Engine, touchpoints: set[str], filters: Filters = ALL) -> pd.DataFrame:
    """Per (touchpoint, kind): counts, sums and sums of squares of every measured column.

    Read from the store's rollup of interactions (kept in step by every import), narrowed by `filters`.
    """
    t = filters.on_rollup(engine.table("rollup_interactions"))
    t = t.filter(t.touchpoint.isin(sorted(touchpoints)))
    stats = [c for c in t.columns if c == "interactions" or c.split("_", 1)[0] in ("n", "sum", "sumsq")]
    return pd.DataFrame(
        t.group_by(["touchpoint", "kind"]).aggregate(**{c: t[c].sum() for c in stats}).execute()
    )


def actuals(
    engine: Engine, wanted: list[tuple[str, str]], filters: Filters = ALL
) -> dict[tuple[str, str], dict[str, float]]:
    """Mean (a share for yes/no metrics), n and sd of each (touchpoint, metric), from one scan."""
    sums = _kind_sums(engine, {touchpoint for touchpoint, _ in wanted}, filters).fillna(0)
    out: dict[tuple[str, str], dict[str, float]] = {}
    for touchpoint, name in wanted:
        metric = metric_of(name)
        if metric is None:
            continue
        rows = sums[sums.touchpoint == touchpoint]
        if "@" in name:
            rows = rows[rows.kind == name.split("@", 1)[1]]
        if metric.only_kind:
            rows = rows[rows.kind == metric.only_kind]
        if metric.skip_kind:
            rows = rows[rows.kind != metric.skip_kind]
        n = int(rows[f"n_{metric.column}"].sum())
        total = float(rows[f"sum_{metric.column}"].sum())
        if metric.kind == "share":
            hits = total if metric.positive else n - total
            out[(touchpoint, name)] = {"n": n, "mean": hits / n if n else math.nan, "sd": math.nan}
        else:
            total *= metric.scale
            total_sq = float(rows[f"sumsq_{metric.column}"].sum()) * metric.scale**2
            sd = sd_from_sums(n, total, total_sq)
            out[(touchpoint, name)] = {
                "n": n,
                "mean": total / n if n else math.nan,
                "sd": sd,
                "total": total,
                "total_sq": total_sq,
            }
    return out


def _against(
    actual: dict[str, float], target: float, direction: str, metric: OperationalMetric, confidence: float
) -> tuple[float, float, float, float, float]:
    """Signed gap (negative = short of target), interval, p-value and effect size of actual vs a fixed target."""
    sign = 1.0 if direction == "at_least" else -1.0
    n, mean = int(actual["n"]), actual["mean"]
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    if metric.kind == "share":
        se = math.sqrt(mean * (1 - mean) / n)
        se0 = math.sqrt(target * (1 - target) / n) if 0 < target < 1 else se
        p_value = float(2 * stats.norm.sf(abs(mean - target) / se0)) if se0 > 0 else 0.0
        effect = 2 * math.asin(math.sqrt(mean)) - 2 * math.asin(
            math.sqrt(min(max(target, 0), 1))
        )  # Cohen's h
    else:
        d = mean_test(n, actual["total"], actual["total_sq"], target, confidence)
        effect = d.value / actual["sd"] if actual["sd"] > 0 else math.nan
        low, high = sorted((sign * d.low, sign * d.high))
        return sign * d.value, low, high, d.p_value, sign * effect
    value = sign * (mean - target)
    return value, value - z * se, value + z * se, p_value, sign * effect


def _rows(frame: pd.DataFrame) -> list[Any]:
    """Rows as attribute objects (typed Any: they come from user tables)."""
    return [SimpleNamespace(**{str(k): v for k, v in row.items()}) for row in frame.to_dict("records")]


def operational_gaps(
    engine: Engine,
    standards: pd.DataFrame,
    promises: pd.DataFrame,
    touchpoints: list[str],
    confidence: float = 0.95,
    min_n: int = 30,
    filters: Filters = ALL,
) -> tuple[list[Gap], list[MissingGap]]:
    """Implementation, communication and design gaps, and what is missing to measure them."""
    wanted = [(r.touchpoint, r.metric) for r in _rows(standards)] + [
        (r.touchpoint, r.metric) for r in _rows(promises)
    ]
    measured = actuals(engine, wanted, filters)
    gaps: list[Gap] = []
    missing: list[MissingGap] = []
    for kind, frame, column in (
        ("implementation", standards, "target"),
        ("communication", promises, "promised_value"),
    ):
        for row in _rows(frame):
            metric = metric_of(row.metric)
            if metric is None:
                known = ", ".join(CATALOGUE)
                missing.append(
                    MissingGap(
                        kind,
                        f"a measurable metric instead of '{row.metric}' at {row.touchpoint} (known: {known})",
                    )
                )
                continue
            actual = measured.get((row.touchpoint, row.metric))
            if actual is None or actual["n"] < 2:
                missing.append(
                    MissingGap(kind, f"interactions at {row.touchpoint} that measure {row.metric}")
                )
                continue
            if actual["n"] < min_n:
                needs = f"more interactions at {row.touchpoint} for {row.metric}: insufficient data (n={int(actual['n'])} < {min_n})"
                missing.append(MissingGap(kind, needs))
                continue
            value, low, high, p, effect = _against(
                actual, float(getattr(row, column)), row.direction, metric, confidence
            )
            gaps.append(
                Gap(
                    kind,
                    row.touchpoint,
                    row.metric,
                    f"actual {actual['mean']:.3g} vs {column.replace('_', ' ')} {getattr(row, column):g}",
                    value,
                    low,
                    high,
                    int(actual["n"]),
                    p,
                    effect,
                    unit=metric.unit,
                )
            )
    gaps += _design_gaps(standards)
    if standards.empty:
        missing.append(
            MissingGap(
                "implementation", "a standards table: your own targets (SLA) per touchpoint and metric"
            )
        )
        missing.append(
            MissingGap("design", "a standards table with the customers' expectation for each metric")
        )
    if promises.empty:
        missing.append(
            MissingGap(
                "communication",
                "a promises table: what marketing and service promise, per touchpoint and metric",
            )
        )
    uncovered = sorted(set(touchpoints) - set(standards.touchpoint))
    if uncovered and not standards.empty:
        missing.append(MissingGap("design", f"no standard at all for {', '.join(uncovered)}"))
    return gaps, missing


def _design_gaps(standards: pd.DataFrame) -> list[Gap]:
    """A standard set looser than what customers expect is a design gap (a fixed difference: no sampling)."""
    out = []
    for row in _rows(standards):
        expected: Any = row.customer_expectation
        if expected is None or pd.isna(expected):
            continue
        sign = 1.0 if row.direction == "at_least" else -1.0
        value = sign * (float(row.target) - float(expected))
        scale = max(abs(float(row.target)), abs(float(expected)))
        relative = value / scale if scale else math.nan  # in [-1, 1] for same-sign quantities
        out.append(
            Gap(
                "design",
                row.touchpoint,
                row.metric,
                f"standard {row.target:g} vs customers expect {expected:g}",
                value,
                value,
                value,
                0,
                math.nan,
                relative,
                note="fixed values: no sampling error",
                unit=str(row.unit) if row.unit and not pd.isna(row.unit) else "",
            )
        )
    return out
