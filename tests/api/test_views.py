"""Saved views through the real app: a person saves, lists, opens and deletes their own views only; every
change needs the session's CSRF token; what is saved is checked (a dashboard page, filters the data holds,
a name) with one sentence when it is not; and the journeys and risk pages follow the filters."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.signing import csrf, sign_in, signed_up


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app on the demo company (3,000 customers), with an analyst (ana) and a viewer (vic)."""
    url = f"duckdb:///{tmp_path_factory.mktemp('views') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
        tokens = signed_up(store)
    application = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    application.state.dashboard.precompute.close()  # these tests are about views and slices, not defaults
    application.state.dashboard.page_wait = 600.0  # a page waits for its numbers: the tests read them
    application.state.tokens = tokens
    yield application
    application.state.dashboard.close()


class Person:
    """A signed-in browser session: its client and the CSRF header its pages give htmx."""

    def __init__(self, app: Any, name: str) -> None:
        self.client = TestClient(app)
        assert sign_in(self.client, name).status_code == 303
        self.headers = {"X-CSRF-Token": csrf(self.client.get("/glossary").text)}

    def save(self, name: str, path: str, query: str = "", **extra: Any) -> Any:
        body = json.dumps({"name": name, "path": path, "query": query})  # ASCII: a lone surrogate travels
        headers = extra.get("headers", self.headers) | {"Content-Type": "application/json"}
        return self.client.post("/api/views", content=body, headers=headers)


@pytest.fixture(scope="module")
def ana(app: Any) -> Person:
    return Person(app, "ana")


@pytest.fixture(scope="module")
def vic(app: Any) -> Person:
    return Person(app, "vic")


def _names(person: Person) -> list[str]:
    answer = person.client.get("/api/views")
    assert answer.status_code == 200
    return [v["name"] for v in answer.json()["views"]]


def test_a_person_saves_lists_opens_and_deletes_only_their_own_views(ana: Person, vic: Person) -> None:
    saved = ana.save("Small business risk", "/risk", "segment=small_business&since=&channel=")
    assert saved.status_code == 201, saved.text
    view = saved.json()
    assert view["query"] == "segment=small_business" and view["url"] == "/risk?segment=small_business"
    assert vic.save("My overview", "/?until=2025-06").status_code == 201  # a path with its query
    assert _names(ana) == ["Small business risk"] and _names(vic) == ["My overview"]
    opened = ana.client.get(view["open"], follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/risk?segment=small_business"
    # someone else's view: not found, whatever they try, and it stays
    assert vic.client.get(view["open"], follow_redirects=False).status_code == 404
    assert vic.client.get(f"/api/views/{view['view_id']}").status_code == 404
    assert vic.client.delete(f"/api/views/{view['view_id']}", headers=vic.headers).status_code == 404
    assert _names(ana) == ["Small business risk"]
    # the same name again replaces the view; the list every page loads shows it, escaped
    again = ana.save("Small business risk", "/journeys", "segment=small_business")
    assert again.json()["view_id"] == view["view_id"] and _names(ana) == ["Small business risk"]
    assert ana.save("<b>Mine</b> & co", "/gaps").status_code == 201
    mine = ana.client.get("/views/mine").text
    assert "&lt;b&gt;Mine&lt;/b&gt; &amp; co" in mine and "<b>Mine" not in mine
    assert 'data-link="/journeys?segment=small_business"' in mine and "My overview" not in mine
    assert ana.client.delete(f"/api/views/{view['view_id']}", headers=ana.headers).status_code == 204
    assert _names(ana) == ["<b>Mine</b> & co"]
    assert ana.client.get(view["open"], follow_redirects=False).status_code == 404


def test_every_change_needs_the_sessions_csrf_token(ana: Person, app: Any) -> None:
    for headers in ({}, {"X-CSRF-Token": "0" * 64}):
        refused = ana.save("No token", "/risk", headers=headers)
        assert refused.status_code == 403
        assert refused.json()["detail"] == (
            "This request lacks the session's CSRF token; reload the page and try again."
        )
    assert "No token" not in _names(ana)
    kept = ana.save("To keep", "/text").json()
    assert ana.client.delete(f"/api/views/{kept['view_id']}").status_code == 403
    assert "To keep" in _names(ana)
    # an API token is no cookie, so it needs no CSRF token; it sees its own user's views
    bearer = {"Authorization": f"Bearer {app.state.tokens['ana']}"}
    with TestClient(app) as system:
        assert "To keep" in [v["name"] for v in system.get("/api/views", headers=bearer).json()["views"]]


@pytest.mark.parametrize(
    ("name", "path", "query", "sentence"),
    [
        ("  ", "/risk", "", "A saved view needs a name; type one before saving."),
        ("x" * 201, "/risk", "", "A view's name has at most 200 characters; this one has 201."),
        (
            "tab\there",
            "/risk",
            "",
            "A view's name cannot hold control characters such as line breaks or tabs.",
        ),
        ("elsewhere", "//evil.example/risk", "", "'//evil.example/risk' is not a dashboard page"),
        ("nowhere", "/admin", "", "'/admin' is not a dashboard page; save a view of one of: /, /gaps,"),
        ("nul", "/customers/C1\x00", "", "a path with a control character is not a dashboard page"),
        ("surrogate", "/risk", "segment=\ud800", "The view's address holds a control character"),
        (
            "typo",
            "/risk",
            "segment=smal_business",
            "segment = 'smal_business' is not in the data; choose one of",
        ),
        (
            "inverted",
            "/",
            "since=2025-06&until=2025-01",
            "The period starts (2025-06) after it ends (2025-01).",
        ),
        ("month", "/", "since=June", "since = 'June' is not a month; write it as YYYY-MM, e.g. 2025-07."),
        (
            "odd",
            "/",
            "Segment%0A=x",
            "The view's address holds a parameter with a control character that no page takes.",
        ),
    ],
)
def test_what_is_saved_is_checked_in_one_sentence(
    ana: Person, name: str, path: str, query: str, sentence: str
) -> None:
    refused = ana.save(name, path, query)
    assert refused.status_code == 400, refused.text
    assert refused.json()["detail"].startswith(sentence)
    assert name.strip() not in _names(ana)


def test_journeys_and_risk_follow_the_filters_and_link_to_the_records(ana: Person, vic: Person) -> None:
    whole = ana.client.get("/journeys").text
    small = ana.client.get("/journeys?segment=small_business").text
    assert (
        'id="filters"' in small
        and "Journeys of the customers in this selection: segment small_business" in small
    )
    assert _load(small)[0] < _load(whole)[0]  # fewer customers in the slice
    assert "not NPS points" in small
    assert re.search(r'href="/records/interactions\?segment=small_business&amp;incident=[a-z_]+"', small)
    risk = ana.client.get("/risk?segment=small_business").text
    assert re.search(r'<td><a href="/customers/[^"]+">', risk)  # each at-risk customer links to their page
    assert re.search(r'class="money">EUR [0-9.]+[kM]? \[', risk)
    assert 'id="model-note"' in risk
    viewer = vic.client.get("/risk?segment=small_business").text
    assert 'id="withheld"' in viewer and "/customers/" not in viewer
    # the cached page is the same for everyone: nobody's views are in it, only the empty list box
    assert 'id="save-view"' in risk and 'id="my-views-list" aria-live="polite"></div>' in risk


def _load(page: str) -> list[int]:
    """The customer counts of the incidents-per-journey table."""
    table = page.split('id="load"', 1)[1].split("</table>", 1)[0]
    return [int(n.replace(",", "")) for n in re.findall(r"<tr><td>[^<]+</td><td>([0-9,]+)</td>", table)]
