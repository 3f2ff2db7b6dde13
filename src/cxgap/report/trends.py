"""The trend of the scores in words: how a score moved between its first and last period with enough
answers, or, when there is no trend to tell, why (every answer in one period, or too few periods with the
minimum n), with the counts and the periods named."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cxgap.metrics import Score, ScoreTable

NAMES = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
KIND_ORDER = ("relational", "transactional")
PERIOD_WORDS = {"month": "month", "quarter": "quarter", "year": "year"}

Series = tuple[str, str, list[Score]]  # metric, survey kind, its cells by period


def period_label(value: object, period: str) -> str:
    """A period's start as people name it: '2024 Q3', 'Jul 2024' or '2024'."""
    start = pd.Timestamp(str(value))
    if period == "quarter":
        return f"{start.year} Q{start.quarter}"
    return str(start.year) if period == "year" else f"{start:%b %Y}"


def _series(tables: Sequence[ScoreTable]) -> list[Series]:
    """Each (metric, survey kind) with answers, its cells in period order: the tables' metrics in their
    order, relational before transactional within each."""
    out = []
    for table in tables:
        kinds = sorted(
            {str(s.group.get("survey_kind")) for s in table.scores},
            key=lambda k: (KIND_ORDER.index(k) if k in KIND_ORDER else len(KIND_ORDER), k),
        )
        for kind in kinds:
            cells = [s for s in table.scores if str(s.group.get("survey_kind")) == kind]
            out.append(
                (table.metric, kind, sorted(cells, key=lambda s: pd.Timestamp(str(s.group["period"]))))
            )
    return out


def _figure(cell: Score) -> str:
    """A cell's value and interval without its n (the sentence says the periods)."""
    return cell.figure().split(", n=")[0]


def trend_finding(tables: Sequence[ScoreTable], period: str = "month") -> str:
    """How the first score with two periods of enough answers moved (relational NPS first), or why no
    score has a trend yet, with its count and periods named: never a bare "not enough data"."""
    series = _series(tables)
    if not series:
        return "Not measured: no NPS, CSAT or CES answers in this slice yet."
    for metric, kind, cells in series:
        measured = [c for c in cells if c.estimate is not None]
        if len(measured) >= 2:
            first, last = measured[0], measured[-1]
            return (
                f"{kind.capitalize()} {NAMES.get(metric, metric)} moved from {_figure(first)} in "
                f"{period_label(first.group['period'], period)} to {_figure(last)} in "
                f"{period_label(last.group['period'], period)}."
            )
    metric, kind, cells = max(series, key=lambda s: sum(c.n for c in s[2]))
    min_n = next(t.min_n for t in tables if t.metric == metric)
    return _no_trend(
        f"{kind} {NAMES.get(metric, metric)}", cells, min_n, PERIOD_WORDS.get(period, period), period
    )


def _no_trend(what: str, cells: list[Score], min_n: int, word: str, period: str) -> str:
    """Why one series has no trend: its answers in one period, or too few periods with `min_n` answers."""
    needs = f"a trend needs two {word}s with at least {min_n} answers each"
    total = sum(c.n for c in cells)
    if len(cells) == 1:
        label = period_label(cells[0].group["period"], period)
        return f"No trend yet: all {total:,} {what} answers fall in one {word} ({label}): {needs}."
    enough = [period_label(c.group["period"], period) for c in cells if c.estimate is not None]
    which = f"only {enough[0]} has" if enough else "none has"
    return (
        f"No trend yet: the {total:,} {what} answers spread over {len(cells)} {word}s and {which} "
        f"{min_n} answers or more: {needs}."
    )
