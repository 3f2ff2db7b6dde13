"""Findings in words for the journey and risk results (what the report and the dashboard write under charts)."""

from __future__ import annotations

from cxgap.churn import RiskReport
from cxgap.config import CompanySettings
from cxgap.journeys import JourneyReport
from cxgap.report.money import money_interval


def journey_finding(report: JourneyReport) -> str:
    """The journey's worst fall-out point, its strongest upstream cause and the synergy, in words."""
    parts = []
    steps = [s for s in report.flow if s.churn_after_failure.n >= 30 and s.churn_otherwise.n >= 30]
    if steps:
        worst = max(steps, key=lambda s: s.churn_after_failure.value - s.churn_otherwise.value)
        a, b = worst.churn_after_failure, worst.churn_otherwise
        parts.append(
            f"Customers who met an incident at {worst.touchpoint} churned at {a.value:.0%} "
            f"[{a.low:.0%}, {a.high:.0%}] against {b.value:.0%} [{b.low:.0%}, {b.high:.0%}] without one."
        )
    top = report.top_upstream(1)
    if top:
        u = top[0]
        parts.append(
            f"A failure at {u.upstream} makes one at {u.downstream} {u.relative_risk:.1f}x as likely "
            f"({u.after_failure.value:.0%} vs {u.otherwise.value:.0%})."
        )
    extra = report.synergy.per_extra_incident
    if extra is not None and extra.high < 0:
        parts.append(
            f"Each incident beyond the first costs {-extra.value:.1f} [{-extra.high:.1f}, {-extra.low:.1f}] "
            f"points on the 0-10 recommend scale ({report.synergy.outcome} answers) on top of the incidents' own "
            "damage."
        )
    if parts:
        return " ".join(parts)
    if not report.measured and report.notes:
        return f"Not measured: {report.notes[0]}"
    return "Not measured: no incidents or no journeys to follow yet."


def risk_finding(report: RiskReport, currency: str = CompanySettings().currency) -> str:
    """Model quality on held-out customers, revenue at risk (in the company's `currency`) and the share in
    poor health, in words."""
    m, b = report.model.auc, report.baseline.auc
    everyone = report.revenue[0]
    poor = report.segments[0].below_40 if report.segments else None
    within = f" within {report.horizon_days} days" if report.horizon_days else ""
    text = (
        f"{everyone.churners.value:,.0f} [{everyone.churners.low:,.0f}, {everyone.churners.high:,.0f}] customers "
        f"are expected to churn{within}, carrying "
        f"{money_interval(everyone.revenue.value, everyone.revenue.low, everyone.revenue.high, currency)} "
        "of yearly revenue."
    )
    if poor is not None:
        text += f" {poor.value:.0%} of customers have a health score below 40."
    return text + (
        f" The risk model ({report.classifier}) separates churners from stayers with a held-out AUC of "
        f"{m.value:.2f} [{m.low:.2f}, {m.high:.2f}] (logistic baseline {b.value:.2f})."
    )
