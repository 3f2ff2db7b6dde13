"""Dashboard = CLI = report: on a grid of slices, the numbers the overview shows in a real browser (the
NPS, CSAT and CES tiles, the six gaps' shortfall counts, the perception headline) equal what `cxgap analyze
--json` prints and what `cxgap report` writes for the same filters, each run as a person runs it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from cxgap.api import create_app
from cxgap.cli.main import app
from cxgap.config import StoreSettings, demo_config_text, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.gaps import GAP_KINDS
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.server import serving
from tests.api.signing import PASSWORD, signed_up

SLICES = {  # name: the filters, as the dashboard's URL and the commands' options take them (a segment slice:
    # test_browser_slices and test_selection)
    "all": {},
    "channel-period": {"channel": "email", "since": "2025-01"},
    "touchpoint": {"touchpoint": "support"},
}
SCORES = ("nps", "csat", "ces")
REPORTED = ("all", "channel-period")  # the report renders the CLI's result object; two slices show it (each
# report is a whole process computing every section: four took 50 s of the suite)


def _options(filters: dict[str, str]) -> list[str]:
    return [part for name, value in filters.items() for part in (f"--{name}", value)]


def _cxgap(folder: Path, *args: str) -> str:
    """Run the cxgap command on `folder`'s cxgap.toml (which names the store), as a person runs it; in this
    process, so the commands share one text model load (a process each took half a minute of the suite)."""
    done = CliRunner().invoke(app, [*args, "--config", str(folder / "cxgap.toml")], catch_exceptions=False)
    assert done.exit_code == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A 3,000-customer demo store; per slice, what `cxgap analyze --json` printed and the report written
    (both before the server opens the DuckDB file, which takes one process at a time)."""
    folder = tmp_path_factory.mktemp("consistency")
    url = f"duckdb:///{folder / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
        signed_up(store)
    (folder / "cxgap.toml").write_text(demo_config_text() + f'\n[store]\nurl = "{url}"\n', encoding="utf-8")
    found: dict[str, Any] = {"url": url}
    for name, filters in SLICES.items():
        cli = json.loads(_cxgap(folder, "analyze", "--json", *_options(filters)))
        report = folder / f"report-{name}.html" if name in REPORTED else None
        if report is not None:
            _cxgap(folder, "report", "--output", str(report), *_options(filters))
        found[name] = {"cli": cli, "report": report}
    return found


@pytest.fixture(scope="module")
def server(grid: dict[str, Any]) -> Iterator[str]:
    app = create_app(demo_settings(store=StoreSettings(url=grid["url"]), server=ON_DEMAND))
    with serving(app) as base:
        yield base
    app.state.store.close()


@pytest.fixture(scope="module")
def tab(chromium: Any, server: str) -> Iterator[Any]:
    """One signed-in analyst's tab for the whole grid."""
    page = chromium.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(server + "/sign-in", wait_until="networkidle", timeout=120_000)
    page.fill("#username", "ana")
    page.fill("#password", PASSWORD)
    page.click("#sign-in button")
    page.wait_for_url(server + "/", timeout=120_000)
    yield page
    page.close()


def _dashboard(tab: Any, server: str, filters: dict[str, str]) -> dict[str, Any]:
    tab.goto(f"{server}/?{urlencode(filters)}", wait_until="networkidle", timeout=300_000)
    tab.wait_for_selector("#six-gaps", timeout=300_000)  # the slice's own result, once it is computed
    scores = {s: " ".join(tab.inner_text(f"#score-{s} .interval").split()) for s in SCORES}
    counts = {k: tab.inner_text(f"#six-{k} td:nth-child(2)").strip() for k in GAP_KINDS}
    headline = tab.inner_text("#headline").strip() if tab.query_selector("#headline") else None
    return {"scores": scores, "counts": counts, "headline": headline}


def _report(tab: Any, html: Path) -> dict[str, Any]:
    tab.goto(html.as_uri(), wait_until="load")
    scores = {s: tab.inner_text(f"#score-{s} td.num").strip() for s in SCORES}
    counts = {k: tab.inner_text(f"#six-{k} td:nth-child(2)").strip() for k in GAP_KINDS}
    return {"scores": scores, "counts": counts, "headline": tab.inner_text("p#headline").strip()}


@pytest.mark.parametrize("name", SLICES)
def test_the_dashboard_the_cli_and_the_report_show_the_same_numbers(
    grid: dict[str, Any], server: str, tab: Any, name: str, artifacts: Path
) -> None:
    cli = grid[name]["cli"]
    shown = _dashboard(tab, server, SLICES[name])
    tab.screenshot(path=str(artifacts / f"consistency-{name}.png"), full_page=True)
    said = {s: cli["scores"][s]["figure"] if cli["scores"][s] else "no answers in this slice" for s in SCORES}
    assert shown["scores"] == said
    counts = {k["kind"]: f"{k['shortfalls']} of {k['measured']}" for k in cli["six_gaps"]}
    assert shown["counts"] == counts
    assert counts["knowledge"] != "0 of 0" or name == "touchpoint"  # stated vs derived importance counted
    if cli["headline"] is not None:
        assert shown["headline"] == cli["headline"]
    if grid[name]["report"] is not None:
        written = _report(tab, grid[name]["report"])
        assert written["scores"] == said and written["counts"] == counts
        assert cli["headline"] is None or written["headline"] == cli["headline"]
    assert cli["slice"]["filters"] == SLICES[name]
