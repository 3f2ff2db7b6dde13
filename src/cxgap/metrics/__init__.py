"""CX metrics (NPS, CSAT, CES) by any grouping, each with n and a 95% interval; changes between periods."""

from __future__ import annotations

from cxgap.metrics.schemas import METRICS, Change, ChangeTable, Score, ScoreTable
from cxgap.metrics.service import GROUPINGS, aggregate, change, score

__all__ = [
    "GROUPINGS",
    "METRICS",
    "Change",
    "ChangeTable",
    "Score",
    "ScoreTable",
    "aggregate",
    "change",
    "score",
]
