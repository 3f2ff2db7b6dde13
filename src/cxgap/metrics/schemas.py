"""Typed results of the CX metrics: every score with n and its interval, or 'insufficient data'."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxgap.stats import Difference, Estimate

METRICS = ("nps", "csat", "csat_top2", "ces", "ces_easy")
SHARES = ("csat_top2", "ces_easy")


@dataclass(frozen=True)
class Score:
    """One cell: a metric for one group. `estimate` is None when n is below the minimum."""

    metric: str
    group: dict[str, Any]
    n: int
    estimate: Estimate | None

    @property
    def status(self) -> str:
        """'ok' or why there is no number."""
        return "ok" if self.estimate is not None else "insufficient data"

    def figure(self) -> str:
        """The score in words with its interval and n, e.g. '+32 [+29, +35], n=1,204' (NPS in points, shares
        in %, means to two decimals), or 'insufficient data, n=12'."""
        e = self.estimate
        if e is None:
            return f"insufficient data, n={self.n:,}"
        if self.metric == "nps":
            shown = f"{e.value:+.0f} [{e.low:+.0f}, {e.high:+.0f}]"
        elif self.metric in SHARES:
            shown = f"{100 * e.value:.0f}% [{100 * e.low:.0f}, {100 * e.high:.0f}%]"
        else:
            shown = f"{e.value:.2f} [{e.low:.2f}, {e.high:.2f}]"
        return f"{shown}, n={self.n:,}"


@dataclass(frozen=True)
class ScoreTable:
    """A metric by a grouping (survey kinds are always kept apart)."""

    metric: str
    by: tuple[str, ...]
    min_n: int
    scores: tuple[Score, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the keys, n, value, low, high, status."""
        rows = []
        for s in self.scores:
            e = s.estimate
            rows.append(
                {
                    **s.group,
                    "metric": self.metric,
                    "n": s.n,
                    "value": e.value if e else float("nan"),
                    "low": e.low if e else float("nan"),
                    "high": e.high if e else float("nan"),
                    "status": s.status if e else f"insufficient data (n={s.n} < {self.min_n})",
                }
            )
        columns = [*self.by, "metric", "n", "value", "low", "high", "status"]
        return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class Change:
    """A metric's change from period A to period B for one group."""

    metric: str
    group: dict[str, Any]
    difference: Difference | None

    @property
    def status(self) -> str:
        """'ok' or why there is no number."""
        return "ok" if self.difference is not None else "insufficient data"


@dataclass(frozen=True)
class ChangeTable:
    """Changes between two periods, per group."""

    metric: str
    by: tuple[str, ...]
    period_a: tuple[str, str]
    period_b: tuple[str, str]
    changes: tuple[Change, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per group: n in each period, the change, its interval and p-value."""
        rows = []
        for c in self.changes:
            d = c.difference
            rows.append(
                {
                    **c.group,
                    "metric": self.metric,
                    "n_a": d.n_a if d else None,
                    "n_b": d.n_b if d else None,
                    "change": d.value if d else float("nan"),
                    "low": d.low if d else float("nan"),
                    "high": d.high if d else float("nan"),
                    "p_value": d.p_value if d else float("nan"),
                    "status": c.status,
                }
            )
        columns = [*self.by, "metric", "n_a", "n_b", "change", "low", "high", "p_value", "status"]
        return pd.DataFrame(rows, columns=columns)
