"""Typed journey results: incident load, negative synergy, upstream causes, channel mismatch, repeats."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from cxgap.stats import Difference, Estimate

if TYPE_CHECKING:
    from cxgap.journeys.segment import JourneySums


@dataclass(frozen=True)
class IncidentLoad:
    """Incidents per customer journey in one group (all customers, or a segment): the mean with its
    interval and the shares of journeys with 0, 1, 2 and 3+ incidents."""

    group: str
    customers: int
    mean: Estimate
    shares: dict[str, Estimate]
    status: str = "measured"  # "insufficient data" below the minimum n: shown as such, not as a number


@dataclass(frozen=True)
class CountDamage:
    """Customers with k incidents: their mean outcome, what the single incidents' damages add up to, and
    the shortfall beyond that sum (negative: worse than the sum)."""

    incidents: str  # "0", "1", "2", "3+"
    n: int
    observed: Estimate
    additive: float
    shortfall: Estimate


def outcome_name(survey: str) -> str:
    """What the damage is measured on: each customer's 0-10 likelihood-to-recommend answer, so a damage of
    -1 is one point on that 0-10 scale (not one NPS point, which runs from -100 to 100)."""
    return f"{survey} NPS answer (0-10 scale)"


@dataclass(frozen=True)
class Synergy:
    """Negative synergy: each incident's own damage to the outcome (points of the 0-10 recommend answer)
    and the extra damage of every incident beyond the first, from one regression whose sums the engine
    computes."""

    outcome: str
    n: int
    per_extra_incident: Estimate | None  # None below the minimum n
    single: dict[str, Estimate]
    by_count: tuple[CountDamage, ...]
    status: str = "measured"

    def to_frame(self) -> pd.DataFrame:
        """The damage of each incident kind, then the synergy term."""
        rows = [
            {"term": k, "value": e.value, "low": e.low, "high": e.high, "n": e.n}
            for k, e in self.single.items()
        ]
        if self.per_extra_incident is not None:
            e = self.per_extra_incident
            rows.append(
                {
                    "term": "each incident beyond the first",
                    "value": e.value,
                    "low": e.low,
                    "high": e.high,
                    "n": e.n,
                }
            )
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class UpstreamLink:
    """Does a failure at an earlier touchpoint raise the chance of one at a later touchpoint? Customers
    who met both, by whether the upstream touchpoint had failed before their first downstream contact."""

    upstream: str
    downstream: str
    after_failure: Estimate  # downstream failure rate when upstream had failed
    otherwise: Estimate
    difference: Difference
    q_value: float = math.nan
    significant: bool = False

    @property
    def relative_risk(self) -> float:
        """How many times likelier the downstream failure is after an upstream one."""
        return self.after_failure.value / self.otherwise.value if self.otherwise.value > 0 else math.inf


@dataclass(frozen=True)
class ChannelGap:
    """The same need (touchpoint and reason) resolved online vs offline."""

    touchpoint: str
    reason: str
    online: Estimate
    offline: Estimate
    difference: Difference  # online minus offline
    q_value: float = math.nan
    significant: bool = False


@dataclass(frozen=True)
class RepeatContacts:
    """'Asked the same again': contacts followed within the window by another about the same reason."""

    touchpoint: str
    contacts: int
    asked_again: Estimate
    after_unresolved: Estimate
    after_resolved: Estimate
    difference: Difference  # after unresolved minus after resolved


@dataclass(frozen=True)
class FlowStep:
    """One touchpoint of the journey: customers who reached it, the share who met an incident there, and
    churn among those who did against those who did not (where customers fall out)."""

    touchpoint: str
    customers: int
    failed: Estimate
    churn_after_failure: Estimate
    churn_otherwise: Estimate
    status: str = "measured"  # "insufficient data" below the minimum n: shown as such, not as a number


@dataclass(frozen=True)
class JourneyReport:
    """Every journey measure of one run; upstream links and channel gaps corrected together (BH). The
    unfiltered report keeps the sums it came from per segment (`sums`, out of its repr and of the JSON), so
    a segment's slice is read out of it (journeys.segment)."""

    load: tuple[IncidentLoad, ...]
    synergy: Synergy
    upstream: tuple[UpstreamLink, ...]
    channels: tuple[ChannelGap, ...]
    repeats: tuple[RepeatContacts, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    flow: tuple[FlowStep, ...] = field(default_factory=tuple)
    sums: JourneySums | None = field(default=None, repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per measure: what, for whom, value, interval, n (and q-value where tested)."""
        rows: list[dict[str, object]] = []

        def add(measure: str, subject: str, e: Estimate | Difference, n: int, q: float = math.nan) -> None:
            rows.append(
                {
                    "measure": measure,
                    "subject": subject,
                    "value": e.value,
                    "low": e.low,
                    "high": e.high,
                    "n": n,
                    "q_value": q,
                }
            )

        for load in self.load:
            add("incidents per journey", load.group, load.mean, load.customers)
        for term, e in self.synergy.single.items():
            add(f"{self.synergy.outcome} damage", term, e, e.n)
        if self.synergy.per_extra_incident is not None:
            add(
                f"{self.synergy.outcome} damage",
                "each incident beyond the first",
                self.synergy.per_extra_incident,
                self.synergy.n,
            )
        for link in self.upstream:
            d = link.difference
            add(
                "upstream failure raises downstream failure",
                f"{link.upstream} -> {link.downstream}",
                d,
                d.n_a + d.n_b,
                link.q_value,
            )
        for gap in self.channels:
            d = gap.difference
            add(
                "resolved online minus offline",
                f"{gap.touchpoint}: {gap.reason}",
                d,
                d.n_a + d.n_b,
                gap.q_value,
            )
        for r in self.repeats:
            add("asked the same again", r.touchpoint, r.asked_again, r.contacts)
        return pd.DataFrame(rows)

    @property
    def measured(self) -> bool:
        """Whether there was anything to measure at all (else `notes` say what is missing)."""
        return bool(self.load or self.channels or self.repeats)

    def top_upstream(self, limit: int = 5) -> list[UpstreamLink]:
        """Significant upstream links, largest rise first."""
        links = [u for u in self.upstream if u.significant and u.difference.value > 0]
        return sorted(links, key=lambda u: u.difference.value, reverse=True)[:limit]
