"""The report's content: result objects, the charts drawn from them, and a plain-language finding for each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxgap.churn import store_risk
from cxgap.config import Settings
from cxgap.drivers import LEVELS, OUTCOMES, DriverReport, drivers
from cxgap.engine import ALL, Engine, Filters
from cxgap.errors import CxgapError
from cxgap.gaps import GAP_KINDS, GapReport, analyze, describe, figure, headline_sentence
from cxgap.gaps.scores import headline_scores
from cxgap.impact import ImpactReport, impact
from cxgap.journeys import analyze_journeys
from cxgap.metrics import Score, ScoreTable, score
from cxgap.report import charts, journey_risk_charts
from cxgap.report.findings import journey_finding, risk_finding
from cxgap.report.money import money_interval
from cxgap.store import describe_url
from cxgap.text.service import TextReport, analyze_text


@dataclass(frozen=True)
class Section:
    """One chart with the finding written under it."""

    key: str
    title: str
    spec: dict[str, Any] | None
    finding: str


@dataclass(frozen=True)
class Report:
    """Everything the HTML report shows, for one slice of the data (`filters`)."""

    title: str
    generated: str
    store: str
    gaps: GapReport
    trends: tuple[ScoreTable, ...]
    sections: tuple[Section, ...]
    filters: Filters = ALL
    scores: dict[str, Score | None] = field(default_factory=dict)


def worst_finding(report: GapReport, kinds: tuple[str, ...], role: str | None = None) -> str:
    """The worst significant shortfall among `kinds` in one sentence, or what data would measure them."""
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


def drivers_finding(report: DriverReport | None) -> str:
    """What drives the outcome in one paragraph, or why it was not measured (insufficient data with n and
    the minimum the model needs, never a NaN)."""
    if report is None:
        return "Not measured: needs an [items] section in cxgap.toml."
    if not report.measured:
        return f"Not measured: {'; '.join(report.notes) or report.fit()}."
    focus = [d.name for d in report.ranked() if d.quadrant == "concentrate here"]
    top = report.ranked()[0]
    drivers = report.level if report.level in LEVELS else "drivers"
    outcome = OUTCOMES.get(report.outcome, report.outcome)
    text = (
        f"The {drivers} explain R² = {report.r_squared:.2f} [{report.r_squared_low:.2f}, {report.r_squared_high:.2f}] "
        f"of {outcome} (n={report.rows:,}); {top.name} matters most ({top.share:.0%} "
        f"[{top.share_low:.0%}, {top.share_high:.0%}] of it)."
    )
    if focus:
        text += f" Concentrate on {', '.join(focus)}: important and performing below the rest."
    against = report.against()
    if against:
        text += f" Read the signs: {'; '.join(against)}."
    return text


def impact_finding(report: ImpactReport, currency: str) -> str:
    """The largest yearly value in one sentence (in the company's currency), or what the value of closing
    a gap still needs."""
    if not report.values.values:
        needs = (
            " ".join(report.notes)
            or "needs relational NPS answers linked to customers with churn and revenue."
        )
        return f"Not measured: {needs}"
    best = max(report.values.values, key=lambda v: v.value)
    return (
        f"Largest: {best.what}, worth {money_interval(best.value, best.low, best.high, currency)} a year "
        f"({best.chain}), if the links are causal."
    )


def text_finding(report: TextReport) -> str:
    if not report.texts:
        return "Not measured: needs feedback texts or survey comments (import them with a mapping)."
    scored = [t for t in report.themes if t.nps_impact is not None]
    if not scored:
        return (
            f"{report.texts:,} texts, but too few of their authors answered NPS to weigh any theme."
            + _alerts_said(report)
        )
    worst = min(scored, key=lambda t: t.nps_impact.value if t.nps_impact else 0.0)
    assert worst.nps_impact is not None
    text = (
        f"Of {report.texts:,} texts (sentiment: {report.sentiment.mode}), customers who raise {worst.theme} "
        f"({worst.texts:,} texts, {worst.negative:.0%} negative) give an NPS {worst.nps_impact.value:+.0f} "
        f"[{worst.nps_impact.low:+.0f}, {worst.nps_impact.high:+.0f}] points against the others"
    )
    if worst.examples:
        text += f', e.g. "{worst.examples[0]}"'
    text += "."
    return text + _alerts_said(report)


def _alerts_said(report: TextReport) -> str:
    """The emerging issues (at most three) and how the check ran, or why it could not: never a silence
    that reads as "nothing rose" where nothing was checked."""
    said = f" {report.watch.sentence()}" if report.watch else ""
    if report.alerts:
        said += " Emerging: " + " ".join(a.sentence() for a in report.alerts[:3])
    return said


def trend_finding(tables: tuple[ScoreTable, ...]) -> str:
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


def journey_risk_sections(engine: Engine, settings: Settings, filters: Filters = ALL) -> tuple[Section, ...]:
    """Where journeys break in the slice, and who is at risk (all current customers; or why that cannot
    be measured yet)."""
    journeys = analyze_journeys(engine, settings, filters=filters)
    flow = Section(
        "journeys",
        "Where customers fall out",
        journey_risk_charts.flow_chart(journeys),
        journey_finding(journeys),
    )
    title = "Churn risk and customer health" + (" (all current customers)" if filters.active else "")
    try:
        risk = store_risk(engine, settings, trend_months=1)
    except CxgapError as error:
        return flow, Section("risk", title, None, f"Not measured: {error}")
    return flow, Section(
        "risk",
        title,
        journey_risk_charts.health_chart(risk),
        risk_finding(risk, settings.company.currency),
    )


def gap_sections(gaps: GapReport, touchpoints: Sequence[str] = ()) -> tuple[Section, ...]:
    """The leaders-vs-customers headline, the gap map, perception, P - E and operations, each with its
    finding; the headline's chart only where enough customers answered (else its sentence says so)."""
    if gaps.headline:
        headline = headline_sentence(gaps.headline)
    else:
        headline = "Not measured: needs leaders' and customers' 'superior?' answers."
    sufficient = gaps.headline is not None and gaps.headline.sufficient
    return (
        Section(
            "headline",
            "Leaders vs customers",
            charts.headline_chart(gaps) if sufficient else None,
            headline,
        ),
        Section("gap_map", "Gap map", charts.gap_map(gaps, touchpoints), worst_finding(gaps, GAP_KINDS)),
        Section(
            "perception",
            "What leaders believe vs what customers rate",
            charts.gap_bars(gaps, ("perception",), "Customers' rating minus leaders' belief", role="leader"),
            worst_finding(gaps, ("perception",), "leader"),
        ),
        Section(
            "customer",
            "Experience vs expectation (P - E)",
            charts.gap_bars(gaps, ("customer",), "Perception minus expectation"),
            worst_finding(gaps, ("customer",)),
        ),
        Section(
            "operations",
            "Service standards and promises",
            charts.gap_bars(gaps, ("implementation", "communication"), "Actual vs target and promise"),
            worst_finding(gaps, ("implementation", "communication")),
        ),
    )


def build_report(engine: Engine, settings: Settings, filters: Filters = ALL) -> Report:
    """Run the analyses the report needs on the slice `filters` and assemble its sections: the same gap
    analysis (`gaps.analyze`) and scores (`headline_scores`) as the dashboard and `cxgap analyze`."""
    key = drivers(engine, settings, "nps", "items", filters=filters) if settings.items else None
    gaps = analyze(engine, settings, filters=filters)
    money = impact(engine, settings, gaps)
    voice = analyze_text(engine, settings, discover_topics=False, filters=filters)
    a = settings.analysis
    trends = tuple(
        score(
            engine,
            metric,
            ("period",),
            period="quarter",
            min_n=a.min_n,
            confidence=a.confidence,
            filters=filters,
        )
        for metric in ("nps", "csat", "ces")
    )
    sections = (
        *gap_sections(gaps, settings.touchpoints),
        Section(
            "drivers",
            "What drives loyalty",
            charts.quadrant_chart(key) if key and key.measured else None,
            drivers_finding(key),
        ),
        Section(
            "impact",
            "What closing the gap is worth",
            charts.value_chart(money.values, settings.company.currency),
            impact_finding(money, settings.company.currency),
        ),
        Section("text", "What customers say", charts.theme_chart(voice), text_finding(voice)),
        Section(
            "trends",
            "NPS, CSAT and CES over time",
            charts.trend_chart(list(trends), "Scores by quarter, 95% intervals"),
            trend_finding(trends),
        ),
        *journey_risk_sections(engine, settings, filters),
    )
    return Report(
        title="Customer experience gap report",
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        store=describe_url(engine.store.url),
        gaps=gaps,
        trends=trends,
        sections=sections,
        filters=filters,
        scores=headline_scores(engine, settings, filters),
    )
