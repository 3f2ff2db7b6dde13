"""The web app: a JSON API under /api/ and server-rendered pages that show the very same results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from cxgap.api.results import ResultCache, plain
from cxgap.config import Settings
from cxgap.engine import Engine
from cxgap.gaps import GapReport, analyze, describe, figure, headline_sentence
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
    def gap_report() -> dict[str, Any]:
        """Every measured gap (value, interval, p, q, reach, priority), what is missing, the headline."""
        return dict(plain(gaps()))

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

    app.state.store = store
    return app
