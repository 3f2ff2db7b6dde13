"""Where to act first: shortfalls ranked by the yearly value at stake (with its interval) and their reach,
not by effect size alone. Leaders' beliefs (perception and knowledge gaps) are a headline of their own, so
they never crowd out what customers meet; a gap without a value chain still ranks, by reach and effect,
and says why its value is not measured."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from cxgap.gaps.schemas import Gap, GapReport, PerceptionHeadline

BELIEF_KINDS = ("perception", "knowledge")
OPERATIONAL_KINDS = ("implementation", "communication")
GapKey = tuple[str, str | None, str]  # kind, touchpoint, subject (segments share their base's value)
METRIC_NAMES = {
    "wait_seconds": "wait",
    "callback_hours": "callback time",
    "first_contact_resolution": "first-contact resolution",
    "on_time_rate": "on-time rate",
    "missed_rate": "missed-contact rate",
    "repeat_rate": "repeat-contact rate",
    "duration_seconds": "handling time",
}


def key_of(gap: Gap) -> GapKey:
    """The key a gap's value and target are looked up by."""
    return gap.kind, gap.touchpoint, gap.subject


def metric_name(subject: str) -> str:
    """An operational metric in words: 'wait_seconds@call' -> 'call wait'."""
    base, _, kind = subject.partition("@")
    name = METRIC_NAMES.get(base, base.replace("_", " "))
    return f"{kind} {name}" if kind else name


def q_text(q_value: float) -> str:
    """A q-value as people read it: '< 0.001' below a thousandth, else two significant figures; '' when
    the gap had no test (fixed values)."""
    if not math.isfinite(q_value):
        return ""
    if q_value < 0.001:
        return "< 0.001"
    return f"{q_value:.2g}" if q_value < 0.01 else f"{q_value:.2f}"


@dataclass(frozen=True)
class ValueAtStake:
    """Yearly money at stake with its interval, and the chain of estimates that produced it, in words."""

    value: float
    low: float
    high: float
    chain: str

    @property
    def clear(self) -> bool:
        """Whether the interval lies wholly above zero (a value the data distinguish from nothing)."""
        return math.isfinite(self.low) and self.low > 0


@dataclass(frozen=True)
class Target:
    """The standard or promise an operational gap is measured against."""

    value: float
    direction: str  # "at_least" or "at_most"
    source: str  # "standard" or "promise"


@dataclass(frozen=True)
class Priority:
    """One place to act: the gap, its value at stake (or why there is none), and for operational gaps the
    target it misses and the actual."""

    gap: Gap
    value: ValueAtStake | None
    reason: str
    target: Target | None = None

    @property
    def valued(self) -> bool:
        """Ranked by its money: a value whose interval lies above zero."""
        return self.value is not None and self.value.clear

    @property
    def actual(self) -> float:
        """The measured actual of an operational gap (NaN for other gaps)."""
        if self.target is None:
            return math.nan
        sign = 1.0 if self.target.direction == "at_least" else -1.0
        return self.target.value + sign * self.gap.value

    def against(self) -> str:
        """'support: call wait 193 s against a 60 s standard (n=2,914)'; '' for gaps without a target."""
        if self.target is None:
            return ""
        where = self.gap.touchpoint or "overall"
        name = metric_name(self.gap.subject)
        actual, target = _in_unit(self.actual, self.gap.unit), _in_unit(self.target.value, self.gap.unit)
        if self.target.source == "promise":
            return f"{where}: {name} {actual} against the promised {target} (n={self.gap.n:,})"
        return f"{where}: {name} {actual} against a {target} standard (n={self.gap.n:,})"


def _in_unit(value: float, unit: str) -> str:
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "seconds":
        return f"{value:,.0f} s"
    if unit == "hours":
        return f"{value:,.1f} h"
    return f"{value:.3g} {unit}".strip()


@dataclass(frozen=True)
class Priorities:
    """The ranked places to act, the leaders' beliefs as their own headline, and, when the list is
    empty, why."""

    items: tuple[Priority, ...]
    beliefs: tuple[Gap, ...]
    more_beliefs: int
    headline: PerceptionHeadline | None
    nothing: str | None

    def to_frame(self) -> pd.DataFrame:
        """One row per place to act, in rank order."""
        rows = [
            {
                "rank": rank,
                "kind": p.gap.kind,
                "touchpoint": p.gap.touchpoint,
                "segment": p.gap.segment,
                "subject": p.gap.subject,
                "value_at_stake": p.value.value if p.value else math.nan,
                "value_low": p.value.low if p.value else math.nan,
                "value_high": p.value.high if p.value else math.nan,
                "valued": p.valued,
                "reason": p.reason,
                "reach": p.gap.reach,
                "effect_size": p.gap.effect_size,
                "q_value": p.gap.q_value,
                "target": p.target.value if p.target else math.nan,
                "actual": p.actual,
            }
            for rank, p in enumerate(self.items, start=1)
        ]
        return pd.DataFrame(rows)


def default_reason(gap: Gap) -> str:
    """Why a gap has no value at stake when its valuation gave none."""
    if gap.kind == "design":
        return (
            "value not measured: a standard is a fixed number; its value shows once the tighter standard is "
            "measured against what is delivered"
        )
    if gap.kind == "customer" and (gap.touchpoint or gap.segment):
        return (
            "value not measured here: the value chain (dimension -> NPS -> churn -> revenue) is estimated for "
            f"company-wide gaps; see the company-wide {gap.subject} gap"
        )
    if gap.kind in OPERATIONAL_KINDS:
        return (
            f"value not measured: churn could not be linked to {metric_name(gap.subject)} at "
            f"{gap.touchpoint or 'this touchpoint'} (too few customers on one side, or churn unknown)"
        )
    return "value not measured: no value chain links this gap to revenue"


def _ranked(items: list[Priority]) -> list[Priority]:
    """Valued items by their money, then the rest by effect x reach, one per (kind group, touchpoint,
    subject): a segment's copy or the promise beside a standard on the same metric does not take a place."""
    ordered = sorted(
        items,
        key=lambda p: (
            not p.valued,
            -(p.value.value if p.valued and p.value else p.gap.priority),
            -p.gap.priority,  # the same failure's value on a standard and a promise: the larger miss shows
        ),
    )
    seen: set[tuple[str, str | None, str]] = set()
    out = []
    for item in ordered:
        group = "operational" if item.gap.kind in OPERATIONAL_KINDS else item.gap.kind
        key = (group, item.gap.touchpoint, item.gap.subject)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def prioritise(
    report: GapReport,
    values: Mapping[GapKey, ValueAtStake | str],
    targets: Mapping[GapKey, Target],
    limit: int = 10,
    beliefs_shown: int = 3,
) -> Priorities:
    """Rank the report's shortfalls (significant after correction, or fixed values) by value at stake and
    reach. `values` maps a gap to its value, or to the reason it has none (default reasons otherwise);
    `targets` maps operational gaps to their standard or promise."""
    shortfalls = [g for g in report.gaps if g.priority > 0]
    items = []
    for gap in (g for g in shortfalls if g.kind not in BELIEF_KINDS):
        found = values.get(key_of(gap))
        value = found if isinstance(found, ValueAtStake) else None
        reason = found if isinstance(found, str) else default_reason(gap) if value is None else ""
        if value is not None and not value.clear:
            reason = "value at stake not distinguishable from zero"
        items.append(Priority(gap, value, reason, targets.get(key_of(gap))))
    beliefs = sorted((g for g in shortfalls if g.kind in BELIEF_KINDS), key=lambda g: -g.priority)
    ranked = _ranked(items)[:limit]
    nothing = None
    if not ranked:
        nothing = report.nothing_to_act_on() or (
            "Nothing to act on beyond leaders' beliefs: no shortfall customers meet is significant "
            "after correcting for the number of tests."
        )
    return Priorities(
        tuple(ranked),
        tuple(beliefs[:beliefs_shown]),
        max(len(beliefs) - beliefs_shown, 0),
        report.headline,
        nothing,
    )
