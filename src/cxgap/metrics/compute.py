"""Pure computation: aggregated frames (counts, sums, sums of squares per group) in, typed scores out."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cxgap.metrics.schemas import Change, ChangeTable, Score, ScoreTable
from cxgap.stats import (
    Difference,
    Estimate,
    mean_difference,
    mean_interval,
    nps_difference,
    nps_interval,
    proportion_difference,
    wilson_interval,
)

Row = dict[str, Any]


def _records(frame: pd.DataFrame) -> list[Row]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _nps_counts(row: Row) -> tuple[int, int, int]:
    promoters, detractors, n = int(row["promoters"]), int(row["detractors"]), int(row["n"])
    return promoters, n - promoters - detractors, detractors


def _sums(row: Row) -> tuple[int, float, float]:
    return int(row["n"]), float(row["total"]), float(row["total_sq"])


def _estimate(metric: str, row: Row, confidence: float) -> Estimate:
    if metric == "nps":
        return nps_interval(*_nps_counts(row), confidence)
    if metric in ("csat_top2", "ces_easy"):
        return wilson_interval(int(row["top"]), int(row["n"]), confidence)
    return mean_interval(*_sums(row), confidence)


def scores(
    metric: str, aggregates: pd.DataFrame, by: tuple[str, ...], min_n: int, confidence: float = 0.95
) -> ScoreTable:
    """Scores from a frame with the `by` columns and n, promoters/detractors, top, or total/total_sq."""
    ordered = aggregates.sort_values(list(by)) if by else aggregates
    out = []
    for row in _records(ordered):
        n = int(row["n"])
        estimate = _estimate(metric, row, confidence) if n >= min_n else None
        out.append(Score(metric, {key: row[key] for key in by}, n, estimate))
    return ScoreTable(metric, by, min_n, tuple(out))


def _difference(metric: str, a: Row, b: Row, confidence: float) -> Difference:
    if metric == "nps":
        return nps_difference(_nps_counts(a), _nps_counts(b), confidence)
    if metric in ("csat_top2", "ces_easy"):
        return proportion_difference((int(a["top"]), int(a["n"])), (int(b["top"]), int(b["n"])), confidence)
    return mean_difference(_sums(a), _sums(b), confidence)


def changes(
    metric: str,
    before: pd.DataFrame,
    after: pd.DataFrame,
    by: tuple[str, ...],
    periods: tuple[tuple[str, str], tuple[str, str]],
    min_n: int,
    confidence: float = 0.95,
) -> ChangeTable:
    """Change of a metric between two periods' aggregates, per group (a group below min_n in either: no number)."""
    merged = before.merge(after, on=list(by), how="outer", suffixes=("_a", "_b"))
    out = []
    for values in _records(merged):
        a = {k[:-2]: v for k, v in values.items() if k.endswith("_a")}
        b = {k[:-2]: v for k, v in values.items() if k.endswith("_b")}
        enough = pd.notna(a.get("n")) and pd.notna(b.get("n")) and min(a["n"], b["n"]) >= min_n
        diff = _difference(metric, a, b, confidence) if enough else None
        out.append(Change(metric, {k: values[k] for k in by}, diff))
    return ChangeTable(metric, by, periods[0], periods[1], tuple(out))
