"""Typed gap results: every gap with its size, interval, p-value, BH q-value, effect size, reach and priority."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

GAP_KINDS = ("perception", "knowledge", "design", "implementation", "communication", "customer")


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

    @property
    def direction(self) -> str:
        """'worse', 'better' or 'none' (interval covers no gap)."""
        if self.low <= 0 <= self.high:
            return "none"
        return "worse" if self.value < 0 else "better"

    @property
    def priority(self) -> float:
        """Size (standardised effect) times reach; only significant shortfalls get a priority."""
        if not (self.significant and self.value < 0):
            return 0.0
        return abs(self.effect_size) * self.reach

    def corrected(self, q_value: float, alpha: float) -> Gap:
        """This gap with its Benjamini-Hochberg q-value and verdict."""
        return replace(self, q_value=q_value, significant=bool(q_value <= alpha))


@dataclass(frozen=True)
class MissingGap:
    """A gap that could not be measured, and the data that would measure it."""

    kind: str
    needs: str


@dataclass(frozen=True)
class GapReport:
    """All gaps of one run, corrected together, with what could not be measured."""

    gaps: tuple[Gap, ...]
    missing: tuple[MissingGap, ...] = field(default_factory=tuple)
    alpha: float = 0.05

    def to_frame(self) -> pd.DataFrame:
        """One row per gap, highest priority first."""
        rows = [
            {
                "kind": g.kind,
                "touchpoint": g.touchpoint,
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
