"""Every page under any selection (no browser): an empty slice, a future period, an inverted period, a
refused value and a thin slice each get one sentence in the normal page, never a 500 and never numbers of
another slice; a thin slice says insufficient data where the minimum n is not reached."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import ALL, Filters
from cxgap.store import Store
from cxgap.web.pages import PAGES, TEMPLATES
from cxgap.web.pages.selection import error_context, selection_state
from tests.api.on_demand import ON_DEMAND
from tests.api.signing import sign_in, signed_up

DASHBOARD = ("/", "/gaps", "/perception", "/operations", "/drivers", "/text", "/journeys", "/risk")
FILTERED_TODAY = ("/", "/gaps", "/perception", "/operations", "/drivers", "/text")  # journeys, risk: issue 17
EMPTY = {  # slices that hold no rows at all (the demo's data ends in 2025-12)
    "future period": ("since=2030-01", "2030-01 to now"),
    "enterprise, chat, from 2026-01": ("segment=enterprise&channel=chat&since=2026-01", "2026-01 to now"),
}
REFUSED = {
    "unknown segment": ("segment=nope", "segment = 'nope' is not in the data; choose one of: consumer"),
    "inverted period": (
        "since=2025-06&until=2025-01",
        "The period starts (2025-06) after it ends (2025-01).",
    ),
}
THIN = "segment=enterprise&since=2025-10"  # 19 relational answers, 10 transactional ones: below n = 30
FIGURE = re.compile(r"[+-]?\d[\d,.]*%? \[[^\]]{1,40}\]")  # a number with its interval


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A signed-in analyst's client on a 3,000-customer demo store."""
    url = f"duckdb:///{tmp_path_factory.mktemp('selection') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
        signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    with TestClient(app, raise_server_exceptions=False) as c:
        assert sign_in(c, "ana").status_code == 303
        yield c
    app.state.store.close()


@pytest.fixture(scope="module")
def all_data_figures(client: TestClient) -> set[str]:
    """The figures the cheap pages show for all data: no other slice's page may show any of them."""
    found: set[str] = set()
    for path in ("/", "/gaps", "/perception", "/operations", "/drivers"):
        page = client.get(path)
        assert page.status_code == 200, path
        found |= set(FIGURE.findall(_main(page.text)))
    assert len(found) > 20
    return found


def _main(page: str) -> str:
    """The page's <main> as text (what the person reads there)."""
    main = page.split('<main id="content"', 1)[-1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", main, flags=re.S)))


@pytest.mark.parametrize("path", DASHBOARD)
@pytest.mark.parametrize("case", EMPTY)
def test_an_empty_slice_says_so_in_the_page_with_its_filter_form(
    client: TestClient, all_data_figures: set[str], path: str, case: str
) -> None:
    query, period = EMPTY[case]
    page = client.get(f"{path}?{query}")
    assert page.status_code == 200, page.text[-500:]
    text = _main(page.text)
    assert 'id="page"' in page.text
    if path in FILTERED_TODAY or 'id="filters"' in page.text:
        assert 'id="filters"' in page.text and 'id="no-data"' in page.text
        assert f"No data for this selection: {period}" in text
        assert FIGURE.findall(text) == [] and "<svg" not in page.text.split('<main id="content"', 1)[-1]
    assert not set(FIGURE.findall(text)) & all_data_figures


@pytest.mark.parametrize("path", DASHBOARD)
@pytest.mark.parametrize("case", REFUSED)
def test_a_refused_filter_gets_its_sentence_inside_the_page_never_a_500(
    client: TestClient, all_data_figures: set[str], path: str, case: str
) -> None:
    query, sentence = REFUSED[case]
    page = client.get(f"{path}?{query}")
    assert page.status_code == 400
    assert sentence in html.unescape(page.text)
    assert 'id="page"' in page.text and 'id="error"' in page.text  # htmx swaps #page, the sentence in it
    assert all(f'href="{href}' in page.text for href, _ in PAGES)  # the normal page layout, its navigation
    assert not set(FIGURE.findall(_main(page.text))) & all_data_figures


@pytest.mark.parametrize("case", REFUSED)
def test_a_refused_filter_page_holds_the_filter_form(client: TestClient, case: str) -> None:
    page = client.get(f"/?{REFUSED[case][0]}")
    assert page.status_code == 400 and 'id="filters"' in page.text


def test_the_error_page_holds_the_filter_form_with_what_can_be_kept(client: TestClient) -> None:
    app = client.app
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/gaps",
        "query_string": b"segment=nope&since=2025-03&until=2025-01&channel=chat",
        "headers": [],
        "app": app,
    }
    context = error_context(Request(scope))
    kept = context["filters"]
    assert kept == Filters(
        since="2025-03", channel="chat"
    )  # the unknown segment and the inverted end dropped
    page = TEMPLATES.get_template("error.html.j2").render(
        message="segment = 'nope' is not in the data.",
        pages=PAGES,
        title="Not understood",
        path="/gaps",
        **context,
    )
    assert 'id="filters"' in page and 'action="/gaps"' in page and 'id="page"' in page
    assert re.search(r'<option value="2025-03" selected>', page) and re.search(
        r'<option value="chat" selected>', page
    )
    api = error_context(Request(scope | {"path": "/api/gaps"}))
    assert api == {}


@pytest.mark.parametrize("path", DASHBOARD)
def test_a_thin_slice_shows_its_own_numbers_or_insufficient_data(client: TestClient, path: str) -> None:
    page = client.get(f"{path}?{THIN}")
    assert page.status_code == 200
    text = _main(page.text)
    assert "nan" not in text.split() and "nan [" not in text and "[nan" not in text
    if path in FILTERED_TODAY or 'id="filters"' in page.text:
        assert "Showing: 2025-10 to now, segment enterprise." in text
    if path == "/":
        for score in ("nps", "csat", "ces"):
            tile = page.text.split(f'id="score-{score}"', 1)[1].split("</div>\n</div>", 1)[0]
            assert "insufficient data, n=" in tile, tile
    if path in ("/", "/perception") and "of leaders [" in text:  # the headline, where the page shows it
        assert "whether customers agree: insufficient data (n=19 customers' answers < 30)" in text
        assert "% of customers [" not in text
    if path == "/drivers":
        assert "insufficient data: 19 rows with an outcome (at least 30 needed)" in text


def test_the_selection_state_is_none_for_data_and_one_sentence_without(client: TestClient) -> None:
    dashboard = client.app.state.dashboard  # type: ignore[attr-defined]
    assert selection_state(dashboard, ALL) is None
    assert selection_state(dashboard, Filters(segment="enterprise", since="2025-10")) is None
    said = selection_state(dashboard, Filters(since="2030-01", channel="chat"))
    assert said == (
        "No data for this selection: 2030-01 to now, channel chat holds no survey answers, feedback or "
        "interactions. Widen the period or clear a filter to see figures."
    )
