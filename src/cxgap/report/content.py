"""The report's content: result objects, the charts drawn from them, and a plain-language finding for each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cxgap.config import Settings
from cxgap.engine import Engine
from cxgap.gaps import GapReport, analyze, describe, figure, headline_sentence
from cxgap.metrics import Score, ScoreTable, score
from cxgap.report import charts
from cxgap.store import describe_url


@dataclass(frozen=True)
class Section:
    """One chart with the finding written under it."""

    key: str
    title: str
    spec: dict[str, Any] | None
    finding: str


@dataclass(frozen=True)
class Report:
    """Everything the HTML report shows."""

    title: str
    generated: str
    store: str
    gaps: GapReport
    trends: tuple[ScoreTable, ...]
    sections: tuple[Section, ...]


def _worst(report: GapReport, kinds: tuple[str, ...], role: str | None = None) -> str:
    pool = [
        g
        for g in report.gaps
        if g.kind in kinds and g.priority > 0 and (role is None or g.subject.endswith(f"({role})"))
    ]
    if not pool:
        needs = [m.needs for m in report.missing if m.kind in kinds]
        return ("Not measured: needs " + "; ".join(needs) + ".") if needs else "No significant shortfall."
    worst = max(pool, key=lambda g: g.priority)
    return (
        f"{describe(worst)} ({figure(worst)}; {len(pool)} shortfall{'s' if len(pool) != 1 else ''} in all.)"
    )


def _trend_finding(tables: tuple[ScoreTable, ...]) -> str:
    nps = next((t for t in tables if t.metric == "nps"), None)
    cells = [s for s in nps.scores if s.estimate is not None] if nps else []
    if len(cells) < 2:
        return "Not enough answers per period for a trend yet."
    first, last = cells[0], cells[-1]
    assert first.estimate is not None and last.estimate is not None

    def quarter(cell: Score) -> str:
        return str(pd.Timestamp(cell.group["period"]).to_period("Q")).replace("Q", " Q")

    return (
        f"Relational NPS moved from {first.estimate.value:+.0f} [{first.estimate.low:+.0f}, {first.estimate.high:+.0f}] "
        f"in {quarter(first)} to {last.estimate.value:+.0f} [{last.estimate.low:+.0f}, {last.estimate.high:+.0f}] "
        f"in {quarter(last)}."
    )


def build_report(engine: Engine, settings: Settings) -> Report:
    """Run the analyses the report needs and assemble its sections."""
    gaps = analyze(engine, settings)
    trends = tuple(
        score(
            engine,
            metric,
            ("period",),
            period="quarter",
            min_n=settings.analysis.min_n,
            confidence=settings.analysis.confidence,
        )
        for metric in ("nps", "csat", "ces")
    )
    headline = (
        headline_sentence(gaps.headline)
        if gaps.headline
        else "Not measured: needs leaders' and customers' 'superior?' answers."
    )
    sections = (
        Section("headline", "Leaders vs customers", charts.headline_chart(gaps), headline),
        Section(
            "gap_map",
            "Gap map",
            charts.gap_map(gaps),
            _worst(
                gaps,
                tuple(
                    k
                    for k in (
                        "perception",
                        "knowledge",
                        "design",
                        "implementation",
                        "communication",
                        "customer",
                    )
                ),
            ),
        ),
        Section(
            "perception",
            "What leaders believe vs what customers rate",
            charts.gap_bars(gaps, ("perception",), "Customers' rating minus leaders' belief", role="leader"),
            _worst(gaps, ("perception",), "leader"),
        ),
        Section(
            "customer",
            "Experience vs expectation (P - E)",
            charts.gap_bars(gaps, ("customer",), "Perception minus expectation"),
            _worst(gaps, ("customer",)),
        ),
        Section(
            "operations",
            "Service standards and promises",
            charts.gap_bars(gaps, ("implementation", "communication"), "Actual vs target and promise"),
            _worst(gaps, ("implementation", "communication")),
        ),
        Section(
            "trends",
            "NPS, CSAT and CES over time",
            charts.trend_chart(list(trends), "Scores by quarter, 95% intervals"),
            _trend_finding(trends),
        ),
    )
    return Report(
        title="Customer experience gap report",
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        store=describe_url(engine.store.url),
        gaps=gaps,
        trends=trends,
        sections=sections,
    )
