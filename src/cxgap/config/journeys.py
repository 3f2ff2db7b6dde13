"""`[journeys]` in cxgap.toml: what counts as a critical incident in a customer's journey, and the windows
the journey measures use."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cxgap.config.base import Strict

INCIDENT_TRIGGERS = {
    "value": "a record whose `column` equals `equals` (or is at most `at_most`, or at least `at_least`)",
    "missed_standard": "an interaction that misses its touchpoint's `standard` (a metric of the standards "
    "table, e.g. wait_seconds@call or on_time_rate)",
    "repeat_contact": "a contact at the touchpoint within `within_days` of the same customer's previous "
    "one there (about the same reason when both have one)",
    "open_case": "a case still open or in progress `at_least` days after it was opened",
}


class Incident(Strict):
    """A critical incident: a record in a customer's journey that counts as a failure."""

    when: str = Field("value", description=f"one of {', '.join(INCIDENT_TRIGGERS)}")
    source: Literal["interactions", "responses", "feedback"] = "interactions"
    touchpoints: list[str] = Field(default_factory=list, description="only these touchpoints (empty: all)")
    kinds: list[str] = Field(default_factory=list, description="only these interaction kinds (empty: all)")
    column: str | None = None
    equals: bool | float | str | None = None
    at_most: float | None = None
    at_least: float | None = None
    standard: str | None = None
    within_days: float = Field(7.0, gt=0)
    max_per_journey: int | None = Field(None, ge=1, description="count at most this many per customer")
    internal: bool = Field(
        False, description="a process failure customers do not see: used for upstream causes, not counted"
    )

    @model_validator(mode="after")
    def _complete(self) -> Incident:
        if self.when not in INCIDENT_TRIGGERS:
            raise ValueError(f"when = '{self.when}' is not one of {', '.join(INCIDENT_TRIGGERS)}")
        tests = [v for v in (self.equals, self.at_most, self.at_least) if v is not None]
        if self.when == "value" and (self.column is None or len(tests) != 1):
            raise ValueError("a 'value' incident needs a column and exactly one of equals, at_most, at_least")
        if self.when == "missed_standard" and self.standard is None:
            raise ValueError(
                "a 'missed_standard' incident needs standard = '<metric>' from the standards table"
            )
        if self.when == "open_case" and self.at_least is None:
            raise ValueError("an 'open_case' incident needs at_least = <days open>")
        if self.when != "value" and self.source != "interactions":
            raise ValueError(
                f"a '{self.when}' incident reads interactions or cases; source applies to 'value' only"
            )
        return self


class JourneySettings(Strict):
    """Critical incidents and the windows of the journey measures."""

    incidents: dict[str, Incident] = Field(default_factory=dict, description="none until you write one")
    repeat_days: float = Field(
        7.0, gt=0, description="'asked the same again': a contact within this many days"
    )
    online_channels: list[str] = Field(
        default_factory=lambda: ["web", "app", "chat", "email"], description="the rest count as offline"
    )
    outcome_survey: str = Field("relational", description="survey kind whose NPS measures incident damage")
