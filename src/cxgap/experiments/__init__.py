"""Experiments: did the change work? Control vs treatment or difference-in-differences, a decision in
words (persevere, pivot, not enough evidence yet), and sample sizes for the next test."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cxgap.engine import Engine
from cxgap.errors import CxgapError
from cxgap.experiments.analysis import METRICS, Cell, ExperimentResult, compare, compare_periods, decide
from cxgap.experiments.data import ARMS, cells, read_assignments
from cxgap.experiments.design import SampleSize, nps_sample_size, share_sample_size


def experiment(
    engine: Engine,
    assignments: pd.DataFrame,
    metric: str = "nps",
    start: dt.date | None = None,
    min_effect: float = 0.0,
    confidence: float = 0.95,
    survey_kind: str | None = None,
    min_n: int = 30,
) -> ExperimentResult:
    """Compare the arms of `assignments` on `metric`; with `start`, before against after (difference-in-
    differences). Arms with fewer than `min_n` answers in any cell are refused as insufficient data."""
    if metric not in METRICS:
        raise CxgapError(f"Unknown metric '{metric}'; choose one of {', '.join(METRICS)}.")
    found = cells(engine, assignments, metric, start, survey_kind)
    periods = ("before", "after") if start else ("all",)
    wanted = [(arm, period) for arm in ARMS for period in periods]
    thin = [
        f"{arm} {period}: n={found[(arm, period)].n if (arm, period) in found else 0}"
        for arm, period in wanted
        if (arm, period) not in found or found[(arm, period)].n < min_n
    ]
    if thin:
        raise CxgapError(f"Insufficient data for {metric} (at least {min_n} per cell): {'; '.join(thin)}.")
    if start is None:
        return compare(metric, found["control", "all"], found["treatment", "all"], min_effect, confidence)
    return compare_periods(metric, {k: found[k] for k in wanted}, min_effect, confidence)


__all__ = [
    "ARMS",
    "METRICS",
    "Cell",
    "ExperimentResult",
    "SampleSize",
    "cells",
    "compare",
    "compare_periods",
    "decide",
    "experiment",
    "nps_sample_size",
    "read_assignments",
    "share_sample_size",
]
