"""What every page shares: the templates, the page list, rendering once per store version and filters, and
the rows of a gap table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cxgap.api.auth import csrf_of, person
from cxgap.api.dashboard import Dashboard
from cxgap.api.pages.chart_view import chart
from cxgap.engine import Filters
from cxgap.gaps import Gap, GapReport, describe, figure
from cxgap.store import describe_url

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parents[1] / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
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
    ("/glossary", "Glossary"),
)
CSRF_MARK = "<cxgap-csrf>"  # autoescaped data can never contain these: a "<" in it becomes "&lt;"
ACCOUNT_MARK = "<cxgap-account>"


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


def render_page(
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


def chart_page(
    title: str,
    report: GapReport,
    kinds: tuple[str, ...],
    chart_list: list[tuple[str, Any, str]],
    filters: Filters,
) -> dict[str, Any]:
    shown = sorted((g for g in report.gaps if g.kind in kinds), key=lambda g: -g.priority)
    return {
        "title": title,
        "charts": [{"key": k, **chart(spec, finding)} for k, spec, finding in chart_list],
        "rows": gap_rows(shown, filters),
    }
