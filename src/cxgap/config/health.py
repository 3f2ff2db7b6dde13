"""`[health]` and `[playbooks]` in cxgap.toml: the customer health score's components and weights, and
the playbooks that act on health, churn risk and value through the closed loop."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cxgap.config.base import Strict


class HealthWeight(Strict):
    """One health component: its weight, and whether more of it is healthier."""

    weight: float = Field(gt=0)
    healthier: Literal["higher", "lower"] = "higher"


DEFAULT_HEALTH = {
    "nps_latest": HealthWeight(weight=0.25),
    "incidents_90d": HealthWeight(weight=0.20, healthier="lower"),
    "unresolved_90d": HealthWeight(weight=0.15, healthier="lower"),
    "open_cases": HealthWeight(weight=0.10, healthier="lower"),
    "usage_90d": HealthWeight(weight=0.10),
    "tenure_days": HealthWeight(weight=0.10),
    "feedback_rating": HealthWeight(weight=0.10),
}
HEALTH_FEATURES = (
    "incidents_total",
    "incidents_90d",
    "incidents_30d",
    "unresolved_total",
    "unresolved_90d",
    "open_cases",
    "open_case_days",
    "detractor_answers",
    "nps_latest",
    "feedback_rating",
    "usage_90d",
    "tenure_days",
    "revenue",
    "feedback_count",
    "detractor",
)


class HealthSettings(Strict):
    """The health score: each component is the customer's percentile among customers (turned round where
    less is healthier; unknown = 50), and the score is their weighted mean, 0-100."""

    components: dict[str, HealthWeight] = Field(default_factory=lambda: dict(DEFAULT_HEALTH), min_length=1)
    horizon_days: int = Field(90, ge=7, description="churn within this many days is what risk predicts")

    @model_validator(mode="after")
    def _known(self) -> HealthSettings:
        unknown = sorted(set(self.components) - set(HEALTH_FEATURES))
        if unknown:
            raise ValueError(f"health component '{unknown[0]}' is not one of {', '.join(HEALTH_FEATURES)}")
        return self


class Playbook(Strict):
    """Open a case for every customer matching all its conditions (recovery or success), owned by `team`
    (and `owner`), due after `due_hours`; `holdout` of them are skipped on purpose to measure the effect."""

    kind: Literal["recovery", "success"] = "recovery"
    action: str = Field(min_length=3, description="what the owner should do, in words")
    health_below: float | None = Field(None, ge=0, le=100)
    health_at_least: float | None = Field(None, ge=0, le=100)
    risk_above: float | None = Field(None, ge=0, le=1)
    value_at_least: float | None = None
    segments: list[str] = Field(default_factory=list)
    team: str = Field(min_length=1)
    owner: str | None = None
    due_hours: float = Field(72.0, gt=0)
    holdout: float = Field(0.1, ge=0, le=0.5, description="share of qualifying customers left alone")
    cooldown_days: int = Field(90, ge=1, description="at most one case per customer in this many days")

    @model_validator(mode="after")
    def _has_a_condition(self) -> Playbook:
        if all(
            v is None for v in (self.health_below, self.health_at_least, self.risk_above, self.value_at_least)
        ):
            raise ValueError(
                "a playbook needs at least one of health_below, health_at_least, risk_above, value_at_least"
            )
        return self
