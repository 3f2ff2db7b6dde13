"""Typed gap results: every gap with its size, interval, p-value, BH q-value, effect size, reach and priority."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pandas as pd

from cxgap.stats import Difference, Estimate

GAP_KINDS = ("perception", "knowledge", "design", "implementation", "communication", "customer")
RANKS = ("effect", "shortfall")  # how gaps are ranked: effect size x reach, or the shortfall in scale points


@dataclass(frozen=True)
class Gap:
    """One measured gap. `value` is in the measure's own units, signed so that negative means 'worse'."""

    kind: str
    touchpoint: str | None
    subject: str
    measure: str
    value: float
    low: float
    high: float
    n: int
    p_value: float
    effect_size: float
    reach: float = 1.0
    q_value: float = float("nan")
    significant: bool = False
    note: str = ""
    unit: str = ""
    segment: str | None = None
    dimension: str | None = None  # a per-item gap: the dimension its item belongs to (subject is the item)

    @property
    def direction(self) -> str:
        """'worse', 'better' or 'none' (interval covers no gap)."""
        if self.low <= 0 <= self.high:
            return "none"
        return "worse" if self.value < 0 else "better"

    @property
    def priority(self) -> float:
        """Size (standardised effect) times reach; only shortfalls that are significant (or fixed) count."""
        if not ((self.significant or math.isnan(self.p_value)) and self.value < 0):
            return 0.0
        return abs(self.effect_size) * self.reach

    def corrected(self, q_value: float, alpha: float) -> Gap:
        """This gap with its Benjamini-Hochberg q-value and verdict."""
        return replace(self, q_value=q_value, significant=bool(q_value <= alpha))

    def rank_key(self, rank: str = "effect") -> tuple[int, int, float]:
        """Where this gap sorts in a ranking (`RANKS`): significant shortfalls before every other gap, and
        within each part by effect size x reach ("effect"), or by the shortfall in scale points first and
        gaps in other units (seconds, hours, shares, which points cannot compare) after them by effect size
        x reach ("shortfall")."""
        effect = abs(self.effect_size) * self.reach
        size = 0.0 if math.isnan(effect) else effect
        shortfall = 0 if self.priority > 0 else 1
        if rank != "shortfall":
            return shortfall, 0, -size
        return (shortfall, 0, -abs(self.value)) if self.unit == "points" else (shortfall, 1, -size)


@dataclass(frozen=True)
class MissingGap:
    """A gap that could not be measured, and the data that would measure it."""

    kind: str
    needs: str


@dataclass(frozen=True)
class PerceptionHeadline:
    """Share of leaders who believe the experience is superior vs share of customers who agree. Below
    `min_n` customers' answers the customers' share is insufficient data: it is kept for its n, never
    quoted as a figure or tested (every surface then says so, as the score tiles do)."""

    leaders: Estimate
    customers: Estimate
    difference: Difference
    min_n: int = 0

    @property
    def sufficient(self) -> bool:
        """Whether enough customers answered for their share to be quoted and compared."""
        return self.customers.n >= self.min_n


@dataclass(frozen=True)
class KindSummary:
    """One gap kind at a glance: its worst significant shortfall, how many there are, or what is missing."""

    kind: str
    worst: Gap | None
    shortfalls: int
    measured: int
    needs: tuple[str, ...]


@dataclass(frozen=True)
class GapReport:
    """All gaps of one run, corrected together, with what could not be measured; and the per-item customer
    gaps (`items`, a family corrected on its own) with the item cells below the minimum n (`items_thin`)."""

    gaps: tuple[Gap, ...]
    missing: tuple[MissingGap, ...] = field(default_factory=tuple)
    alpha: float = 0.05
    headline: PerceptionHeadline | None = None
    items: tuple[Gap, ...] = field(default_factory=tuple)
    items_thin: tuple[MissingGap, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per gap, highest priority first."""
        rows = [
            {
                "kind": g.kind,
                "touchpoint": g.touchpoint,
                "segment": g.segment,
                "subject": g.subject,
                "measure": g.measure,
                "value": g.value,
                "low": g.low,
                "high": g.high,
                "n": g.n,
                "p_value": g.p_value,
                "q_value": g.q_value,
                "significant": g.significant,
                "direction": g.direction,
                "effect_size": g.effect_size,
                "reach": g.reach,
                "priority": g.priority,
                "note": g.note,
                "dimension": g.dimension,
            }
            for g in self.gaps
        ]
        frame = pd.DataFrame(rows)
        return (
            frame.sort_values("priority", ascending=False, kind="stable").reset_index(drop=True)
            if rows
            else frame
        )

    def of_kind(self, kind: str) -> list[Gap]:
        """The gaps of one kind."""
        return [g for g in self.gaps if g.kind == kind]

    def every(self, kind: str | None = None) -> list[Gap]:
        """Every measured gap, per-item customer gaps included (after the dimensions'), of `kind` or all."""
        return [g for g in (*self.gaps, *self.items) if kind is None or g.kind == kind]

    def ranked(self, rank: str = "effect", kind: str | None = None) -> list[Gap]:
        """Every gap (`every`) in ranking order (`Gap.rank_key`): significant shortfalls first."""
        return sorted(self.every(kind), key=lambda g: g.rank_key(rank))

    def act_first(
        self, limit: int = 10, rank: str = "effect", kind: str | None = None, rest: bool = False
    ) -> list[Gap]:
        """The top-ranked shortfall of each (gap kind, touchpoint), in ranking order, so that no one kind
        crowds out the others; with `rest`, then every other significant shortfall, per-item gaps
        included, in the same order: `limit` rows never hide a shortfall while fewer are listed."""
        pool = self.every(kind) if rest else [g for g in self.gaps if kind is None or g.kind == kind]
        ranked = sorted((g for g in pool if g.priority > 0), key=lambda g: g.rank_key(rank))
        seen: set[tuple[str, str | None]] = set()
        first: list[Gap] = []
        later: list[Gap] = []
        for gap in ranked:
            (later if (gap.kind, gap.touchpoint) in seen else first).append(gap)
            seen.add((gap.kind, gap.touchpoint))
        return (first + (later if rest else []))[:limit]

    def nothing_to_act_on(self) -> str | None:
        """Why "where to act first" is empty, in one sentence (None when it lists something): no gap could
        be measured, or none measured is a significant shortfall; either way, which gaps lack data."""
        if self.act_first(1):
            return None
        unmeasured = [s.kind for s in self.summary() if not s.measured]
        if not self.gaps:
            return (
                "Nothing to act on yet: no gap could be measured from the data in the store "
                "(the six gaps say which data each one needs)."
            )
        which = (
            "the one gap measured is not"
            if len(self.gaps) == 1
            else f"none of the {len(self.gaps):,} gaps measured is"
        )
        text = f"Nothing to act on: {which} a significant shortfall after correcting for the number of tests"
        if unmeasured:
            names = ", ".join(unmeasured[:-1]) + (" and " if len(unmeasured) > 1 else "") + unmeasured[-1]
            text += (
                f"; the {names} gap{'s' if len(unmeasured) > 1 else ''} could not be measured "
                "(the six gaps say which data they need)"
            )
        return text + "."

    def summary(self, rank: str = "effect") -> list[KindSummary]:
        """All six kinds, in the model's order, each with its worst shortfall (by `rank`: effect size x
        reach, or the shortfall in scale points) or the data it lacks."""
        out = []
        for kind in GAP_KINDS:
            gaps = self.of_kind(kind)
            worse = [g for g in gaps if g.value < 0 and (g.significant or math.isnan(g.p_value))]
            if rank == "shortfall":
                worst = min(worse, key=lambda g: g.rank_key(rank), default=None)
            else:
                worst = max(worse, key=lambda g: (g.priority, abs(g.effect_size)), default=None)
            needs = tuple(m.needs for m in self.missing if m.kind == kind)
            out.append(KindSummary(kind, worst, len(worse), len(gaps), needs))
        return out
