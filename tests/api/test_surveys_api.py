"""The analysts' survey API on both backends: a survey made from a template or TOML, versions saved over the
version read (a stale one is 409, nothing overwritten), roles (viewers and team members read, analysts
write), one sentence for a wrong definition, publish, a link by hand, invitations e-mailed to a real local
SMTP server under the opt-out rule, response rates, close; a session's writes need its CSRF header."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from cxgap.access import add_user, issue_token
from cxgap.access.sessions import csrf_token, set_password, sign_in
from cxgap.api import create_app
from cxgap.api.auth import SESSION_COOKIE
from cxgap.config import NotifySettings, StoreSettings, SurveySettings, demo_settings
from cxgap.store import Store
from cxgap.surveys.contacts import import_contacts, opt_out
from tests.api.on_demand import ON_DEMAND
from tests.smtp_server import Inbox, smtp_server

NOON = dt.datetime(2026, 3, 2, 12, 0)  # the app's clock: invitations go out at once (no quiet hours anyway)
PEOPLE = {"ana": "analyst", "vic": "viewer", "sam": "team_member"}


@dataclass
class Api:
    """A client on the app, each person's bearer header, the store, and the local SMTP server's inbox."""

    client: TestClient
    headers: dict[str, dict[str, str]]
    store: Store
    inbox: Inbox


@pytest.fixture
def api(store_url: str) -> Iterator[Api]:
    """The app on an empty store with an analyst, a viewer and a team member, e-mailing a local server."""
    with Store(store_url) as store:
        for name, role in PEOPLE.items():
            add_user(store, name, role, "support" if role == "team_member" else None)
        headers = {name: {"Authorization": f"Bearer {issue_token(store, name)}"} for name in PEOPLE}
    with smtp_server() as (inbox, port):
        notify = NotifySettings(smtp_url=f"smtp://127.0.0.1:{port}", base_url="https://cx.example.com")
        settings = demo_settings(
            store=StoreSettings(url=store_url),
            server=ON_DEMAND,
            notify=notify,
            surveys=SurveySettings(quiet_hours=(0, 0)),
        )
        app = create_app(settings)
        app.state.clock = lambda: NOON
        with TestClient(app) as client:
            yield Api(client, headers, app.state.store, inbox)
        app.state.store.close()


def _created(api: Api, **body: str) -> dict[str, object]:
    answer = api.client.post("/api/surveys", json={"template": "nps"} | body, headers=api.headers["ana"])
    assert answer.status_code == 201, answer.text
    found: dict[str, object] = answer.json()
    return found


def test_a_survey_is_made_listed_and_read_by_role(api: Api) -> None:
    client, h = api.client, api.headers
    made = _created(api)
    assert (made["name"], made["status"], made["version"], made["created_by"]) == ("nps", "draft", 1, "ana")
    assert 'name = "nps"' in str(made["toml"]) and made["versions"] == [
        {
            "name": "nps",
            "version": 1,
            "created_at": "2026-03-02T12:00:00",
            "created_by": "ana",
            "published": False,
        }
    ]
    for reader in ("vic", "sam"):
        assert [s["name"] for s in client.get("/api/surveys", headers=h[reader]).json()] == ["nps"]
        assert client.get("/api/surveys/nps", headers=h[reader]).json()["version_shown"] == 1
    assert client.get("/api/surveys/rates", headers=h["vic"]).json()["rows"] == []
    for path in ("/api/surveys", "/api/surveys/nps/publish", "/api/surveys/nps/close"):
        refused = client.post(path, json={"template": "ces", "touchpoint": "support"}, headers=h["vic"])
        assert refused.status_code == 403 and "needs admin or analyst" in refused.json()["detail"]
    assert client.put("/api/surveys/nps", json={"toml": "x"}, headers=h["sam"]).status_code == 403
    assert client.get("/api/surveys").status_code == 401
    taken = client.post("/api/surveys", json={"template": "nps"}, headers=h["ana"])
    assert taken.status_code == 409 and taken.json()["detail"].startswith(
        "There is already a survey named 'nps'"
    )
    both = client.post("/api/surveys", json={"template": "nps", "toml": "name = 'x'"}, headers=h["ana"])
    assert both.status_code == 422 and "give either template" in both.json()["detail"]
    assert client.get("/api/surveys/nothing", headers=h["vic"]).status_code == 404
    named = client.post("/api/surveys", json={"template": "nps", "name": "Our Survey!"}, headers=h["ana"])
    assert named.status_code == 422 and named.json()["detail"].startswith(
        "The request to /api/surveys does not fit"
    )


def test_versions_are_saved_over_the_version_read_and_a_stale_one_is_refused(api: Api) -> None:
    client, h = api.client, api.headers
    toml = str(_created(api)["toml"])
    edited = toml.replace("How likely", "How likely, on the whole,")
    assert edited != toml
    saved = client.put("/api/surveys/nps", json={"toml": edited, "expected_version": 1}, headers=h["ana"])
    assert saved.status_code == 200 and saved.json()["version"] == 2
    stale = client.put("/api/surveys/nps", json={"toml": toml, "expected_version": 1}, headers=h["ana"])
    assert stale.status_code == 409
    assert stale.json()["detail"] == "Someone else saved version 2 of survey nps since you opened it."
    assert "on the whole" in client.get("/api/surveys/nps", headers=h["vic"]).json()["toml"]
    first = client.get("/api/surveys/nps", params={"version": 1}, headers=h["vic"]).json()
    assert first["version_shown"] == 1 and "on the whole" not in first["toml"]
    assert client.get("/api/surveys/nps", params={"version": 9}, headers=h["vic"]).status_code == 404

    broken = client.put(
        "/api/surveys/nps", json={"toml": "name = [", "expected_version": 2}, headers=h["ana"]
    )
    detail = broken.json()["detail"]
    assert broken.status_code == 400 and detail.startswith("The TOML sent: not valid TOML")
    assert detail.count(". ") == 0 and "Traceback" not in detail
    wrong = toml.replace('name = "nps"', 'name = "other"')
    renamed = client.put("/api/surveys/nps", json={"toml": wrong}, headers=h["ana"])
    assert renamed.status_code == 400 and "a survey keeps its name" in renamed.json()["detail"]
    unknown = client.put("/api/surveys/nothing", json={"toml": toml}, headers=h["ana"])
    assert unknown.status_code == 404
    pasted = client.post(
        "/api/surveys", json={"toml": toml.replace('"nps"', '"nps-copy"', 1)}, headers=h["ana"]
    )
    assert pasted.status_code == 201 and pasted.json()["name"] == "nps-copy"


def test_publish_a_link_invitations_rates_and_close(api: Api, tmp_path: Path) -> None:
    client, h = api.client, api.headers
    _created(api)
    early = client.post("/api/surveys/nps/link", json={"customer": "C1"}, headers=h["ana"])
    assert early.status_code == 400 and "not published yet" in early.json()["detail"]
    assert client.post("/api/surveys/nps/publish", headers=h["ana"]).json()["published_version"] == 1

    link = client.post("/api/surveys/nps/link", json={"customer": "C1"}, headers=h["ana"]).json()
    assert link["url"] == f"https://cx.example.com/s/{link['token']}"
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("id,email,language\nC2,c2@example.com,en\nC3,c3@example.com,en\n")
    import_contacts(api.store, contacts, "customer", NOON)
    opt_out(api.store, "customer", "C3", None, "admin", NOON)
    wrong_kind = client.post("/api/surveys/nps/invite", json={"staff": True}, headers=h["ana"])
    assert wrong_kind.status_code == 400 and "asks customers" in wrong_kind.json()["detail"]
    run = client.post("/api/surveys/nps/invite", json={"recipients": ["C2", "C3"]}, headers=h["ana"]).json()
    assert (run["sent"], run["skipped"]) == (1, {"opted out": 1})
    assert "1 sent" in run["sentence"]
    assert [m["To"] for m in api.inbox.messages] == ["c2@example.com"]

    rates = client.get("/api/surveys/rates", params={"survey": "nps"}, headers=h["vic"]).json()
    overall = next(r for r in rates["rows"] if r["level"] == "survey")
    assert (overall["invited"], overall["answered"], overall["rr1"]) == (2, 0, None)
    assert overall["status"] == "insufficient data, n=2"

    assert client.post("/api/surveys/nps/close", headers=h["ana"]).json()["status"] == "closed"
    late = client.post("/api/surveys/nps/link", json={"customer": "C4"}, headers=h["ana"])
    assert late.status_code == 400 and "is closed" in late.json()["detail"]
    with api.store.engine.connect() as conn:
        count = conn.execute(
            sa.text("SELECT count(*) FROM survey_invitations WHERE status = 'sent'")
        ).scalar()
    assert count == 2


@pytest.mark.parametrize("store_url", ["duckdb"], indirect=True)  # the gate's rule, not the store's
def test_a_signed_in_sessions_write_needs_its_csrf_header(api: Api) -> None:
    set_password(api.store, "ana", "correct horse battery staple")
    session = sign_in(api.store, "ana", "correct horse battery staple", NOON)
    client = TestClient(api.client.app)
    client.cookies.set(SESSION_COOKIE, session)
    assert client.get("/api/surveys").status_code == 200
    refused = client.post("/api/surveys", json={"template": "nps"})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    made = client.post(
        "/api/surveys", json={"template": "nps"}, headers={"X-CSRF-Token": csrf_token(session)}
    )
    assert made.status_code == 201
