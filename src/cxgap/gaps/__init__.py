"""The six gaps of the service-quality model, measured with intervals, corrected together, prioritised."""

from __future__ import annotations

from cxgap.gaps.priorities import Priorities, Priority, Target, ValueAtStake, prioritise, q_text
from cxgap.gaps.schemas import GAP_KINDS, RANKS, Gap, GapReport, KindSummary, MissingGap, PerceptionHeadline
from cxgap.gaps.service import analyze, correct
from cxgap.gaps.voice import headline
from cxgap.gaps.words import describe, figure, headline_sentence, ranking_sentence

__all__ = [
    "GAP_KINDS",
    "Gap",
    "GapReport",
    "KindSummary",
    "MissingGap",
    "PerceptionHeadline",
    "RANKS",
    "Priorities",
    "Priority",
    "Target",
    "ValueAtStake",
    "analyze",
    "correct",
    "describe",
    "figure",
    "headline_sentence",
    "headline",
    "prioritise",
    "q_text",
    "ranking_sentence",
]
