"""Why a customer is at risk, in words, and what the risk is worth per segment.

Reasons come from the transparent baseline: each feature's share of the customer's log-odds against an
average customer (coefficient x standardised distance), the largest risk-raising ones first, written the
way a CX lead would say them ("3 incidents in 30 days, detractor, case open 12 days").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cxgap.stats import Estimate


def _s(count: float) -> str:
    return "" if count == 1 else "s"


PHRASES: dict[str, Callable[[float], str]] = {
    "incidents_30d": lambda v: f"{v:.0f} incident{_s(v)} in 30 days",
    "incidents_90d": lambda v: f"{v:.0f} incident{_s(v)} in 90 days",
    "incidents_total": lambda v: f"{v:.0f} incident{_s(v)} so far",
    "unresolved_total": lambda v: f"{v:.0f} unresolved contact{_s(v)}",
    "unresolved_90d": lambda v: f"{v:.0f} unresolved contact{_s(v)} in 90 days",
    "open_cases": lambda v: f"{v:.0f} open case{_s(v)}",
    "open_case_days": lambda v: f"case open {v:.0f} days",
    "detractor": lambda v: "detractor" if v >= 1 else "not a detractor",
    "detractor_answers": lambda v: f"{v:.0f} detractor answer{_s(v)}",
    "nps_latest": lambda v: f"last NPS {v:.0f}",
    "feedback_rating": lambda v: f"feedback rated {v:.1f}/5",
    "feedback_count": lambda v: f"{v:.0f} feedback text{_s(v)}",
    "usage_90d": lambda v: f"{v:.0f} interaction{_s(v)} in 90 days",
    "tenure_days": lambda v: f"customer for {v / 30.44:.0f} months",
    "revenue": lambda v: f"revenue {v:,.0f}",
}


def phrase(name: str, value: float, binary: bool = False) -> str:
    """One feature's value in words (a yes/no feature by its name, or 'no' and its name)."""
    if math.isnan(value):
        return f"no {name.replace('_', ' ')} known"
    if name in PHRASES:
        return PHRASES[name](value)
    if binary:
        return name.replace("_", " ") if value == 1 else f"no {name.replace('_', ' ')}"
    return f"{name.replace('_', ' ')} {value:g}"


def contributions(baseline: Any, features: pd.DataFrame) -> pd.DataFrame:
    """Each feature's part of each customer's log-odds relative to the average customer (the baseline
    pipeline: imputer with indicators, scaler, logistic regression)."""
    imputer, scaler, logit = baseline.named_steps.values()
    z = scaler.transform(imputer.transform(features))
    parts = z * logit.coef_[0]
    names = list(features.columns)
    frame = pd.DataFrame(parts[:, : len(names)], columns=names, index=features.index)
    flags = imputer.indicator_.features_ if imputer.indicator_ is not None else []
    for j, column in enumerate(flags):
        frame[names[column]] += parts[:, len(names) + j]  # "unknown" belongs to the feature it flags
    return frame


def reasons(baseline: Any, features: pd.DataFrame, limit: int = 3) -> list[str]:
    """The risk-raising reasons of each customer, largest first, in words."""
    parts = contributions(baseline, features).to_numpy()
    values = features.to_numpy(dtype=float).tolist()
    names = list(features.columns)
    binary = [bool(features[n].dropna().isin([0.0, 1.0]).all()) for n in names]
    out = []
    for i in range(len(features)):
        order = [j for j in np.argsort(-parts[i], kind="stable")[:limit] if parts[i, j] > 0.05]
        text = ", ".join(phrase(names[j], float(values[i][j]), binary[j]) for j in order)
        out.append(text or "no single factor stands out")
    return out


@dataclass(frozen=True)
class RevenueAtRisk:
    """A group's expected churners and the yearly revenue they carry, within the horizon."""

    group: str
    customers: int
    churners: Estimate
    revenue: Estimate


def by_segment(segment: np.ndarray | pd.Categorical[Any] | None) -> list[tuple[Any, np.ndarray | None]]:
    """'all customers' (None: every row), then each segment in sorted order with the mask of its rows:
    the labels hashed once, not every row compared with every label."""
    if segment is None:
        return [("all customers", None)]
    codes, labels = pd.factorize(segment, use_na_sentinel=False)
    position = {label: k for k, label in enumerate(labels.tolist())}
    named = sorted(set(position) - {"all customers"})
    return [("all customers", None)] + [(label, codes == position[label]) for label in named]


def revenue_at_risk(
    risk: np.ndarray,
    revenue: np.ndarray | None,
    segment: np.ndarray | pd.Categorical[Any] | None,
    confidence: float = 0.95,
) -> list[RevenueAtRisk]:
    """Sum of risk x revenue per segment (and overall); the interval is the spread of the sum of the
    customers' independent churn draws (Poisson-binomial variance), given the model's risks."""
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    money = np.nan_to_num(revenue if revenue is not None else np.zeros(len(risk)))
    out = []
    for label, rows in by_segment(segment):
        p, r = (risk, money) if rows is None else (risk[rows], money[rows])
        n = len(p)
        count_se = math.sqrt(float(np.sum(p * (1 - p))))
        money_se = math.sqrt(float(np.sum(p * (1 - p) * r**2)))
        churners, value = float(p.sum()), float(np.sum(p * r))
        out.append(
            RevenueAtRisk(
                str(label),
                n,
                Estimate(
                    churners,
                    max(churners - z * count_se, 0),
                    churners + z * count_se,
                    n,
                    count_se,
                    confidence,
                ),
                Estimate(
                    value,
                    max(value - z * money_se, 0),
                    value + z * money_se,
                    n,
                    money_se,
                    confidence,
                ),
            )
        )
    return out
