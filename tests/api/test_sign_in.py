"""Sign-in, sessions, CSRF and roles, alike on both backends: nothing is served to an anonymous request
but the sign-in page, static files and the health check; viewers get aggregates only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxgap.access import add_user, issue_token, set_password
from cxgap.access.sessions import utcnow
from cxgap.api import create_app
from cxgap.config import ServerSettings, StoreSettings, demo_settings
from cxgap.store import Store
from tests.api.signing import PASSWORD, csrf, sign_in

PAGES = ("/", "/gaps", "/perception", "/operations", "/drivers", "/text", "/journeys", "/risk")
API = ("/api/status", "/api/gaps", "/api/scores", "/api/text", "/api/risk", "/api/journeys", "/api/cases")
CUSTOMER = "/api/journeys/customers/C0002480"
REFUSED = "Wrong user name or password, or too many failed attempts: try again later."


def _app(store_url: str, **server: Any) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Any]]:
    with Store(store_url) as store:
        for name, role in (("ana", "analyst"), ("vic", "viewer")):
            add_user(store, name, role)
            set_password(store, name, PASSWORD)
        headers = {n: {"Authorization": f"Bearer {issue_token(store, n)}"} for n in ("ana", "vic")}
    app = create_app(
        demo_settings(
            store=StoreSettings(url=store_url), server=ServerSettings(**({"precompute": False} | server))
        )
    )
    with TestClient(app) as client:
        yield client, headers, app
    app.state.store.close()


@pytest.fixture
def web(store_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]], Any]]:
    """A client on an empty store with an analyst and a viewer, each with a password and a token."""
    yield from _app(store_url)


def test_anonymous_requests_get_401_or_the_sign_in_page(web: Any) -> None:
    client, _, _ = web
    for path in (*API, CUSTOMER, "/openapi.json", "/docs"):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert answer.json()["detail"].startswith("This needs an API token"), path
    for path in PAGES:
        answer = client.get(path, params={"segment": "x"}, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/sign-in?next={path.replace('/', '%2F')}%3Fsegment%3Dx"
    assert client.post("/api/cases/run-rules", json={}).status_code == 401
    assert client.get("/api/gaps", headers={"Authorization": "Bearer cxg_nope_nope"}).status_code == 401
    for path in ("/sign-in", "/static/htmx.min.js", "/health"):
        assert client.get(path).status_code == 200, path


def test_a_viewer_is_refused_customer_level_data(web: Any) -> None:
    client, headers, _ = web
    assert client.get(CUSTOMER, headers=headers["vic"]).status_code == 403
    assert client.get(CUSTOMER, headers=headers["ana"]).status_code == 404  # allowed; no such customer
    assert client.get("/api/gaps", headers=headers["vic"]).status_code == 200
    sign_in(client, "vic")
    assert client.get(CUSTOMER).status_code == 403
    assert client.get("/").status_code == 200


def test_signing_in_opens_the_pages_and_signing_out_closes_them(web: Any) -> None:
    client, _, _ = web
    answer = sign_in(client, "ana")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get("/gaps")
    assert page.status_code == 200 and "ana (analyst)" in page.text
    assert client.get("/api/gaps").status_code == 200  # the pages' "As JSON" links
    out = client.post("/sign-out", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/sign-in"
    assert client.get("/gaps", follow_redirects=False).status_code == 303


def test_a_post_without_the_csrf_token_is_refused(web: Any) -> None:
    client, _, _ = web
    sign_in(client, "ana")
    token = csrf(client.get("/").text)
    assert client.post("/sign-out", data={"csrf_token": "forged"}).status_code == 403
    assert client.post("/sign-out", data={}).status_code == 403
    assert client.post("/api/cases/run-rules", json={}).status_code == 403
    with_token = client.post("/api/cases/run-rules", json={}, headers={"X-CSRF-Token": token})
    assert with_token.status_code == 200
    form = client.get("/sign-in")
    assert client.post("/sign-in", data={"username": "ana", "password": PASSWORD}).status_code == 403
    assert form.status_code == 200


def test_repeated_failures_lock_the_name_for_fifteen_minutes(web: Any) -> None:
    client, _, app = web
    start = utcnow()
    app.state.clock = lambda: start
    for _ in range(5):
        wrong = sign_in(client, "ana", "not the password at all")
        assert wrong.status_code == 401 and REFUSED in wrong.text
    locked = sign_in(client, "ana")
    assert locked.status_code == 401 and REFUSED in locked.text
    nobody = sign_in(client, "nobody", "whatever it may be")
    assert nobody.status_code == 401 and REFUSED in nobody.text  # the same sentence: names stay secret
    app.state.clock = lambda: start + dt.timedelta(minutes=16)
    assert sign_in(client, "ana").status_code == 303


def test_an_expired_session_is_refused(web: Any) -> None:
    client, _, app = web
    start = utcnow()
    app.state.clock = lambda: start
    sign_in(client, "ana")
    for minutes in (50, 100, 150):  # used every 50 minutes: the idle limit (60) never passes
        app.state.clock = lambda m=minutes: start + dt.timedelta(minutes=m)
        assert client.get("/api/status").status_code == 200
    app.state.clock = lambda: start + dt.timedelta(minutes=211)
    assert client.get("/", follow_redirects=False).status_code == 303
    app.state.clock = lambda: start
    sign_in(client, "ana")
    for hours in range(1, 13):
        app.state.clock = lambda h=hours: start + dt.timedelta(minutes=50 * h)
        assert client.get("/api/status").status_code == 200
    app.state.clock = lambda: start + dt.timedelta(hours=12, minutes=5)  # never idle, but 12 hours old
    assert client.get("/api/status").status_code == 401


def test_public_aggregates_open_the_aggregates_only(store_url: str) -> None:
    for client, _, _ in _app(store_url, public_aggregates=True):
        for path in ("/", "/gaps", "/text", "/risk"):
            assert client.get(path).status_code == 200, path
        for path in ("/api/gaps", "/api/scores", "/api/text", "/api/status"):
            assert client.get(path).status_code == 200, path
        for path in (CUSTOMER, "/api/cases", "/api/issues", "/openapi.json"):
            assert client.get(path).status_code == 401, path
        assert client.post("/api/cases/run-rules", json={}).status_code == 401


def test_a_team_member_sees_only_customers_and_cases_of_their_team(api: Any) -> None:
    client, headers, store = api
    with store.begin() as conn:
        for case_id, team in (("K1", "support"), ("K2", "field_service")):
            conn.execute(
                sa.text(
                    "INSERT INTO cases (case_id, created_at, customer_id, touchpoint, trigger_kind, team, "
                    "status, version) VALUES (:c, :t, 'C1', 'support', 'manual', :team, 'open', 1)"
                ),
                {"c": case_id, "t": dt.datetime(2025, 1, 2), "team": team},
            )
    seen = client.get("/api/journeys/customers/C1", headers=headers["sam"])
    assert seen.status_code == 200
    assert [e["record_id"] for e in seen.json()["events"]] == ["K1"]
    everything = client.get("/api/journeys/customers/C1", headers=headers["ana"]).json()["events"]
    assert sorted(e["record_id"] for e in everything) == ["K1", "K2"]
    with store.begin() as conn:
        conn.execute(sa.text("UPDATE cases SET team = 'billing' WHERE case_id = 'K1'"))
    assert client.get("/api/journeys/customers/C1", headers=headers["sam"]).status_code == 404
    assert client.get("/api/journeys/customers/C1", headers=headers["vic"]).status_code == 403
