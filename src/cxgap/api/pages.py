"""Server-rendered pages: the API's result objects in HTML with inline SVG charts; the filters live in the
URL (a shared link shows the same view) and HTMX swaps the page body when a filter changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import vl_convert as vlc
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cxgap.access import Forbidden
from cxgap.api.auth import WITHHELD, csrf_of, person, sees_customers
from cxgap.api.dashboard import Dashboard
from cxgap.api.routes import Board, Slice, theme_texts_json
from cxgap.engine import Filters
from cxgap.gaps import GAP_KINDS, Gap, GapReport, describe, figure, headline_sentence
from cxgap.report import charts, journey_risk_charts
from cxgap.report.content import drivers_finding, text_finding, trend_finding, worst_finding
from cxgap.report.findings import journey_finding, risk_finding
from cxgap.store import describe_url

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "j2"])
)
PAGES = (
    ("/", "Overview"),
    ("/gaps", "Gap map"),
    ("/perception", "Perception"),
    ("/operations", "Operations"),
    ("/drivers", "Drivers"),
    ("/text", "Text"),
    ("/journeys", "Journeys"),
    ("/risk", "Risk"),
)
LEVELS = ("dimensions", "items", "touchpoints")
CSRF_MARK = "<cxgap-csrf>"  # autoescaped data can never contain these: a "<" in it becomes "&lt;"
ACCOUNT_MARK = "<cxgap-account>"

router = APIRouter(include_in_schema=False)


def _svg(spec: dict[str, Any] | None) -> str | None:
    return vlc.vegalite_to_svg(spec) if spec else None


def evidence(gap: Gap, filters: Filters) -> str:
    """The API query that returns this gap (and its segment breakdown) in the current slice."""
    params = {k: v for k, v in filters.query().items() if k != "touchpoint"}
    params |= {"kind": gap.kind, "subject": gap.subject}
    params |= {"touchpoint": gap.touchpoint} if gap.touchpoint else {"overall": "true"}
    return "/api/gaps?" + urlencode(params)


def gap_rows(gaps: list[Gap], filters: Filters) -> list[dict[str, Any]]:
    """Table rows for gaps: the gap, its sentence, its figure and the link to its evidence."""
    return [
        {"gap": g, "finding": describe(g), "figure": figure(g), "evidence": evidence(g, filters)}
        for g in gaps
    ]


def _render(
    dashboard: Dashboard,
    request: Request,
    path: str,
    filters: Filters,
    template: str,
    build: Callable[[], dict[str, Any]],
    *extra: str,
    filtered: bool = True,
) -> str:
    """A page, rendered once per (store version, page, filters): warm views cost a lookup. The cached
    page holds markers where the person's CSRF token and account links go, filled in per request."""

    def render() -> str:
        context = {
            "store": describe_url(dashboard.store.url),
            "pages": PAGES,
            "path": path,
            "filters": filters,
            "personal": True,
        }
        if dashboard.empty():
            return TEMPLATES.get_template("empty.html.j2").render(**context, title="No data yet")
        context["choices"] = dashboard.choices() if filtered else None
        return TEMPLATES.get_template(template).render(**context, **build())

    page: str = dashboard.cache.get(("page", path, filters, *extra), render)
    return personalise(page, request)


def personalise(page: str, request: Request) -> str:
    """Fill a cached page's markers with this person's CSRF token and their name with a sign-out button
    (a kiosk reader gets a sign-in link)."""
    who = person(request)
    account = TEMPLATES.get_template("account.html.j2").render(who=who, csrf=csrf_of(request))
    return page.replace(CSRF_MARK, csrf_of(request)).replace(ACCOUNT_MARK, account)


def _chart_page(
    title: str,
    report: GapReport,
    kinds: tuple[str, ...],
    chart_list: list[tuple[str, Any, str]],
    filters: Filters,
) -> dict[str, Any]:
    shown = sorted((g for g in report.gaps if g.kind in kinds), key=lambda g: -g.priority)
    return {
        "title": title,
        "charts": [{"key": k, "svg": _svg(spec), "finding": finding} for k, spec, finding in chart_list],
        "rows": gap_rows(shown, filters),
    }


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, dashboard: Board, slice_: Slice) -> str:
    """The perception headline, NPS/CSAT/CES with intervals and trend, where to act first, the six gaps."""

    def build() -> dict[str, Any]:
        report, scores = dashboard.gaps(slice_), dashboard.scores(slice_)
        return {
            "title": "Overview",
            "headline": headline_sentence(report.headline) if report.headline else None,
            "scores": scores,
            "trend": {
                "svg": _svg(charts.trend_chart(list(scores.trend), "Scores by month, 95% intervals")),
                "finding": trend_finding(scores.trend),
            },
            "rows": gap_rows(report.act_first(10), slice_),
            "summary": report.summary(),
            "describe": describe,
            "figure": figure,
        }

    return _render(dashboard, request, "/", slice_, "overview.html.j2", build)


@router.get("/gaps", response_class=HTMLResponse)
def gap_map(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Touchpoint x gap, each cell's largest shortfall; every gap with a link to its evidence."""

    def build() -> dict[str, Any]:
        report = dashboard.gaps(slice_)
        return _chart_page(
            "Gap map",
            report,
            GAP_KINDS,
            [("gap_map", charts.gap_map(report), worst_finding(report, GAP_KINDS))],
            slice_,
        )

    return _render(dashboard, request, "/gaps", slice_, "charts.html.j2", build)


@router.get("/perception", response_class=HTMLResponse)
def perception(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Leaders vs customers: the headline and the believed vs actual rating per touchpoint."""

    def build() -> dict[str, Any]:
        report = dashboard.gaps(slice_)
        headline = headline_sentence(report.headline) if report.headline else ""
        bars = charts.gap_bars(
            report, ("perception",), "Customers' rating minus leaders' belief", role="leader"
        )
        return _chart_page(
            "Perception: leaders vs customers",
            report,
            ("perception",),
            [
                ("headline", charts.headline_chart(report), headline),
                ("perception", bars, worst_finding(report, ("perception",), "leader")),
            ],
            slice_,
        )

    return _render(dashboard, request, "/perception", slice_, "charts.html.j2", build)


@router.get("/operations", response_class=HTMLResponse)
def operations(request: Request, dashboard: Board, slice_: Slice) -> str:
    """SLA actuals against targets and promises, next to the same touchpoint's customer scores."""

    def build() -> dict[str, Any]:
        report = dashboard.gaps(slice_)
        kinds = ("implementation", "communication", "design")
        bars = charts.gap_bars(report, ("implementation", "communication"), "Actual vs target and promise")
        return {
            "title": "Operations: standards, promises, actuals",
            "chart": {"svg": _svg(bars), "finding": worst_finding(report, kinds)},
            "touchpoints": [
                {"ops": t, "rows": gap_rows(list(t.gaps), slice_)} for t in dashboard.operations(slice_)
            ],
        }

    return _render(dashboard, request, "/operations", slice_, "operations.html.j2", build)


@router.get("/drivers", response_class=HTMLResponse)
def key_drivers(request: Request, dashboard: Board, slice_: Slice, level: str = "dimensions") -> str:
    """What drives NPS: importance with intervals against performance (quadrants)."""

    def build() -> dict[str, Any]:
        report = dashboard.drivers(slice_, level)
        found = None if isinstance(report, str) else report
        return {
            "title": "Drivers of NPS",
            "level": level,
            "levels": LEVELS,
            "report": found,
            "reason": report if isinstance(report, str) else None,
            "chart": {
                "svg": _svg(charts.quadrant_chart(found)) if found else None,
                "finding": drivers_finding(found) if found else f"Not measured: {report}",
            },
        }

    return _render(dashboard, request, "/drivers", slice_, "drivers.html.j2", build, level)


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
            "chart": {"svg": _svg(charts.theme_chart(report)), "finding": text_finding(report)},
        }

    return _render(dashboard, request, "/text", slice_, "text.html.j2", build, f"customers={shown}")


@router.get("/text/themes/{theme}", response_class=HTMLResponse)
def theme_texts(request: Request, dashboard: Board, slice_: Slice, theme: str) -> str:
    """The texts behind one theme, the most typical first, with their sentiment and the theme's score
    (analysts and admins only: verbatim comments are customer-level data)."""
    if not sees_customers(person(request)):
        raise Forbidden(WITHHELD)

    def build() -> dict[str, Any]:
        report = dashboard.text(slice_)
        return {"title": f"Texts of the theme {theme}", "found": theme_texts_json(report, theme, 200)}

    here = f"/text/themes/{quote(theme, safe='')}"
    return _render(dashboard, request, here, slice_, "theme_texts.html.j2", build)


@router.get("/journeys", response_class=HTMLResponse)
def journeys(request: Request, dashboard: Board, slice_: Slice) -> str:
    """Where customers fall out, what compounds and what causes what downstream (the whole store)."""

    def build() -> dict[str, Any]:
        report = dashboard.journeys()
        return {
            "title": "Journeys: where customers fall out",
            "report": report,
            "chart": {
                "svg": _svg(journey_risk_charts.flow_chart(report)),
                "finding": journey_finding(report),
            },
        }

    return _render(dashboard, request, "/journeys", slice_, "journeys.html.j2", build, filtered=False)


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
            "chart": {"svg": _svg(journey_risk_charts.health_chart(report)), "finding": risk_finding(report)},
        }

    return _render(
        dashboard, request, "/risk", slice_, "risk.html.j2", build, f"customers={shown}", filtered=False
    )
