"""The web app on the demo company and on an empty store: pages and API show the same numbers."""

from __future__ import annotations

import dataclasses
import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from cxgap.access import set_password
from cxgap.api import create_app, plain
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.engine import Filters
from cxgap.io import ingest_records
from cxgap.store import Store
from tests.api.conftest import response
from tests.api.on_demand import ON_DEMAND
from tests.api.signing import PASSWORD, sign_in, signed_up


@pytest.fixture(scope="module")
def demo_client(tmp_path_factory: pytest.TempPathFactory):
    url = f"duckdb:///{tmp_path_factory.mktemp('web') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(3_000, seed=42))
        signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    with TestClient(app) as client:
        sign_in(client, "ana")
        yield client
    app.state.store.close()


def test_overview_shows_the_same_figures_as_the_api(demo_client: TestClient) -> None:
    page = demo_client.get("/")
    assert page.status_code == 200 and "Where to act first" in page.text
    api = demo_client.get("/api/gaps/act-first", params={"limit": 10}).json()
    shown = re.findall(r'Gap <span class="figure">([^<]+)</span>', page.text)
    assert shown and shown == [row["figure"].replace("'", "&#39;") for row in api]
    headline = demo_client.get("/api/gaps").json()["headline"]
    assert f"{100 * headline['leaders']['value']:.0f}% of leaders" in page.text
    head = page.text.split("<body")[0]
    scripts = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', head)
    assert scripts and all(s.startswith("/static/") for s in scripts) and "http" not in head
    assert all(demo_client.get(s).status_code == 200 for s in scripts)


def test_the_api_serves_every_gap_as_json_with_nulls_not_nan(demo_client: TestClient) -> None:
    report = demo_client.get("/api/gaps").json()
    kinds = {g["kind"] for g in report["gaps"]}
    assert kinds == {"perception", "knowledge", "design", "implementation", "communication", "customer"}
    design = next(g for g in report["gaps"] if g["kind"] == "design")
    assert design["p_value"] is None and design["note"]
    assert demo_client.get("/openapi.json").json()["paths"].keys() >= {"/api/gaps", "/api/status"}
    assert demo_client.get("/api/status").json()["rows"]["customers"] == 3_000


def test_an_empty_store_explains_how_to_import(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    with Store(url) as store:
        signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    with TestClient(app) as client:
        sign_in(client, "ana")
        page = client.get("/")
        assert page.status_code == 200 and "cxgap import" in page.text and "cxgap demo" in page.text
        assert client.get("/api/gaps").json()["gaps"] == []
    app.state.store.close()


def test_results_are_cached_until_an_import_changes_the_store(tmp_path: Path) -> None:
    from cxgap.api import ResultCache

    url = f"duckdb:///{tmp_path / 'c.duckdb'}"
    with Store(url) as store:
        cache = ResultCache(store)
        calls: list[int] = []
        assert cache.get(("x",), lambda: calls.append(1) or len(calls)) == 1
        assert cache.get(("x",), lambda: calls.append(1) or len(calls)) == 1
        write_demo(store, simulate(200, seed=1))
        # stale-while-revalidate: the last result at once, the new one computed in the background
        assert cache.get(("x",), lambda: calls.append(1) or len(calls)) == 1
        cache.settle(60)
        assert cache.get(("x",), lambda: calls.append(1) or len(calls)) == 2
        cache.close()


def test_plain_turns_nan_into_null_and_leaves_handles_out() -> None:
    assert plain({"a": float("nan"), "b": (1.0, float("inf"))}) == {"a": None, "b": [1.0, None]}

    @dataclasses.dataclass
    class Fitted:
        score: float
        model: object = dataclasses.field(default=None, repr=False)

    assert plain(Fitted(0.5, object())) == {"score": 0.5}


@pytest.mark.parametrize(
    ("path", "heading", "kind"),
    [
        ("/gaps", "Gap map", "customer"),
        ("/perception", "Perception", "perception"),
        ("/operations", "Operations", "implementation"),
    ],
)
def test_each_page_draws_its_charts_and_links_its_evidence(
    demo_client: TestClient, path: str, heading: str, kind: str
) -> None:
    page = demo_client.get(path, params={"segment": "consumer"})
    assert page.status_code == 200 and heading in page.text
    assert page.text.count("<svg") >= 1
    link = re.search(rf'href="(/api/gaps\?segment=consumer&amp;kind={kind}&amp;subject=[^"]*)"', page.text)
    assert link, f"no evidence link for {kind} in the consumer slice"
    evidence = demo_client.get(link.group(1).replace("&amp;", "&")).json()
    assert evidence["filters"]["segment"] == "consumer"
    assert len(evidence["gaps"]) >= 1 and all(g["kind"] == kind for g in evidence["gaps"])


def test_the_drivers_and_text_pages_render_the_apis_results(demo_client: TestClient) -> None:
    drivers = demo_client.get("/api/drivers", params={"level": "items"}).json()
    assert drivers["level"] == "items" and len(drivers["drivers"]) >= 10
    page = demo_client.get("/drivers", params={"level": "items"})
    assert page.status_code == 200 and all(d["name"] in page.text for d in drivers["drivers"])
    text = demo_client.get("/api/text").json()
    assert text["texts"] > 100 and not text["sampled"] and text["themes"]
    page = demo_client.get("/text")
    assert page.status_code == 200 and all(t["theme"] in page.text for t in text["themes"])
    reason = demo_client.get("/api/drivers", params={"level": "nonsense"}).json()["reason"]
    assert "nonsense" in reason


def test_filters_narrow_the_api_and_bad_ones_are_one_sentence(demo_client: TestClient) -> None:
    whole = demo_client.get("/api/scores", params={"metric": "csat"}).json()["scores"]
    support = demo_client.get("/api/scores", params={"metric": "csat", "touchpoint": "support"}).json()[
        "scores"
    ]
    assert support[0]["n"] < whole[0]["n"]
    bad = demo_client.get("/api/gaps", params={"since": "2024-13"})
    assert bad.status_code == 400 and bad.json() == {
        "detail": "since = '2024-13' is not a month; write it as YYYY-MM, e.g. 2025-07."
    }
    page = demo_client.get("/operations", params={"until": "May"})
    assert page.status_code == 400 and "until = &#39;May&#39; is not a month" in page.text
    choices = demo_client.get("/api/filters").json()
    assert set(choices["segments"]) == {"consumer", "small_business", "enterprise"}
    assert "support" in choices["touchpoints"] and choices["months"] == sorted(choices["months"])


def test_pages_on_an_empty_store_explain_instead_of_failing(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    with Store(url) as store:
        signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    with TestClient(app) as client:
        sign_in(client, "ana")
        for path in (
            "/",
            "/gaps",
            "/perception",
            "/operations",
            "/drivers",
            "/text",
            "/journeys",
            "/risk",
            "/?segment=x",
        ):
            page = client.get(path)
            assert page.status_code == 200 and "cxgap import" in page.text, path
    app.state.store.close()


def test_the_journey_and_risk_apis_serve_the_library_results(demo_client: TestClient) -> None:
    journeys = demo_client.get("/api/journeys").json()
    assert {"load", "synergy", "upstream", "channels", "repeats", "flow", "notes"} <= set(journeys)
    assert [s["touchpoint"] for s in journeys["flow"]][:3] == ["sales", "ordering", "installation"]
    risk = demo_client.get("/api/risk", params={"limit": 5}).json()
    assert risk["measured"] and len(risk["riskiest"]) == 5 and risk["horizon_days"] == 90
    assert risk["riskiest"][0]["risk"] >= risk["riskiest"][-1]["risk"] and risk["riskiest"][0]["reasons"]
    assert risk["model"]["auc"]["low"] <= risk["model"]["auc"]["value"] <= risk["model"]["auc"]["high"]
    assert demo_client.get("/api/risk", params={"limit": 0}).status_code == 422
    one = demo_client.get(f"/api/journeys/customers/{risk['riskiest'][0]['customer_id']}").json()
    assert one["events"] and one["events"] == sorted(one["events"], key=lambda e: e["at"])
    missing = demo_client.get("/api/journeys/customers/nobody")
    assert missing.status_code == 404 and "There is no customer 'nobody'" in missing.json()["detail"]


def test_risk_on_a_store_too_small_to_model_says_why(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'tiny.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(60, seed=1))
        signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    with TestClient(app) as client:
        sign_in(client, "ana")
        risk = client.get("/api/risk").json()
        assert risk["measured"] is False
        assert "needs at least 10 customers who churned within 90 days" in risk["reason"]
        assert "Not measured yet" in client.get("/risk").text
    app.state.store.close()


def test_a_viewer_sees_the_aggregates_without_customer_level_detail(demo_client: TestClient) -> None:
    with TestClient(demo_client.app) as viewer:
        sign_in(viewer, "vic")
        risk = viewer.get("/api/risk").json()
        assert risk["measured"] and risk["riskiest"] is None and risk["revenue"]
        assert all("examples" not in t for t in viewer.get("/api/text").json()["themes"])
        customer = demo_client.get("/api/risk", params={"limit": 1}).json()["riskiest"][0]["customer_id"]
        assert viewer.get(f"/api/journeys/customers/{customer}").status_code == 403
        page = viewer.get("/risk").text
        assert 'id="revenue"' in page and 'id="riskiest"' not in page and "analysts and admins only" in page
        assert customer not in page
        text = viewer.get("/text").text
        assert 'id="themes"' in text and "<th>example</th>" not in text and 'id="withheld"' in text
    assert 'id="riskiest"' in demo_client.get("/risk").text
    assert "<th>example</th>" in demo_client.get("/text").text


def _heading(page: str) -> str:
    """The page's own heading (its <h2>), as a person reads it first."""
    found = re.search(r"<h2>([^<]*)</h2>", page)
    assert found, page
    return found.group(1)


def test_error_pages_are_headed_by_what_happened_and_offer_only_links_that_help(api: Any) -> None:
    """A refusal to show (403) is headed as one, a missing page or record (404) as not found, and neither
    offers to show the page for all data (that cannot help); a refused filter keeps what can be kept, and
    its sentence, form and links all say the same kept selection, never "Showing" a slice it does not show."""
    client, _, store = api
    answers = [response(f"R{m}", 8, responded_at=f"2024-0{m}-10", customer_id="K1") for m in range(1, 6)]
    ingest_records(store, "responses", answers, "test")
    for name in ("ana", "vic"):
        set_password(store, name, PASSWORD)
    with TestClient(client.app) as viewer:
        assert sign_in(viewer, "vic").status_code == 303
        refused = viewer.get("/customers/K1")
    assert refused.status_code == 403 and "analysts and admins" in refused.text
    assert (
        _heading(refused.text) == "Not shown to you"
        and "<title>cxgap · Not shown to you</title>" in refused.text
    )
    assert "Not understood" not in refused.text and "for all data" not in refused.text

    assert sign_in(client, "ana").status_code == 303
    for path in ("/customers/nobody-at-all", "/no-such-page"):
        missing = client.get(path)
        assert missing.status_code == 404 and _heading(missing.text) == "Not found", path
        assert "Not understood" not in missing.text and "for all data" not in missing.text

    inverted = client.get("/gaps", params={"since": "2024-05", "until": "2024-01"})
    text = html.unescape(inverted.text)
    assert inverted.status_code == 400 and _heading(text) == "Not understood"
    assert "The period starts (2024-05) after it ends (2024-01)." in text
    assert "Showing:" not in text  # the page shows no figures, of this slice or any other
    kept = Filters(since="2024-05")  # the inverted end left out: what the form, its sentence and links keep
    assert re.search(r'<select name="since"[^>]*>.*?<option value="2024-05" selected>', text, re.S)
    assert not re.search(r'<select name="until"[^>]*>[^/]*?selected', text)
    assert f"Kept in the filters: {kept.describe()};" in text
    assert f'href="/gaps?{urlencode(kept.query())}">Show this page for {kept.describe()}</a>' in text
    assert 'href="/gaps">Show this page for all data</a>' in text
