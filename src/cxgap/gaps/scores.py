"""The customer gap's scores of a slice: NPS, CSAT and CES per survey kind, each with n and its interval (or
insufficient data below the minimum n), and the headline three among them (relational NPS, transactional
CSAT and CES). One place, so the dashboard's tiles, `cxgap analyze` and the report quote the same figures
for the same filters."""

from __future__ import annotations

from cxgap.config import Settings
from cxgap.engine import ALL, Engine, Filters
from cxgap.metrics import Score, score

# each headline score from the survey that measures it: NPS about the company, CSAT and CES about a touchpoint
SCORES = (("nps", "relational"), ("csat", "transactional"), ("ces", "transactional"))
KIND_ORDER = ("relational", "transactional")


def scores_by_kind(engine: Engine, settings: Settings, filters: Filters = ALL) -> tuple[Score, ...]:
    """NPS, CSAT and CES of the slice for every survey kind that answered them (relational first), each a
    Score whose group names its survey kind: a survey of another kind than the headline's (NPS asked after
    a transaction, say) is shown too, never dropped."""
    a, out = settings.analysis, []
    for metric, _ in SCORES:
        table = score(engine, metric, (), min_n=a.min_n, confidence=a.confidence, filters=filters)
        out += sorted(table.scores, key=lambda s: _kind_rank(str(s.group.get("survey_kind"))))
    return tuple(out)


def headline_of(scores: tuple[Score, ...]) -> dict[str, Score | None]:
    """The headline three among scores per survey kind, by name; None for a score the slice has no answer
    for from its headline survey kind."""
    return {
        metric: next(
            (s for s in scores if s.metric == metric and s.group.get("survey_kind") == kind),
            None,
        )
        for metric, kind in SCORES
    }


def headline_scores(engine: Engine, settings: Settings, filters: Filters = ALL) -> dict[str, Score | None]:
    """NPS, CSAT and CES of the slice by name; None for a score the slice has no answer for."""
    return headline_of(scores_by_kind(engine, settings, filters))


def _kind_rank(kind: str) -> tuple[int, str]:
    """Relational, transactional, then any other kind alphabetically."""
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)
