"""Hosted surveys: who is invited when (triggers), how often anyone may be asked (contact-frequency rules),
how long a link works, and how anonymous links are protected. Links point at `[notify] base_url` and
e-mail goes through `[notify] smtp_url`."""

from __future__ import annotations

import zoneinfo
from typing import Literal

from pydantic import Field, field_validator

from cxgap.config.base import Strict


class SurveyTrigger(Strict):
    """When a survey's invitations go out.

    - `interaction`: `after_hours` after an interaction at one of `touchpoints` (transactional);
      interactions older than `after_hours + within_hours` are never invited (nobody is asked about last year).
    - `schedule`: every `every_days`, a random `sample` share of the customer base (relational pulse).
    - `staff`: once, to every staff contact with one of `roles` (the belief survey).
    """

    survey: str = Field(min_length=1, description="the survey's name")
    when: Literal["interaction", "schedule", "staff"]
    touchpoints: list[str] = Field(default_factory=list, description="interaction: only these (empty: all)")
    after_hours: float = Field(24.0, ge=0)
    within_hours: float = Field(72.0, gt=0)
    every_days: int = Field(90, gt=0)
    sample: float = Field(0.1, gt=0, le=1)
    roles: list[str] = Field(default_factory=list, description="staff: only these roles (empty: all)")


class SurveySettings(Strict):
    """Contact-frequency rules and survey links, across every survey."""

    min_days_between: int = Field(
        30, ge=0, description="nobody is invited more than once in this many days, across all surveys"
    )
    daily_cap: int = Field(5000, gt=0, description="at most this many invitations and reminders a day")
    quiet_hours: tuple[int, int] = Field(
        (21, 8), description="[start, end) local hours in which nothing is sent (equal: never quiet)"
    )
    timezone: str = Field("UTC", description="the time zone of quiet hours, e.g. Europe/Berlin")
    token_days: int = Field(14, gt=0, description="an invitation's link works this many days")
    reminder_after_days: float = Field(3.0, gt=0, description="remind once unanswered this long")
    max_reminders: int = Field(1, ge=0, description="reminders per invitation (0: none)")
    anonymous_per_minute: int = Field(
        20, gt=0, description="submissions per minute from one address on an anonymous link"
    )
    triggers: dict[str, SurveyTrigger] = Field(default_factory=dict)

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not all(0 <= hour <= 23 for hour in value):
            raise ValueError("surveys.quiet_hours must be two hours from 0 to 23, e.g. [21, 8]")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"surveys.timezone {value!r} is not a time zone name such as Europe/Berlin"
            ) from None
        return value
