"""The demo company's planted ground truth: what the simulator puts into the data, in numbers.

A telecom provider ("Northwind Telecom") with six touchpoints. Everything an analysis of the demo should
find is declared here and nowhere else; the simulator reads these numbers and tests assert that
they are present in the generated data (and later analyses assert that they recover them).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace

from cxgap.config import DEMO_ITEMS, DEMO_TOUCHPOINTS, SERVQUAL_DIMENSIONS


def _item_weights() -> dict[str, float]:
    return {
        "as_promised": 0.20,
        "right_first_time": 0.16,
        "prompt_service": 0.14,
        "willing_to_help": 0.11,
        "knowledgeable_staff": 0.09,
        "trustworthy_staff": 0.08,
        "individual_attention": 0.07,
        "convenient_hours": 0.06,
        "equipment_modern": 0.05,
        "materials_clear": 0.04,
    }


@dataclass(frozen=True)
class PlantedTruth:
    """Numbers planted in the demo data. Rates are shares (0-1); ratings use the schema's scales."""

    touchpoints: tuple[str, ...] = tuple(DEMO_TOUCHPOINTS)
    dimensions: tuple[str, ...] = tuple(SERVQUAL_DIMENSIONS)
    items: dict[str, str] = field(default_factory=lambda: dict(DEMO_ITEMS))
    window_start: dt.date = dt.date(2024, 1, 1)
    window_end: dt.date = dt.date(2025, 12, 31)
    customers_since: dt.date = dt.date(2023, 1, 1)

    # Perception gap: leaders' optimism. Share answering "we are superior to competitors".
    leader_superior_share: float = 0.80
    frontline_superior_share: float = 0.45
    customer_superior_share: float = 0.08
    # Internal respondents' believed item rating minus customers' actual mean rating (1-7 scale).
    leader_rating_optimism: float = 1.2
    frontline_rating_optimism: float = 0.3
    # Leaders believe customers expect less than they do (believed - actual expectation, 1-7 scale).
    leader_expectation_underestimate: float = -0.8
    frontline_expectation_underestimate: float = -0.2
    leader_believed_nps: float = 45.0
    frontline_believed_nps: float = 15.0

    # Knowledge gap: leaders' stated importance (1-7) per dimension, nearly the reverse of the
    # derived importance (the item weights below, summed per dimension).
    leader_stated_importance: dict[str, float] = field(
        default_factory=lambda: {
            "tangibles": 6.5,
            "empathy": 5.5,
            "assurance": 5.0,
            "responsiveness": 4.5,
            "reliability": 4.0,
        }
    )

    # Driver structure: relational NPS latent = base + nps_slope * sum_i weight_i * (P_i - 4) + ...
    item_weights: dict[str, float] = field(default_factory=_item_weights)
    nps_slope: float = 2.2
    nps_base: float = 6.0
    nps_noise: float = 1.0

    # Customer gap (SERVQUAL P - E): mean perception minus expectation per dimension (before rounding).
    perception_minus_expectation: dict[str, float] = field(
        default_factory=lambda: {
            "reliability": -1.0,
            "responsiveness": -0.8,
            "assurance": -0.3,
            "empathy": -0.4,
            "tangibles": 0.2,
        }
    )

    # Implementation gap: support's own standards vs what it delivers.
    support_wait_standard_seconds: float = 60.0
    support_phone_wait_median_seconds: float = 150.0
    first_contact_resolution_standard: float = 0.80
    first_contact_resolution_rate: float = 0.68
    missed_call_rate: float = 0.08
    installation_on_time_standard: float = 0.90

    # Design gap: a standard that is met but set far from what customers expect.
    callback_standard_hours: float = 24.0
    callback_expected_hours: float = 2.0
    callback_median_hours: float = 18.0
    # What customers expect for the other standards' metrics (the design gap's other side).
    wait_expected_seconds: float = 120.0
    first_contact_resolution_expected: float = 0.90
    installation_on_time_expected: float = 0.95

    # Communication gap: the website promises on-time engineers (broken); a wait promise that is kept.
    installation_on_time_promised: float = 0.95
    support_wait_promised_seconds: float = 300.0

    # Upstream cause: over-tight booking at ordering (booking on_time = False) makes the later
    # installation visit late far more often.
    tight_booking_rate: float = 0.25
    late_visit_rate_after_tight_booking: float = 0.45
    late_visit_rate_otherwise: float = 0.12

    # Repeat-contact frustration: CSAT (1-5) of a support contact that repeats an unresolved one.
    repeat_contact_csat_penalty: float = 1.2
    repeat_rate_after_unresolved: float = 0.70
    repeat_rate_after_resolved: float = 0.10

    # Negative synergy: each incident beyond the first lowers NPS (0-10) by this much on top of the
    # single incidents' own damage. Like all damage it flows through the item ratings: every item
    # drops by `synergy_item_shift`, so NPS stays a function of the items (clean driver structure).
    synergy_nps_penalty: float = 1.0

    # Churn follows unresolved issues: yearly-window churn log-odds.
    churn_base_rate: float = 0.08
    churn_log_odds_per_unresolved: float = 0.6
    churn_log_odds_detractor: float = 0.8
    churn_log_odds_late_visit: float = 0.4

    # Revenue effect: 2025 revenue relative to 2024 by NPS group of the relational answer.
    revenue_change_promoter: float = 0.06
    revenue_change_passive: float = 0.0
    revenue_change_detractor: float = -0.10

    # Emerging issue: app log-in failures surge for three weeks after an app release.
    emerging_topic: str = "app_login"
    emerging_start: dt.date = dt.date(2025, 9, 1)
    emerging_weeks: int = 3
    emerging_multiplier: float = 5.0

    @property
    def installation_on_time_rate(self) -> float:
        """Expected on-time share of installation visits, given the booking mix."""
        late = (
            self.tight_booking_rate * self.late_visit_rate_after_tight_booking
            + (1 - self.tight_booking_rate) * self.late_visit_rate_otherwise
        )
        return 1 - late

    @property
    def callback_mean_hours(self) -> float:
        """Mean callback delay implied by the lognormal (median, sigma 0.5) the simulator draws from."""
        return self.callback_median_hours * math.exp(0.5**2 / 2)

    @classmethod
    def without_gaps(cls) -> PlantedTruth:
        """A company with no gap at all: beliefs, expectations, standards and promises match delivery.

        Used to check that the gap engine flags (almost) nothing when nothing is there.
        """
        base = cls()
        zero = dict.fromkeys(base.perception_minus_expectation, 0.0)
        return replace(
            base,
            leader_superior_share=base.customer_superior_share,
            frontline_superior_share=base.customer_superior_share,
            leader_rating_optimism=0.0,
            frontline_rating_optimism=0.0,
            leader_expectation_underestimate=0.0,
            frontline_expectation_underestimate=0.0,
            perception_minus_expectation=zero,
            support_wait_standard_seconds=base.support_phone_wait_mean_seconds,
            wait_expected_seconds=base.support_phone_wait_mean_seconds,
            support_wait_promised_seconds=base.support_phone_wait_mean_seconds,
            first_contact_resolution_standard=base.first_contact_resolution_rate,
            first_contact_resolution_expected=base.first_contact_resolution_rate,
            installation_on_time_standard=base.installation_on_time_rate,
            installation_on_time_expected=base.installation_on_time_rate,
            installation_on_time_promised=base.installation_on_time_rate,
            callback_standard_hours=base.callback_mean_hours,
            callback_expected_hours=base.callback_mean_hours,
        )

    @property
    def support_phone_wait_mean_seconds(self) -> float:
        """Mean phone wait implied by the lognormal (median, sigma 0.7) the simulator draws from."""
        return self.support_phone_wait_median_seconds * math.exp(0.7**2 / 2)

    @property
    def synergy_item_shift(self) -> float:
        """Drop of every item rating per incident beyond the first (gives synergy_nps_penalty on NPS)."""
        return self.synergy_nps_penalty / (self.nps_slope * sum(self.item_weights.values()))

    @property
    def dimension_weights(self) -> dict[str, float]:
        """Derived importance per dimension: the item weights summed by dimension."""
        out = dict.fromkeys(self.dimensions, 0.0)
        for item, weight in self.item_weights.items():
            out[self.items[item]] += weight
        return out


TRUTH = PlantedTruth()
