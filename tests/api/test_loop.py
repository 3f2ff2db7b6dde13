"""The closed-loop API on both backends: roles and team scope enforced through HTTP, revoked tokens
refused, ingest idempotent with cases opened once, rate limits answered with 429."""

from __future__ import annotations

from typing import Any

from cxgap.access import issue_token, revoke_token
from cxgap.api.limits import RateLimiter
from tests.api.conftest import TODAY
from tests.api.conftest import response as _response
from tests.api.server import TickingClock
from tests.cases.typed import TEAM, TYPED, add_named_customer, assert_no_personal_data, redacted


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
    case_id = client.get("/api/cases", headers=h["vic"]).json()[0]["case_id"]
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
    assert sum(redacted(e["detail"]) for e in case["events"]) == 4
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
