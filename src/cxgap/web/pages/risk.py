"""Churn risk and health of the customers in the filtered slice: who is at risk and why (each linked to their
customer page), what it is worth in the company's currency, and how far the model beats its baseline."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.api.auth import WITHHELD, person, sees_customers
from cxgap.api.routes import Board, Slice
from cxgap.churn import RiskReport
from cxgap.report import journey_risk_charts
from cxgap.report.findings import risk_finding
from cxgap.report.money import money_interval
from cxgap.web.pages.chart_view import chart
from cxgap.web.pages.links import customer_url
from cxgap.web.pages.render import render_page

router = APIRouter()
LOGISTIC = "logistic regression"  # the candidate that is the baseline's own model


def model_note(report: RiskReport) -> str:
    """Why the model's row reads as it does against the baseline's, in words: identical rows mean the
    selection chose the baseline's own model; otherwise whether its AUC lies within the baseline's interval."""
    m, b = report.model.auc, report.baseline.auc
    tried = ", ".join(f"{name} {auc:.3f}" for name, auc in report.cv_auc.items())
    if report.classifier == LOGISTIC:
        return (
            "The model and the baseline rows are the same because they are the same model: cross-validation "
            f"on the training customers ({tried}) chose the logistic regression, so the more flexible models "
            "add nothing over the baseline on this data."
        )
    if not (math.isfinite(m.value) and math.isfinite(b.value)):
        return "The held-out customers lack churners or stayers, so neither model can be judged yet."
    if b.low <= m.value <= b.high or m.low <= b.value <= m.high:
        return (
            f"The {report.classifier} scores within the baseline's interval (cross-validated AUC: {tried}): on "
            "this data it adds little over the logistic baseline, whose reasons the list below gives."
        )
    better = "better" if m.value > b.value else "worse"
    return (
        f"The {report.classifier} separates churners from stayers {better} than the logistic baseline "
        f"(held-out AUC {m.value:.3f} against {b.value:.3f}; cross-validated: {tried})."
    )


def risk_context(report: RiskReport, currency: str, customers: bool) -> dict[str, Any]:
    """What risk.html.j2 renders: the report, money in the company's currency, the model note, the
    riskiest customers with links to their pages (None for those who may not see customers)."""
    riskiest = None
    if customers:
        rows = report.riskiest(25).to_dict("records")
        riskiest = [row | {"url": customer_url(str(row["customer_id"]))} for row in rows]
    return {
        "report": report,
        "currency": currency,
        "revenue": [
            {"row": r, "money": money_interval(r.revenue.value, r.revenue.low, r.revenue.high, currency)}
            for r in report.revenue
        ],
        "model_note": model_note(report),
        "riskiest": riskiest,
        "withheld": WITHHELD,
        "chart": chart(journey_risk_charts.health_chart(report), risk_finding(report, currency)),
    }


@router.get("/risk", response_class=HTMLResponse)
def risk(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Who is at risk and why, what it is worth, and health by segment, for the customers of the slice."""

    shown = sees_customers(person(request))

    def build() -> dict[str, Any]:
        report = dashboard.risk(slice_)
        base = {
            "title": "Churn risk and health",
            "json": "/api/risk" + (f"?{urlencode(slice_.query())}" if slice_.active else ""),
        }
        if isinstance(report, str):
            return base | {"report": None, "reason": report}
        if report.scored.empty:
            reason = f"no current customer is in this selection ({slice_.describe()}); risk scores current customers."
            return base | {"report": None, "reason": reason}
        context = risk_context(report, dashboard.settings.company.currency, shown)
        return base | context | {"min_n": dashboard.settings.analysis.min_n}

    return render_page(dashboard, request, "/risk", slice_, "risk.html.j2", build, f"customers={shown}")
