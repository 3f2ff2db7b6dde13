"""What `cxgap analyze` prints for a slice as JSON and CSV: its scores per survey kind, the six gaps, where
to act first and every gap, per-item gaps included (the figures the dashboard and the report show for the
same filters, in the same words, as the typed objects the API serves)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cxgap.engine import Filters
from cxgap.gaps import Gap, GapReport, describe, figure, headline_sentence, ranking_sentence
from cxgap.metrics import Score

from .output import plain_data

LABELS = {"nps": "NPS (relational)", "csat": "CSAT 1-5 (transactional)", "ces": "CES 1-7 (transactional)"}
NAMES = {"nps": "NPS", "csat": "CSAT 1-5", "ces": "CES 1-7 (7 = very easy)"}


@dataclass(frozen=True)
class Listing:
    """What `cxgap analyze` lists: every gap (`every`) or where to act first (`top` rows), of one `kind` or
    all, in the order `rank` names (effect or shortfall)."""

    top: int = 10
    every: bool = False
    kind: str | None = None
    rank: str = "effect"

    def gaps(self, report: GapReport) -> list[Gap]:
        """The gaps this listing shows, in its order."""
        if self.every:
            return report.ranked(self.rank, self.kind)
        return report.act_first(self.top, self.rank, self.kind, rest=True)


def _number(value: float) -> float | None:
    """A float for JSON: None where it is unknown (JSON has no NaN)."""
    return None if math.isnan(value) else value


def score_json(score: Score | None) -> dict[str, Any] | None:
    """A score as JSON: its figure in words (with interval and n, or insufficient data), n and status."""
    if score is None:
        return None
    e = score.estimate
    return {
        "figure": score.figure(),
        "n": score.n,
        "status": score.status,
        "value": e.value if e else None,
        "low": e.low if e else None,
        "high": e.high if e else None,
    }


def scores_said(scores: tuple[Score, ...]) -> list[str]:
    """Each score per survey kind in one sentence, e.g. 'NPS, relational: +12 [+8, +16], n=1,065'."""
    return [f"{NAMES[s.metric]}, {s.group.get('survey_kind')}: {s.figure()}" for s in scores]


def gap_json(gap: Gap) -> dict[str, Any]:
    """A gap as JSON: the API's gap (every field, NaN as null) with its direction, priority, the sentence
    and the figure every surface shows."""
    shown: dict[str, Any] = plain_data(gap)
    return shown | {
        "direction": gap.direction,
        "priority": _number(gap.priority),
        "finding": describe(gap),
        "figure": figure(gap),
    }


def gaps_frame(gaps: list[Gap]) -> pd.DataFrame:
    """The listed gaps as CSV rows, in their order: rank, where, what, the finding, value and interval,
    n, p, q, effect size, reach and priority."""
    columns = ["rank", "kind", "touchpoint", "segment", "subject", "dimension", "finding", "figure"]
    columns += ["value", "low", "high", "unit", "n", "p_value", "q_value", "significant", "direction"]
    rows = [{"rank": k} | gap_json(g) for k, g in enumerate(gaps, 1)]
    return pd.DataFrame(rows, columns=[*columns, "effect_size", "reach", "priority"])


def analysis_json(
    report: GapReport,
    scores: dict[str, Score | None],
    filters: Filters,
    top: int | Listing,
    by_kind: tuple[Score, ...] = (),
) -> dict[str, Any]:
    """The analysis of a slice as JSON: the slice, its headline scores and every score per survey kind,
    the perception headline, the six gaps (the shortfalls of each and their worst), where to act first,
    and every gap (per-item gaps included) with the ranking rule, narrowed to the listing's kind."""
    listing = top if isinstance(top, Listing) else Listing(top)
    return {
        "slice": {"filters": filters.query(), "described": filters.describe()},
        "scores": {name: score_json(s) for name, s in scores.items()},
        "scores_by_kind": [
            {"metric": s.metric, "survey_kind": s.group.get("survey_kind")} | (score_json(s) or {})
            for s in by_kind
        ],
        "ranking": {"rank": listing.rank, "rule": ranking_sentence(listing.rank, option=False)},
        "kind": listing.kind,
        "gaps": [gap_json(g) for g in report.ranked(listing.rank, listing.kind)],
        "insufficient": [m.needs for m in report.items_thin if listing.kind in (None, m.kind)],
        "headline": headline_sentence(report.headline) if report.headline else None,
        "six_gaps": [
            {
                "kind": s.kind,
                "shortfalls": s.shortfalls,
                "measured": s.measured,
                "worst": gap_json(s.worst) if s.worst else None,
                "needs": list(s.needs),
            }
            for s in report.summary(listing.rank)
        ],
        "act_first": [
            gap_json(g) for g in report.act_first(listing.top, listing.rank, listing.kind, rest=True)
        ],
        "nothing_to_act_on": report.nothing_to_act_on(),
    }
