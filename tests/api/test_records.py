"""The drill-down through the app: the records pages and their JSON follow the roles (a viewer or a team
member gets 403), the CSV export holds every record of the slice and the very rows the pages show, the
total a page states is the export's row count, and the customer page shows the timeline and its CSV."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxgap.access import add_user, issue_token, set_password
from cxgap.api import create_app
from cxgap.config import StoreSettings, demo_settings
from cxgap.demo import simulate, write_demo
from cxgap.io import ingest_records
from cxgap.store import Store
from tests.api.on_demand import ON_DEMAND
from tests.api.signing import PASSWORD, sign_in, signed_up
from tests.cli.test_first_data import (
    CUSTOMERS_MAPPING,
    REVIEWS_MAPPING,
    build_store,
    customers_csv,
    reviews_csv,
)

KINDS = ("responses", "comments", "interactions", "customers")


@pytest.fixture(scope="module")
def app_and_tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    """The app on a 600-customer demo store with an analyst, a viewer and a support team member."""
    url = f"duckdb:///{tmp_path_factory.mktemp('records-api') / 'demo.duckdb'}"
    with Store(url) as store:
        write_demo(store, simulate(600, seed=3))
        tokens = signed_up(store)
        add_user(store, "sam", "team_member", "support")
        tokens["sam"] = issue_token(store, "sam")
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    yield app, tokens
    app.state.dashboard.close()


@pytest.fixture(scope="module")
def analyst(app_and_tokens: tuple[Any, dict[str, str]]) -> Iterator[TestClient]:
    """A browser-like client signed in as the analyst."""
    with TestClient(app_and_tokens[0]) as client:
        sign_in(client, "ana")
        yield client


def api(client: TestClient, tokens: dict[str, str], path: str, who: str = "ana", **params: str) -> Any:
    return client.get(path, params=params, headers={"Authorization": f"Bearer {tokens[who]}"})


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("who", ["vic", "sam"])
def test_customer_level_records_are_refused_to_viewers_and_team_members(
    app_and_tokens: tuple[Any, dict[str, str]], who: str
) -> None:
    app, tokens = app_and_tokens
    with TestClient(app) as client:
        for kind in KINDS:
            refused = api(client, tokens, f"/api/records/{kind}", who)
            assert refused.status_code == 403 and "analysts and admins" in refused.json()["detail"]
            assert api(client, tokens, f"/api/records/{kind}", who, format="csv").status_code == 403
        assert api(client, tokens, "/api/customers/C0000001", who).status_code == 403
        assert api(client, tokens, "/api/records/responses").status_code == 200  # the analyst may
        if who == "vic":  # the viewer signs in to the pages too
            sign_in(client, "vic")
            for path in ("/records/responses", "/records/comments?format=csv", "/customers/C0000001"):
                page = client.get(path)
                assert page.status_code == 403 and "analysts and admins" in page.text


def test_the_export_holds_every_record_and_the_pages_rows(
    app_and_tokens: tuple[Any, dict[str, str]], analyst: TestClient
) -> None:
    _, tokens = app_and_tokens
    params = {
        "segment": "consumer",
        "touchpoint": "support",
        "metric": "wait_seconds@call",
        "sort": "-wait_seconds",
    }
    first = api(analyst, tokens, "/api/records/interactions", **params).json()
    assert first["total"] > 50 and first["pages"] == -(-first["total"] // 50) and len(first["rows"]) == 50
    exported = analyst.get("/records/interactions", params=params | {"format": "csv"})
    assert exported.headers["content-disposition"].startswith("attachment")
    lines = rows_of(exported.text)
    assert len(lines) == first["total"]
    as_csv = [
        {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v) for k, v in r.items()}
        for r in first["rows"]
    ]
    assert lines[:50] == as_csv
    last = api(analyst, tokens, "/api/records/interactions", **params, page=str(first["pages"])).json()
    assert [r["interaction_id"] for r in last["rows"]] == [
        r["interaction_id"] for r in lines[(first["pages"] - 1) * 50 :]
    ]
    page = analyst.get("/records/interactions", params=params)
    assert f'<strong class="total">{first["total"]:,}</strong>' in page.text
    assert "page=2" in page.text and "format=csv" in page.text and "metric=wait_seconds%40call" in page.text


def test_gap_score_and_driver_links_open_the_right_records(
    app_and_tokens: tuple[Any, dict[str, str]], analyst: TestClient
) -> None:
    _, tokens = app_and_tokens
    nps = api(analyst, tokens, "/api/records/responses", metric="nps").json()
    score = api(analyst, tokens, "/api/scores", metric="nps").json()["scores"]
    assert nps["total"] == next(s["n"] for s in score if s["group"]["survey_kind"] == "relational")
    rated = api(analyst, tokens, "/api/records/responses", kind="customer", dimension="reliability").json()
    assert rated["total"] and all(r["items_rated"] >= 1 and r["p_minus_e"] is not None for r in rated["rows"])
    drivers = analyst.get("/drivers")
    assert (
        drivers.status_code == 200
        and 'class="driver-records" href="/records/responses?dimension=' in drivers.text
    )
    wrong = api(analyst, tokens, "/api/records/responses", item="no_such_item")
    assert wrong.status_code == 400 and "item" in wrong.json()["detail"]
    assert analyst.get("/records/nothing").status_code == 404


def test_the_customer_page_shows_the_timeline_and_exports_it(
    app_and_tokens: tuple[Any, dict[str, str]], analyst: TestClient
) -> None:
    _, tokens = app_and_tokens
    rows = api(analyst, tokens, "/api/records/interactions", sort="-occurred_at").json()["rows"]
    customer = rows[0]["customer_id"]
    data = api(analyst, tokens, f"/api/customers/{customer}").json()
    assert data["customer_id"] == customer and data["events"]
    assert rows[0]["interaction_id"] in {e["record_id"] for e in data["events"]}
    page = analyst.get(f"/customers/{customer}")
    assert page.status_code == 200 and 'id="timeline"' in page.text and rows[0]["interaction_id"] in page.text
    assert f"/records/responses?customer_id={customer}" in page.text
    exported = rows_of(analyst.get(f"/customers/{customer}", params={"format": "csv"}).text)
    assert [r["record_id"] for r in exported] == [e["record_id"] for e in data["events"]]
    risk = analyst.get(f"/customers/{customer}/risk")
    assert risk.status_code == 200 and 'id="customer-risk"' in risk.text
    assert analyst.get("/customers/nobody-at-all").status_code == 404


def _crm_and_reviews(tmp_path: Path) -> str:
    """The URL of a DuckDB store holding the shape of the shared real data: a CRM export and unlinked reviews."""
    crm = {
        "customers": (customers_csv(), CUSTOMERS_MAPPING),
        "reviews": (reviews_csv(), REVIEWS_MAPPING),
    }
    return f"duckdb:///{build_store(tmp_path / 'crm', crm)}"


def test_a_segments_customers_are_listed_on_a_store_with_only_crm_and_reviews(tmp_path: Path) -> None:
    """The shape of the shared real data (a CRM export and unlinked reviews): the segment holds customers but
    no answers or interactions, so the analysis pages say "no data" while the customers' list shows them."""
    url = _crm_and_reviews(tmp_path)
    with Store(url) as store:
        signed_up(store)
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    with TestClient(app) as client:
        assert sign_in(client, "ana").status_code == 303
        listed = client.get("/records/customers", params={"segment": "One year"})
        overview = client.get("/", params={"segment": "One year"})
        data = client.get("/api/records/customers", params={"segment": "One year"}).json()
    app.state.store.close()
    assert 'id="no-data"' not in listed.text and "K0001" in listed.text and "K0000" not in listed.text
    assert data["total"] == sum(1 for k in range(80) if k % 3 == 1)
    assert 'id="no-data"' in overview.text


def test_a_store_that_cannot_model_churn_says_why_on_the_customer_and_case_pages(tmp_path: Path) -> None:
    """A CRM table and reviews without `customers.ended_at`: once the risk computation has answered that it
    cannot model, the customer page, its risk part, a case page's risk part and the customer's JSON say the
    risk page's sentence instead of promising a score that never comes."""
    url = _crm_and_reviews(tmp_path)
    with Store(url) as store:
        signed_up(store)
        with store.begin() as conn:  # a case about customer K0001, as a person would raise it
            conn.execute(
                sa.text(
                    "INSERT INTO cases (case_id, created_at, customer_id, trigger_kind, team, status, version) "
                    "VALUES ('M1', :now, 'K0001', 'manual', 'cx', 'open', 0)"
                ),
                {"now": dt.datetime(2024, 3, 1)},
            )
    app = create_app(demo_settings(store=StoreSettings(url=url), server=ON_DEMAND))
    with TestClient(app) as client:
        assert sign_in(client, "ana").status_code == 303
        before = client.get("/customers/K0001")  # nothing has asked for risk yet: it is being scored
        risk_page = html.unescape(client.get("/risk").text)
        after = html.unescape(client.get("/customers/K0001").text)
        part = html.unescape(client.get("/customers/K0001/risk").text)
        case_part = html.unescape(client.get("/cases/M1/risk").text)
        case_page = html.unescape(client.get("/cases/M1").text)
        data = client.get("/api/customers/K0001").json()
    reason = app.state.dashboard.risk()
    app.state.store.close()
    assert isinstance(reason, str) and "customers.ended_at" in reason
    sentence = f"Not measured yet: {reason}"
    assert sentence in risk_page
    assert before.status_code == 200 and 'id="risk-loading"' in before.text
    assert sentence in after and 'id="risk-loading"' not in after and "Scoring churn risk" not in after
    assert sentence in part and sentence in case_part
    assert sentence in case_page and "Scoring churn risk" not in case_page and "Customer K0001" in case_page
    assert data["risk"] is None and data["risk_unavailable"] == sentence


def test_the_comments_table_heads_its_id_column_comment_not_text(api: Any) -> None:
    """Each column of the comments table has its own heading: the id column says whose record it is
    ("comment", as the other kinds say "response" and "interaction"), only the text column says "text"."""
    client, _, store = api
    comments = [
        {"feedback_id": "F1", "source": "review", "received_at": "2024-01-10", "text": "slow install"},
        {"feedback_id": "F2", "source": "email", "received_at": "2024-02-11", "text": "friendly staff"},
    ]
    ingest_records(store, "feedback", comments, "test")
    set_password(store, "ana", PASSWORD)
    assert sign_in(client, "ana").status_code == 303
    page = client.get("/records/comments")
    assert page.status_code == 200, page.text
    headings = dict(re.findall(r'data-column="([a-z_]+)">([^<▲▼]*?)\s*[▲▼]?</a>', page.text))
    assert headings["comment_id"] == "comment" and headings["text"] == "text"
    assert len(set(headings.values())) == len(headings), headings
