"""The overview: the perception headline, the scores and their trend, where to act first, the six gaps."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.api.pages.chart_view import chart
from cxgap.api.pages.render import gap_rows, render_page
from cxgap.api.routes import Board, Slice
from cxgap.gaps import describe, figure, headline_sentence
from cxgap.report import charts
from cxgap.report.content import trend_finding

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, dashboard: Board, slice_: Slice) -> str:
    """The perception headline, NPS/CSAT/CES with intervals and trend, where to act first, the six gaps."""

    def build() -> dict[str, Any]:
        report, scores = dashboard.gaps(slice_), dashboard.scores(slice_)
        return {
            "title": "Overview",
            "headline": headline_sentence(report.headline) if report.headline else None,
            "scores": scores,
            "trend": chart(
                charts.trend_chart(list(scores.trend), "Scores by month, 95% intervals"),
                trend_finding(scores.trend),
            ),
            "rows": gap_rows(report.act_first(10), slice_),
            "summary": report.summary(),
            "describe": describe,
            "figure": figure,
        }

    return render_page(dashboard, request, "/", slice_, "overview.html.j2", build)
