"""The web app: a JSON API under /api/ and server-rendered pages that show the very same results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import vl_convert as vlc
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cxgap.api.results import ResultCache, plain
from cxgap.config import Settings
from cxgap.engine import Engine
from cxgap.gaps import GAP_KINDS, GapReport, analyze, describe, figure, headline_sentence
from cxgap.report import charts
from cxgap.report.content import worst_finding
from cxgap.store import Store, describe_url

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html", "j2"])
)


def create_app(settings: Settings) -> FastAPI:
    """An app on the configured store; results are cached until the next import."""
    store = Store(settings.store.url)
    engine = Engine(store)
    cache = ResultCache(store)
    app = FastAPI(title="cxgap", description="The customer experience gap: API and dashboard.")

    def gaps() -> GapReport:
        report: GapReport = cache.get(("gaps",), lambda: analyze(engine, settings))
        return report

    def empty() -> bool:
        return bool(cache.get(("empty",), lambda: sum(store.counts().values()) == 0))

    @app.get("/api/status")
    def status() -> dict[str, Any]:
        """Where the store is and how many rows each table holds."""
        return {"store": describe_url(store.url), "revision": store.revision(), "rows": store.counts()}

    @app.get("/api/gaps")
    def gap_report(kind: str | None = None, touchpoint: str | None = None) -> dict[str, Any]:
        """Every measured gap (value, interval, p, q, reach, priority), what is missing, the headline;
        `kind` and `touchpoint` narrow the gaps (an empty touchpoint means overall)."""
        data = dict(plain(gaps()))
        data["gaps"] = [
            g
            for g in data["gaps"]
            if (kind is None or g["kind"] == kind)
            and (touchpoint is None or (g["touchpoint"] or "") == touchpoint)
        ]
        return data

    @app.get("/api/gaps/act-first")
    def act_first(limit: int = 10) -> list[dict[str, Any]]:
        """The significant shortfalls, highest priority first."""
        return [
            dict(plain(g)) | {"finding": describe(g), "figure": figure(g)} for g in gaps().act_first(limit)
        ]

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> str:
        """The overview page: the perception headline, where to act first, the six gaps."""
        if empty():
            return TEMPLATES.get_template("empty.html.j2").render(store=describe_url(store.url))
        report = gaps()
        rows = [{"gap": g, "finding": describe(g), "figure": figure(g)} for g in report.act_first(10)]
        headline = headline_sentence(report.headline) if report.headline else None
        return TEMPLATES.get_template("overview.html.j2").render(
            store=describe_url(store.url),
            headline=headline,
            rows=rows,
            summary=report.summary(),
            describe=describe,
            figure=figure,
        )

    def chart_page(title: str, kinds: tuple[str, ...], charts: list[tuple[str, Any, str]]) -> str:
        if empty():
            return TEMPLATES.get_template("empty.html.j2").render(store=describe_url(store.url))
        report = gaps()
        shown = [g for g in report.gaps if g.kind in kinds]
        rows = [
            {"gap": g, "finding": describe(g), "figure": figure(g)}
            for g in sorted(shown, key=lambda g: -g.priority)
        ]
        svgs = [
            {"key": key, "svg": vlc.vegalite_to_svg(spec) if spec else None, "finding": finding}
            for key, spec, finding in charts
        ]
        return TEMPLATES.get_template("charts.html.j2").render(
            store=describe_url(store.url), title=title, charts=svgs, rows=rows
        )

    @app.get("/gaps", response_class=HTMLResponse)
    def gap_map_page() -> str:
        """The gap map: touchpoint x gap, each cell's largest shortfall; every gap with a link to its evidence."""
        report = gaps()
        return chart_page(
            "Gap map", GAP_KINDS, [("gap_map", charts.gap_map(report), worst_finding(report, GAP_KINDS))]
        )

    @app.get("/perception", response_class=HTMLResponse)
    def perception_page() -> str:
        """Leaders vs customers: the headline and the believed vs actual rating per touchpoint."""
        report = gaps()
        return chart_page(
            "Perception: leaders vs customers",
            ("perception",),
            [
                (
                    "headline",
                    charts.headline_chart(report),
                    headline_sentence(report.headline) if report.headline else "",
                ),
                (
                    "perception",
                    charts.gap_bars(
                        report, ("perception",), "Customers' rating minus leaders' belief", role="leader"
                    ),
                    worst_finding(report, ("perception",), "leader"),
                ),
            ],
        )

    @app.get("/operations", response_class=HTMLResponse)
    def operations_page() -> str:
        """Service standards and promises: actuals against targets, and standards against expectations."""
        report = gaps()
        kinds = ("implementation", "communication", "design")
        return chart_page(
            "Operations: standards, promises, actuals",
            kinds,
            [
                (
                    "operations",
                    charts.gap_bars(
                        report, ("implementation", "communication"), "Actual vs target and promise"
                    ),
                    worst_finding(report, kinds),
                )
            ],
        )

    app.state.store = store
    return app
