"""What `cxgap analyze --weighted` prints: each headline score unweighted beside weighted to the customer
base, with n, effective n and design effect, and the answers that could not be weighted (formatting only)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from cxgap.surveys.weighted import WeightedScores

from .slices import LABELS, score_json


def weighted_table(result: WeightedScores) -> Table:
    """One row per score: the unweighted figure (n, interval), the weighted one (effective n, design
    effect, interval from the effective n), and their difference."""
    table = Table(
        "score",
        "unweighted",
        "weighted to the customer base",
        "difference",
        title="Scores weighted to the customer base (raking)",
        caption=result.describe(),
    )
    for s in result.scores:
        unweighted = s.unweighted.figure() if s.unweighted else "no answers in this slice"
        table.add_row(LABELS[s.metric], unweighted, s.figure(), s.difference_figure() or "")
    return table


def weighted_notes(result: WeightedScores) -> list[str]:
    """The answers left out of each score's weighting, one sentence each."""
    return [f"{LABELS[s.metric]}: {s.note()}." for s in result.scores if s.note()]


def weighted_json(result: WeightedScores) -> dict[str, Any]:
    """The weighted scores as JSON: the base they were weighted to, and each score both ways."""
    return {
        "base": result.describe(),
        "variables": list(result.variables),
        "scores": {
            s.metric: {"unweighted": score_json(s.unweighted), "weighted": s.as_dict()} for s in result.scores
        },
    }
