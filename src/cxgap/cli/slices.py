"""What `cxgap analyze` prints for a slice: its scores in one line, and the whole analysis as JSON (the
figures the dashboard and the report show for the same filters, in the same words)."""

from __future__ import annotations

import math
from typing import Any

from cxgap.engine import Filters
from cxgap.gaps import Gap, GapReport, describe, figure, headline_sentence
from cxgap.metrics import Score

LABELS = {"nps": "NPS (relational)", "csat": "CSAT 1-5 (transactional)", "ces": "CES 1-7 (transactional)"}


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


def scores_line(scores: dict[str, Score | None]) -> str:
    """The slice's NPS, CSAT and CES in one line, each with interval and n (or why there is none)."""
    return "Scores: " + "; ".join(
        f"{LABELS[name]} {s.figure() if s else 'no answers in this slice'}" for name, s in scores.items()
    )


def gap_json(gap: Gap) -> dict[str, Any]:
    """A gap as JSON: where, what, the sentence and figure every surface shows, its q-value."""
    return {
        "kind": gap.kind,
        "touchpoint": gap.touchpoint,
        "segment": gap.segment,
        "subject": gap.subject,
        "finding": describe(gap),
        "figure": figure(gap),
        "n": gap.n,
        "q_value": _number(gap.q_value),
        "significant": gap.significant,
    }


def analysis_json(
    report: GapReport, scores: dict[str, Score | None], filters: Filters, top: int
) -> dict[str, Any]:
    """The analysis of a slice as JSON: the slice, its scores, the perception headline, the six gaps (the
    shortfalls of each and their worst) and where to act first."""
    return {
        "slice": {"filters": filters.query(), "described": filters.describe()},
        "scores": {name: score_json(s) for name, s in scores.items()},
        "headline": headline_sentence(report.headline) if report.headline else None,
        "six_gaps": [
            {
                "kind": s.kind,
                "shortfalls": s.shortfalls,
                "measured": s.measured,
                "worst": gap_json(s.worst) if s.worst else None,
                "needs": list(s.needs),
            }
            for s in report.summary()
        ],
        "act_first": [gap_json(g) for g in report.act_first(top)],
        "nothing_to_act_on": report.nothing_to_act_on(),
    }
