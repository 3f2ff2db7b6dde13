"""Typed churn and health results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxgap.churn.explain import RevenueAtRisk
from cxgap.churn.model import ModelScore
from cxgap.churn.survival import SurvivalModel
from cxgap.stats import Estimate


@dataclass(frozen=True)
class SegmentHealth:
    """A segment's health: the mean score with its interval, and the share of customers below 40."""

    segment: str
    customers: int
    mean: Estimate
    below_40: Estimate


@dataclass(frozen=True)
class HealthPoint:
    """Mean health of a segment at one moment (the trend)."""

    as_of: dt.date
    segment: str
    mean: Estimate


@dataclass(frozen=True)
class RiskReport:
    """Churn risk and health: models judged on held-out customers, then every current customer scored.

    `scored` (and `to_frame()`, revenue at risk, health per segment) covers the current customers alone; a
    file's customers who already churned are learnt from and counted in `already_churned`.
    `scored` has one row per customer: risk (probability of churn within the horizon), health (0-100),
    its churn probability, revenue, segment, and the reasons in words for the riskiest ones."""

    horizon_days: int
    trained_as_of: dt.datetime | None
    scored_as_of: dt.datetime | None
    n_train: int
    n_test: int
    churn_rate: float
    classifier: str
    cv_auc: dict[str, float]
    model: ModelScore
    baseline: ModelScore
    health: ModelScore
    survival: SurvivalModel | None
    revenue: tuple[RevenueAtRisk, ...]
    segments: tuple[SegmentHealth, ...]
    trend: tuple[HealthPoint, ...]
    scored: pd.DataFrame
    health_components: dict[str, float]  # weight per component, as configured
    selection: str = "all current customers"  # whose risk this is (a filter slice names its customers)
    # customers of a file whose outcome says they already churned: learnt from, never scored or counted
    already_churned: int = 0
    # handles for reading a slice out of this report without a refit (churn.slice), not part of the result:
    # the earlier snapshots' health (a churn.service.HealthHistory, see `history`) and the explainer
    earlier_health: Any = field(default=None, repr=False, compare=False)
    explainer: Any = field(default=None, repr=False, compare=False)

    @property
    def history(self) -> pd.DataFrame | None:
        """Each earlier snapshot's health per customer (customer_id, as_of, segment, health), built when
        first read (a slice's trend reads it; the command line never does)."""
        return self.earlier_health.frame() if self.earlier_health is not None else None

    def to_frame(self) -> pd.DataFrame:
        """The scored customers, riskiest first."""
        return self.scored

    def riskiest(self, limit: int = 20) -> pd.DataFrame:
        """The customers most likely to churn, with their reasons."""
        return self.scored.head(limit)
