"""The report's content: result objects, the charts drawn from them, and a plain-language finding for each."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cxgap.churn import store_risk
from cxgap.config import Settings
from cxgap.drivers import LEVELS, OUTCOMES, DriverReport, drivers
from cxgap.engine import ALL, Engine, Filters, with_data_defaults
from cxgap.errors import CxgapError
from cxgap.gaps import GAP_KINDS, GapReport, analyze, describe, figure, headline_sentence
from cxgap.gaps.scores import headline_of, scores_by_kind
from cxgap.impact import ImpactReport, ValueReport, impact
from cxgap.journeys import analyze_journeys
from cxgap.metrics import Score, ScoreTable, score
from cxgap.report import charts, journey_risk_charts
from cxgap.report.findings import journey_finding, risk_finding
from cxgap.report.money import money_interval
from cxgap.report.trends import trend_finding as trend_finding  # re-exported: the overview page uses it
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
    scores_by_kind: tuple[
        Score, ...
    ] = ()  # NPS, CSAT and CES per survey kind (the headline three among them)
    rank: str = "effect"  # how "where to act first" is ranked (cxgap.gaps.RANKS)
    min_n: int = 30  # answers below which a score or gap is insufficient data


def worst_finding(report: GapReport, kinds: tuple[str, ...], role: str | None = None) -> str:
    """The worst significant shortfall among `kinds` in one sentence, or what data would measure them."""
    pool = [
        g
        for g in report.gaps
        if g.kind in kinds and g.priority > 0 and (role is None or g.subject.endswith(f"({role})"))
    ]
    if not pool:
        needs = list(dict.fromkeys(m.needs for m in report.missing if m.kind in kinds))  # each need once
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


def priced(report: ImpactReport) -> ValueReport:
    """The values that have a money figure: a value needs revenue, and without it there is none to show
    (never a NaN dressed as an amount)."""
    return ValueReport(tuple(v for v in report.values.values if math.isfinite(v.value)))


def unpriced(report: ImpactReport) -> str:
    """Why values were measured but have no money figure, naming the data they lack: yearly revenue per
    customer, or revenue in two outcome periods for the NPS groups' growth."""
    groups = report.linkage.groups
    lacks = []
    if not any(math.isfinite(g.revenue.value) for g in groups):
        lacks.append("yearly revenue per customer (customers.revenue)")
    if groups and not all(math.isfinite(g.growth.value) for g in groups):
        lacks.append("each customer's revenue in two outcome periods (the outcomes table), for the growth")
    if not lacks:
        return "Not measured in money: the value chain gave no amount for these data."
    return (
        "Not measured in money: what moving detractors or closing a gap is worth needs "
        + " and ".join(lacks)
        + "; the store has none yet."
    )


def impact_finding(report: ImpactReport, currency: str) -> str:
    """The largest yearly value in one sentence (in the company's currency), or what the value of closing
    a gap still needs: the notes' data, or revenue where the links are measured but cannot be priced."""
    values = priced(report).values
    if not values:
        needs = " ".join(report.notes)
        if report.values.values:  # measured links, no money to price them with
            return unpriced(report) + (f" {needs}" if needs else "")
        return f"Not measured: {needs or 'needs relational NPS answers linked to customers with churn and revenue.'}"
    best = max(values, key=lambda v: v.value)
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


def build_report(engine: Engine, settings: Settings, filters: Filters = ALL, rank: str = "effect") -> Report:
    """Run the analyses the report needs on the slice `filters` and assemble its sections: the same gap
    analysis (`gaps.analyze`) and scores per survey kind (`scores_by_kind`) as the dashboard and `cxgap
    analyze`; where to act first ranked by `rank` (effect or shortfall). Where cxgap.toml names no
    touchpoints or items, those the data holds are used (as `cxgap analyze` and `cxgap drivers` do)."""
    settings = with_data_defaults(engine, settings)
    by_kind = scores_by_kind(engine, settings, filters)
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
            charts.value_chart(priced(money), settings.company.currency),
            impact_finding(money, settings.company.currency),
        ),
        Section("text", "What customers say", charts.theme_chart(voice), text_finding(voice)),
        Section(
            "trends",
            "NPS, CSAT and CES over time",
            charts.trend_chart(list(trends), "Scores by quarter, 95% intervals"),
            trend_finding(trends, "quarter"),
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
        scores=headline_of(by_kind),
        scores_by_kind=by_kind,
        rank=rank,
        min_n=settings.analysis.min_n,
    )
