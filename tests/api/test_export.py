"""Charts on the pages and the whole view kept as a file: every chart a named figure with its data table
and CSV, and a view downloaded as HTML that stands alone (styles and charts inline, no script, no URL)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.signing import sign_in, signed_up

CHARTED = ("/", "/gaps", "/perception", "/operations", "/drivers", "/text", "/journeys", "/risk")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An analyst signed in through the form, on a 3,000-customer demo."""
    url = f"duckdb:///{tmp_path_factory.mktemp('export') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
        signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    with TestClient(app) as web:
        assert sign_in(web, "ana").status_code == 303
        yield web
    app.state.store.close()


class Figures(HTMLParser):
    """The charts of a page: each figure's SVG root attributes, data table rows and CSV link."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[dict[str, Any]] = []
        self.cell: list[str] | None = None
        self.in_figure = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "figure" and "chart" in (a.get("class") or ""):
            self.figures.append({"id": a.get("id"), "svg": None, "rows": [], "csv": None})
            self.in_figure = True
        elif self.in_figure and tag == "svg" and self.figures[-1]["svg"] is None:
            self.figures[-1]["svg"] = a
        elif self.in_figure and tag == "tr":
            self.figures[-1]["rows"].append([])
        elif self.in_figure and tag in ("td", "th"):
            self.cell = []
        elif self.in_figure and tag == "a" and "chart-csv" in (a.get("class") or ""):
            self.figures[-1]["csv"] = a.get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None:
            self.figures[-1]["rows"][-1].append("".join(self.cell))
            self.cell = None
        elif tag == "figure":
            self.in_figure = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def figures(page: str) -> list[dict[str, Any]]:
    parser = Figures()
    parser.feed(page)
    return parser.figures


@pytest.mark.parametrize("path", CHARTED)
def test_every_chart_is_a_named_image_with_its_data_as_a_table_and_the_same_csv(
    client: TestClient, path: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text[:300]
    found = [f for f in figures(answer.text) if f["svg"] is not None]
    assert found, f"{path}: no chart drawn"
    for figure in found:
        svg = figure["svg"]
        assert svg["role"] == "img" and len(svg["aria-label"]) > 20, (path, svg)
        assert "xmlns" not in svg, "an inline chart needs no namespace URL"
        assert figure["rows"] and len(figure["rows"]) > 1, f"{path} {figure['id']}: no data table"
        assert figure["csv"].startswith("data:text/csv;charset=utf-8,")
        rows = list(csv.reader(io.StringIO(unquote(figure["csv"].split(",", 1)[1]))))
        assert rows == figure["rows"], f"{path} {figure['id']}: the CSV is not the table"
    # what a screen reader or a tooltip reads of a mark is rounded: no 2.7027027027
    long = re.findall(r'aria-label="[^"]*\d\.\d{4,}', answer.text)
    assert long == [], long[:3]


def test_a_view_downloads_as_one_html_file_with_nothing_outside_it(
    client: TestClient, tmp_path: Path
) -> None:
    answer = client.get("/export/view.html", params={"page": "/gaps?segment=consumer"})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-disposition"].startswith(
        'attachment; filename="cxgap-gaps-segment-consumer-'
    )
    kept = answer.text
    assert "<script" not in kept.lower() and "<link" not in kept.lower()
    assert re.findall(r"https?://", kept) == []
    assert "<nav" not in kept and "<form" not in kept and "hx-" not in kept
    assert kept.count("<svg") >= 1 and "<style>" in kept and "figure.chart" in kept  # charts.css inline
    assert "segment consumer" in kept  # the slice shown, as on the page
    assert re.search(r"src=|href=\"/", kept) is None  # nothing to fetch, no link to the site
    page = client.get("/gaps", params={"segment": "consumer"}).text
    assert [f["rows"] for f in figures(kept)] == [f["rows"] for f in figures(page)]
    (tmp_path / "view.html").write_text(kept, encoding="utf-8")


def test_export_takes_pages_of_this_site_only_and_needs_a_sign_in(client: TestClient) -> None:
    for page in ("https://example.org/", "//example.org/x", "/api/gaps", "/export/view.html", "gaps"):
        answer = client.get("/export/view.html", params={"page": page})
        assert answer.status_code == 400, page
    anonymous = TestClient(client.app)
    assert anonymous.get("/export/view.html", params={"page": "/"}, follow_redirects=False).status_code in (
        303,
        401,
    )
