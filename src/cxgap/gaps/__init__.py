"""The six gaps of the service-quality model, measured with intervals, corrected together, prioritised."""

from __future__ import annotations

from cxgap.gaps.schemas import GAP_KINDS, Gap, GapReport, KindSummary, MissingGap, PerceptionHeadline
from cxgap.gaps.service import analyze, correct
from cxgap.gaps.voice import headline
from cxgap.gaps.words import describe, figure, headline_sentence

__all__ = [
    "GAP_KINDS",
    "Gap",
    "GapReport",
    "KindSummary",
    "MissingGap",
    "PerceptionHeadline",
    "analyze",
    "correct",
    "describe",
    "figure",
    "headline_sentence",
    "headline",
]
