"""Churn risk and health: who is at risk and why, and what it is worth."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.api.auth import WITHHELD, person, sees_customers
from cxgap.api.pages.chart_view import chart
from cxgap.api.pages.render import render_page
from cxgap.api.routes import Board, Slice
from cxgap.report import journey_risk_charts
from cxgap.report.findings import risk_finding

router = APIRouter()


@router.get("/risk", response_class=HTMLResponse)
def risk(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Who is at risk and why, what it is worth, and health by segment (the whole store)."""

    shown = sees_customers(person(request))

    def build() -> dict[str, Any]:
        report = dashboard.risk()
        if isinstance(report, str):
            return {"title": "Churn risk and health", "report": None, "reason": report}
        return {
            "title": "Churn risk and health",
            "report": report,
            "riskiest": report.riskiest(25).to_dict("records") if shown else None,
            "withheld": WITHHELD,
            "chart": chart(journey_risk_charts.health_chart(report), risk_finding(report)),
        }

    return render_page(
        dashboard, request, "/risk", slice_, "risk.html.j2", build, f"customers={shown}", filtered=False
    )
