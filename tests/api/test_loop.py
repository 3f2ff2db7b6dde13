"""The closed-loop API on both backends: roles and team scope enforced through HTTP, revoked tokens
refused, ingest idempotent with cases opened once, rate limits answered with 429."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from cxgap.access import add_user, issue_token, revoke_token
from cxgap.api.limits import RateLimiter
from cxgap.cases.clock import set_loop_calendar
from tests.api.conftest import TODAY
from tests.api.conftest import response as _response
from tests.api.server import TickingClock
from tests.cases.typed import PERSONAL, TEAM, TYPED, add_named_customer, assert_no_personal_data, redacted


def test_ingest_is_idempotent_opens_each_case_once_and_accounts_for_every_record(api: Any) -> None:
    client, h, _ = api
    batch = [
        _response("W1", 2, comment="call me on +44 7700 900123"),
        _response("W2", 10),
        _response("W3", 1, responded_at="soon"),
    ]
    first = client.post("/api/ingest/responses", json=batch, headers=h["ana"]).json()
    assert (first["read"], first["loaded"], first["quarantined"], first["cases_opened"]) == (3, 2, 1, 1)
    assert "record 3: column 'responded_at'" in first["problems"][0]
    again = client.post("/api/ingest/responses", json=batch, headers=h["ana"]).json()
    assert (again["loaded"], again["existing"], again["cases_opened"]) == (0, 2, 0)
    cases = client.get("/api/cases", headers=h["ana"]).json()
    assert [c["trigger_id"] for c in cases] == ["W1"] and "[PHONE]" in cases[0]["summary"]
    one = client.post(
        "/api/ingest/feedback",
        json={"feedback_id": "F1", "source": "review", "received_at": TODAY, "rating": 1, "text": "awful"},
        headers=h["ana"],
    )
    assert one.json()["cases_opened"] == 1


def test_a_team_member_cannot_read_or_change_another_teams_case(api: Any) -> None:
    client, h, _ = api
    client.post("/api/ingest/responses", json=[_response("W1", 2)], headers=h["ana"])
    case = client.get("/api/cases", headers=h["sam"]).json()[0]
    assert case["team"] == "support"
    path = f"/api/cases/{case['case_id']}"
    assert client.get("/api/cases", headers=h["fay"]).json() == []
    assert client.get("/api/cases", params={"team": "support"}, headers=h["fay"]).json() == []
    assert client.get(path, headers=h["fay"]).status_code == 404
    for verb, body in (
        ("actions", {"action": "start"}),
        ("notes", {"text": "mine now"}),
        ("assign", {"owner": "fay"}),
    ):
        assert client.post(f"{path}/{verb}", json=body, headers=h["fay"]).status_code == 404
    assert client.post(f"{path}/assign", json={"team": "field_service"}, headers=h["sam"]).status_code == 403
    assert client.get(path, headers=h["sam"]).json()["events"][-1]["action"] == "created"  # nothing changed


def test_roles_decide_who_may_write_and_a_revoked_token_is_refused(api: Any) -> None:
    client, h, store = api
    client.post("/api/ingest/responses", json=[_response("W1", 2)], headers=h["ana"])
    case_id = client.get("/api/cases", headers=h["ana"]).json()[0]["case_id"]
    for path in ("/api/cases", "/api/cases/inbox", f"/api/cases/{case_id}"):  # cases name customers
        refused = client.get(path, headers=h["vic"])
        assert refused.status_code == 403 and "Cases name their customers" in refused.json()["detail"], path
    assert client.get("/api/cases/accountability", headers=h["vic"]).status_code == 200
    assert (
        client.post(f"/api/cases/{case_id}/actions", json={"action": "start"}, headers=h["vic"]).status_code
        == 403
    )
    assert (
        client.post("/api/ingest/responses", json=[_response("W9", 2)], headers=h["sam"]).status_code == 403
    )
    assert client.get("/api/cases").status_code == 401
    started = client.post(
        f"/api/cases/{case_id}/actions", json={"action": "start", "version": 0}, headers=h["sam"]
    )
    assert started.status_code == 200 and started.json()["version"] == 1
    noted = client.post(f"/api/cases/{case_id}/notes", json={"text": "x"}, headers=h["sam"])  # version 2 now
    assert noted.status_code == 200
    conflict = client.post(
        f"/api/cases/{case_id}/actions",
        json={"action": "resolve", "root_cause": "process", "version": 1},
        headers=h["sam"],
    )
    assert conflict.status_code == 409 and "changed since you read it" in conflict.json()["detail"]
    revoke_token(store, h["sam"]["Authorization"].removeprefix("Bearer "))
    refused = client.get("/api/cases", headers=h["sam"])
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_bad_records_are_one_sentence_and_ingest_is_rate_limited(api: Any) -> None:
    client, h, _ = api
    bad = client.post("/api/ingest/responses", json=[{"response_id": "X", "npss": 3}], headers=h["ana"])
    assert (
        bad.status_code == 400 and "field 'npss', which is not a column of responses" in bad.json()["detail"]
    )
    keyless = client.post("/api/ingest/responses", json=[{"nps": 3}], headers=h["ana"])
    assert keyless.status_code == 400 and "needs its key" in keyless.json()["detail"]
    # one a second, bursts of 6, and a clock that moves 1/8 s a request: after the burst, one in eight passes
    client.app.state.dashboard.rate_limiter = RateLimiter(60, clock=TickingClock(0.125))
    codes = [
        client.post("/api/ingest/responses", json=[_response(f"R{i}", 9)], headers=h["ana"]).status_code
        for i in range(12)
    ]
    assert codes == [200] * 6 + [429, 429, 200, 429, 429, 429]
    limited = client.post("/api/ingest/responses", json=[_response("R99", 9)], headers=h["ana"])
    assert limited.status_code == 429 and float(limited.headers["Retry-After"]) > 0


def test_what_a_person_types_through_the_api_is_stored_redacted(api: Any) -> None:
    client, h, store = api
    add_named_customer(store)
    client.post("/api/ingest/responses", json=[_response("W1", 2)], headers=h["ana"])
    path = f"/api/cases/{client.get('/api/cases', headers=h['ana']).json()[0]['case_id']}"
    posts = (
        ("actions", {"action": "start", "note": TYPED}),
        ("notes", {"text": TYPED}),
        ("assign", {"owner": TYPED, "team": TEAM}),
        ("actions", {"action": "resolve", "root_cause": "process", "note": TYPED}),
    )
    for verb, body in posts:
        assert client.post(f"{path}/{verb}", json=body, headers=h["ana"]).status_code == 200
    case = client.get(path, headers=h["ana"]).json()
    assert redacted(case["owner"]) and case["team"] == "[EMAIL]"
    typed = [e["detail"].get("note") or e["detail"].get("owner") for e in case["events"]]
    assert sum(redacted(t) for t in typed) == 4
    assert not any(p in e["sentence"] for e in case["events"] for p in PERSONAL)
    assert_no_personal_data(store)


def test_the_ingest_rate_limit_is_per_user_not_per_token(api: Any) -> None:
    client, h, store = api
    second = {"Authorization": f"Bearer {issue_token(store, 'ana')}"}
    # one more a minute, and the clock moves a millisecond a request: none in the test
    client.app.state.dashboard.rate_limiter = RateLimiter(1, burst=2, clock=TickingClock(0.001))
    codes = [
        client.post("/api/ingest/responses", json=[_response(f"R{i}", 9)], headers=headers).status_code
        for i, headers in enumerate((h["ana"], second, second))
    ]
    assert codes == [200, 200, 429]


def _ids(client: Any, headers: dict[str, str], **params: Any) -> list[str]:
    """Trigger ids of the caller's inbox."""
    return [
        c["trigger_id"]
        for c in client.get("/api/cases/inbox", params=params, headers=headers).json()["cases"]
    ]


def test_the_inbox_lists_filters_and_bulk_work_within_each_persons_scope(api: Any) -> None:
    client, h, _ = api
    batch = [
        _response("W1", 2, comment="kept on hold"),
        _response("W2", 3),
        _response("W3", 1, touchpoint="installation"),  # field service's
    ]
    client.post("/api/ingest/responses", json=batch, headers=h["ana"])
    inbox = client.get("/api/cases/inbox", headers=h["sam"]).json()
    assert inbox["total"] == 2 and inbox["counts"]["all"] == 2 and inbox["counts"]["team"] == 2
    assert inbox["counts"]["overdue"] == 0 and inbox["counts"]["unassigned"] == 2 and inbox["pages"] == 1
    assert _ids(client, h["fay"]) == ["W3"] and _ids(client, h["sam"], search="hold") == ["W1"]
    listed = client.get("/api/cases", params={"limit": 1}, headers=h["ana"])
    assert listed.headers["X-Total-Count"] == "3" and len(listed.json()) == 1
    assert client.get("/api/cases", headers=h["fay"]).headers["X-Total-Count"] == "1"
    later = (dt.datetime.fromisoformat(TODAY) + dt.timedelta(days=3)).isoformat()
    overdue = client.get("/api/cases", params={"overdue": "true", "as_of": later}, headers=h["ana"])
    assert overdue.headers["X-Total-Count"] == "3" and all(c["overdue"] for c in overdue.json())
    assert client.get("/api/cases", params={"overdue": "true"}, headers=h["ana"]).json() == []
    both = client.get("/api/cases", params={"overdue": "true", "due_today": "true"}, headers=h["ana"])
    assert both.status_code == 400 and "not both" in both.json()["detail"]
    bad = client.get("/api/cases/inbox", params={"sort": "mood"}, headers=h["sam"])
    assert bad.status_code == 400 and "sort = 'mood' is not one of" in bad.json()["detail"]
    ids = {c["trigger_id"]: c["case_id"] for c in client.get("/api/cases", headers=h["ana"]).json()}
    done = client.post(
        "/api/cases/bulk",
        json={"case_ids": [ids["W1"], ids["W3"]], "action": "assign", "owner": "sam"},
        headers=h["sam"],
    ).json()
    assert done["done"] == [ids["W1"]] and done["refused"][0]["case_id"] == ids["W3"]
    assert _ids(client, h["sam"], queue="mine") == ["W1"]
    moved = {"case_ids": [ids["W1"]], "action": "assign", "team": "cx"}
    assert client.post("/api/cases/bulk", json=moved, headers=h["sam"]).status_code == 403
    assert (
        client.post("/api/cases/bulk", json=moved | {"action": "close"}, headers=h["vic"]).status_code == 403
    )


def test_a_case_shows_its_triggers_the_customers_other_cases_and_a_readable_log(api: Any) -> None:
    client, h, store = api
    client.post("/api/ingest/responses", json=[_response("W1", 2, customer_id="K1")], headers=h["ana"])
    feedback = {
        "feedback_id": "F1",
        "source": "review",
        "received_at": TODAY,
        "rating": 1,
        "text": "slow",
        "customer_id": "K1",
    }
    assert client.post("/api/ingest/feedback", json=feedback, headers=h["ana"]).json()["cases_opened"] == 0
    with store.begin() as conn:  # a case of the cx team for the same customer
        conn.execute(
            sa.text(
                "INSERT INTO cases (case_id, created_at, customer_id, trigger_kind, team, status, version) "
                "VALUES ('M1', :now, 'K1', 'manual', 'cx', 'open', 0)"
            ),
            {"now": dt.datetime.fromisoformat(TODAY)},
        )
    case_id = client.get("/api/cases", params={"rule": "detractor"}, headers=h["ana"]).json()[0]["case_id"]
    case = client.get(f"/api/cases/{case_id}", headers=h["ana"]).json()
    assert [(t["rule"], t["trigger_id"]) for t in case["triggers"]] == [
        ("detractor", "W1"),
        ("negative_feedback", "F1"),
    ]
    assert [c["case_id"] for c in case["other_open_cases"]] == ["M1"]
    assert client.get(f"/api/cases/{case_id}", headers=h["sam"]).json()["other_open_cases"] == []  # cx's
    assert case["events"][0]["detail"] == {"rule": "detractor", "team": "support"}
    assert case["events"][-1]["sentence"] == "rules added a trigger: review rated 1: slow"


def test_team_members_and_leads_see_their_own_teams_accountability(api: Any) -> None:
    client, h, store = api
    add_user(store, "lee", "team_lead", "support")
    h["lee"] = {"Authorization": f"Bearer {issue_token(store, 'lee')}"}
    batch = [_response("W1", 2), _response("W2", 1, touchpoint="installation")]
    client.post("/api/ingest/responses", json=batch, headers=h["ana"])
    for person in ("sam", "lee"):
        mine = client.get("/api/cases/accountability", params={"team": "field_service"}, headers=h[person])
        assert mine.status_code == 200 and mine.json()["team"] == "support"
        assert [g["group"] for g in mine.json()["groups"]] == ["support"]
    every = client.get("/api/cases/accountability", headers=h["vic"]).json()
    assert [g["group"] for g in every["groups"]] == ["field_service", "support"]
    one = client.get(
        "/api/cases/accountability", params={"team": "field_service", "by": "month"}, headers=h["ana"]
    )
    assert one.json()["team"] == "field_service" and one.json()["groups"][0]["cases"] == 1


def test_run_rules_without_a_date_judges_lookbacks_at_the_stores_calendar(api: Any) -> None:
    client, h, store = api
    with store.begin() as conn:  # records of a company whose data ends on 2025-12-31
        conn.execute(
            sa.text(
                "INSERT INTO responses (response_id, customer_id, responded_at, survey_kind, touchpoint, nps) "
                "VALUES ('D1', 'K1', '2025-12-20 10:00:00', 'relational', 'support', 2), "
                "('D2', 'K2', '2025-12-30 10:00:00', 'relational', 'support', 1)"
            )
        )
    assert client.post("/api/cases/run-rules", headers=h["ana"]).json()["total"] == 0  # today's clock
    set_loop_calendar(store, dt.datetime(2025, 12, 31, 18))
    run = client.post("/api/cases/run-rules", headers=h["ana"]).json()
    assert run["opened"]["detractor"] == 2 and run["now"].startswith("2025-12-31")
    assert (
        client.post("/api/cases/run-rules", json={"as_of": "2025-12-31T18:00:00"}, headers=h["ana"]).json()[
            "total"
        ]
        == 0
    )
    cases = client.get("/api/cases", headers=h["ana"]).json()
    assert {c["created_at"][:10] for c in cases} == {"2025-12-31"} and not any(c["overdue"] for c in cases)
    assert client.post("/api/cases/run-rules", headers=h["sam"]).status_code == 403
