"""Experiments: treatment against control (and difference-in-differences), with a plain recommendation.

Every comparison works on per-arm sufficient statistics: NPS from (promoters, passives, detractors),
shares from (successes, n), means from (n, sum, sum of squares).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import pandas as pd
from scipy import stats

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

METRICS = {
    "nps": ("nps", True),
    "promoter": ("share", True),
    "csat": ("mean", True),
    "csat_top2": ("share", True),
    "ces": ("mean", True),
    "churn": ("share", False),
    "revenue": ("mean", True),
}  # name -> (kind, higher is better)


@dataclass(frozen=True)
class Cell:
    """One arm's (and period's) sufficient statistics; which fields count depends on the metric's kind."""

    n: int
    promoters: int = 0
    detractors: int = 0
    successes: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    def estimate(self, kind: str, confidence: float = 0.95) -> Estimate:
        """The arm's NPS, share or mean with its interval."""
        if kind == "nps":
            return nps_interval(
                self.promoters, self.n - self.promoters - self.detractors, self.detractors, confidence
            )
        if kind == "share":
            return wilson_interval(self.successes, self.n, confidence)
        return mean_interval(self.n, self.total, self.total_sq, confidence)


def difference(kind: str, control: Cell, treatment: Cell, confidence: float = 0.95) -> Difference:
    """Treatment minus control with interval and two-sided p-value."""
    if kind == "nps":
        a = (control.promoters, control.n - control.promoters - control.detractors, control.detractors)
        b = (
            treatment.promoters,
            treatment.n - treatment.promoters - treatment.detractors,
            treatment.detractors,
        )
        return nps_difference(a, b, confidence)
    if kind == "share":
        return proportion_difference(
            (control.successes, control.n), (treatment.successes, treatment.n), confidence
        )
    return mean_difference(
        (control.n, control.total, control.total_sq),
        (treatment.n, treatment.total, treatment.total_sq),
        confidence,
    )


def diff_in_diff(kind: str, cells: dict[tuple[str, str], Cell], confidence: float = 0.95) -> Difference:
    """(Treatment after - before) - (control after - before), the four samples independent (normal)."""
    e = {key: cell.estimate(kind, confidence) for key, cell in cells.items()}
    value = (e["treatment", "after"].value - e["treatment", "before"].value) - (
        e["control", "after"].value - e["control", "before"].value
    )
    se = math.sqrt(sum(x.se**2 for x in e.values()))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p_value = float(2 * stats.norm.sf(abs(value) / se)) if se > 0 else (1.0 if value == 0 else 0.0)
    n_c = cells["control", "before"].n + cells["control", "after"].n
    n_t = cells["treatment", "before"].n + cells["treatment", "after"].n
    return Difference(value, value - z * se, value + z * se, p_value, n_c, n_t, confidence)


@dataclass(frozen=True)
class ExperimentResult:
    """A metric compared between arms: both arms' estimates, the difference and what to do."""

    metric: str
    design: str  # "control vs treatment" or "difference-in-differences"
    control: Estimate
    treatment: Estimate
    difference: Difference
    decision: str  # persevere, pivot, not enough evidence yet
    reason: str

    def to_frame(self) -> pd.DataFrame:
        """Arms and difference as rows."""
        rows = [
            {"row": "control"} | asdict(self.control),
            {"row": "treatment"} | asdict(self.treatment),
            {"row": "difference"} | asdict(self.difference),
        ]
        return pd.DataFrame(rows).assign(metric=self.metric, decision=self.decision)


def decide(diff: Difference, higher_is_better: bool, min_effect: float = 0.0) -> tuple[str, str]:
    """Persevere when the treatment is surely better; pivot when it is surely worse, or surely short of the
    smallest effect worth having; otherwise keep collecting."""
    sign = 1.0 if higher_is_better else -1.0
    low, high = sorted((sign * diff.low, sign * diff.high))
    worth = f"the smallest effect worth having ({min_effect:g})"
    if low > max(min_effect, 0.0):
        return (
            "persevere",
            f"the whole interval shows an improvement beyond {worth if min_effect else 'zero'}",
        )
    if high < 0:
        return "pivot", "the whole interval shows the treatment doing worse"
    if min_effect > 0 and high < min_effect:
        return "pivot", f"the whole interval lies below {worth}"
    return (
        "not enough evidence yet",
        "the interval still includes no effect; collect more answers (see `size`)",
    )


def compare(
    metric: str, control: Cell, treatment: Cell, min_effect: float = 0.0, confidence: float = 0.95
) -> ExperimentResult:
    """Control against treatment on one metric."""
    kind, higher = METRICS[metric]
    diff = difference(kind, control, treatment, confidence)
    decision, reason = decide(diff, higher, min_effect)
    return ExperimentResult(
        metric,
        "control vs treatment",
        control.estimate(kind, confidence),
        treatment.estimate(kind, confidence),
        diff,
        decision,
        reason,
    )


def compare_periods(
    metric: str, cells: dict[tuple[str, str], Cell], min_effect: float = 0.0, confidence: float = 0.95
) -> ExperimentResult:
    """Difference-in-differences: each arm's change from before to after, treatment minus control."""
    kind, higher = METRICS[metric]
    diff = diff_in_diff(kind, cells, confidence)
    decision, reason = decide(diff, higher, min_effect)
    return ExperimentResult(
        metric,
        "difference-in-differences",
        cells["control", "after"].estimate(kind, confidence),
        cells["treatment", "after"].estimate(kind, confidence),
        diff,
        decision,
        reason,
    )
