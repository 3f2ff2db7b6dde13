"""The customer gap's headline scores of a slice: relational NPS, transactional CSAT and CES, each with n
and its interval (or insufficient data below the minimum n). One function, so the dashboard's tiles, `cxgap
analyze` and the report quote the same figures for the same filters."""

from __future__ import annotations

from cxgap.config import Settings
from cxgap.engine import ALL, Engine, Filters
from cxgap.metrics import Score, score

# each score from the survey that measures it: NPS about the company, CSAT and CES about a touchpoint
SCORES = (("nps", "relational"), ("csat", "transactional"), ("ces", "transactional"))


def headline_scores(engine: Engine, settings: Settings, filters: Filters = ALL) -> dict[str, Score | None]:
    """NPS, CSAT and CES of the slice by name; None for a score the slice has no answer for."""
    a, out = settings.analysis, {}
    for metric, kind in SCORES:
        table = score(engine, metric, (), min_n=a.min_n, confidence=a.confidence, filters=filters)
        out[metric] = next((s for s in table.scores if s.group.get("survey_kind") == kind), None)
    return out
