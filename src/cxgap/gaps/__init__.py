"""The six gaps of the service-quality model, measured with intervals, corrected together, prioritised."""

from __future__ import annotations

from cxgap.gaps.schemas import GAP_KINDS, Gap, GapReport, MissingGap
from cxgap.gaps.service import analyze, correct
from cxgap.gaps.voice import PerceptionHeadline, headline

__all__ = [
    "GAP_KINDS",
    "Gap",
    "GapReport",
    "MissingGap",
    "PerceptionHeadline",
    "analyze",
    "correct",
    "headline",
]
