"""What customers write: themes, sentiment, alerts, and the texts behind a theme."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from cxgap.access import Forbidden
from cxgap.api.auth import WITHHELD, person, sees_customers
from cxgap.api.routes import Board, Slice, theme_texts_json
from cxgap.report import charts
from cxgap.report.content import text_finding
from cxgap.web.pages.chart_view import chart
from cxgap.web.pages.links import records_url
from cxgap.web.pages.render import render_page

router = APIRouter()


@router.get("/text", response_class=HTMLResponse)
def text(request: Request, dashboard: Board, slice_: Slice) -> str:
    """What customers write: themes with their NPS impact, sentiment and emerging-issue alerts."""

    shown = sees_customers(person(request))

    def build() -> dict[str, Any]:
        report = dashboard.text(slice_)
        return {
            "title": "What customers say",
            "report": report,
            "customers_shown": shown,
            "withheld": WITHHELD,
            "chart": chart(charts.theme_chart(report), text_finding(report)),
            "theme_records": {t.theme: records_url("comments", slice_, theme=t.theme) for t in report.themes},
        }

    return render_page(dashboard, request, "/text", slice_, "text.html.j2", build, f"customers={shown}")


@router.get("/text/themes/{theme}", response_class=HTMLResponse)
def theme_texts(request: Request, dashboard: Board, slice_: Slice, theme: str) -> str:
    """The texts behind one theme, the most typical first, with their sentiment and the theme's score
    (analysts and admins only: verbatim comments are customer-level data)."""
    if not sees_customers(person(request)):
        raise Forbidden(WITHHELD)

    def build() -> dict[str, Any]:
        report = dashboard.text(slice_)
        return {
            "title": f"Texts of the theme {theme}",
            "found": theme_texts_json(report, theme, 200),
            "records": records_url("comments", slice_, theme=theme),
        }

    here = f"/text/themes/{quote(theme, safe='')}"
    return render_page(dashboard, request, here, slice_, "theme_texts.html.j2", build)
