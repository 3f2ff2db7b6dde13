"""The outer-loop API on both backends: patterns from resolved cases, an issue raised and moved through
HTTP with roles and team scope enforced, conflicts as 409, the effect endpoint answering in words."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import response
from tests.cases.typed import TEAM, TYPED, add_named_customer, assert_no_personal_data, redacted


def _resolved_support_cases(client: Any, headers: dict[str, str], count: int) -> list[str]:
    """Ingest `count` detractors at support and resolve their cases with root cause 'process'."""
    batch = [response(f"D{i}", 1) for i in range(count)]
    assert client.post("/api/ingest/responses", json=batch, headers=headers).json()["cases_opened"] == count
    ids = [c["case_id"] for c in client.get("/api/cases", headers=headers).json()]
    for case_id in ids:
        body = {"action": "resolve", "root_cause": "process"}
        assert client.post(f"/api/cases/{case_id}/actions", json=body, headers=headers).status_code == 200
    return ids


def test_an_issue_is_raised_from_a_pattern_and_moved_through_its_states(api: Any) -> None:
    client, h, _ = api
    case_ids = _resolved_support_cases(client, h["ana"], 6)
    found = client.get("/api/issues/patterns", params={"min_cases": 5}, headers=h["vic"]).json()
    assert [(p["root_cause"], p["touchpoint"], p["cases"]) for p in found] == [("process", "support", 6)]
    assert found[0]["share"]["value"] == 1.0 and found[0]["share"]["n"] == 6
    new = {"root_cause": "process", "touchpoint": "support", "team": "support", "owner": "sam"}
    issue = client.post("/api/issues", json=new, headers=h["ana"]).json()
    assert issue["cases"] == 6 and issue["status"] == "open"
    again = client.post("/api/issues", json=new, headers=h["ana"])
    assert again.status_code == 409 and "already covers process at support" in again.json()["detail"]
    assert client.get(f"/api/cases/{case_ids[0]}", headers=h["ana"]).json()["issue_id"] == issue["issue_id"]

    path = f"/api/issues/{issue['issue_id']}"
    plan = {"action": "Callback queue staffed at peak", "action_at": "2026-01-15T09:00:00+01:00"}
    stale = client.post(f"{path}/plan", json=plan | {"version": 0}, headers=h["ana"])
    assert stale.status_code == 409 and "changed since you read it" in stale.json()["detail"]
    planned = client.post(
        f"{path}/plan",
        json=plan | {"gap_kind": "implementation", "gap_subject": "wait_seconds@call", "version": 1},
        headers=h["ana"],
    ).json()
    assert planned["status"] == "acting" and planned["action_at"] == "2026-01-15T08:00:00"
    effect = client.get(f"{path}/effect", headers=h["sam"]).json()
    assert effect["status"] == "insufficient data" and effect["sentence"].startswith("The implementation gap")
    assert client.post(f"{path}/done", headers=h["ana"]).json()["status"] == "done"
    assert client.post(f"{path}/reopen", json={"version": 0}, headers=h["ana"]).status_code == 409
    assert client.post(f"{path}/reopen", headers=h["ana"]).json()["status"] == "acting"
    log = client.get(path, headers=h["ana"]).json()["events"]
    assert [e["action"] for e in log] == ["raised", "linked", "planned", "done", "reopened"]
    assert all(e["actor"] == "ana" for e in log)


def test_roles_and_team_scope_hold_for_issues(api: Any) -> None:
    client, h, _ = api
    _resolved_support_cases(client, h["ana"], 2)
    new = {"root_cause": "process", "touchpoint": "support", "team": "support"}
    assert client.post("/api/issues", json=new, headers=h["vic"]).status_code == 403
    assert client.post("/api/issues", json=new, headers=h["sam"]).status_code == 403
    issue = client.post("/api/issues", json=new, headers=h["ana"]).json()
    path = f"/api/issues/{issue['issue_id']}"
    assert client.get("/api/issues/patterns", headers=h["sam"]).status_code == 403
    assert [i["issue_id"] for i in client.get("/api/issues", headers=h["sam"]).json()] == [issue["issue_id"]]
    assert client.get("/api/issues", headers=h["fay"]).json() == []
    assert client.get(path, headers=h["fay"]).status_code == 404
    assert client.get(f"{path}/effect", headers=h["fay"]).status_code == 404
    assert client.post(f"{path}/assign", json={"owner": "fay"}, headers=h["sam"]).status_code == 403
    assert client.post(f"{path}/link", headers=h["vic"]).status_code == 403
    assert client.get("/api/issues", headers={"Authorization": "Bearer nope"}).status_code == 401
    bad = client.post("/api/issues", json=new | {"root_cause": "gremlins"}, headers=h["ana"])
    assert bad.status_code == 400 and "root_cause = 'gremlins' is not one of" in bad.json()["detail"]
    no_plan = client.get(f"{path}/effect", headers=h["ana"])
    assert no_plan.status_code == 400 and "has no action date yet" in no_plan.json()["detail"]


def test_what_a_person_types_into_an_issue_through_the_api_is_stored_redacted(api: Any) -> None:
    client, h, store = api
    add_named_customer(store)
    _resolved_support_cases(client, h["ana"], 1)
    new = {"root_cause": "process", "touchpoint": "support", "title": TYPED, "owner": TYPED, "team": TEAM}
    issue = client.post("/api/issues", json=new | {"action": TYPED}, headers=h["ana"]).json()
    assert redacted(issue["title"]) and redacted(issue["owner"]) and redacted(issue["action"])
    path = f"/api/issues/{issue['issue_id']}"
    gap = {"gap_kind": "implementation", "gap_subject": "wait_seconds@call"}
    plan = {"action": TYPED, "action_at": "2026-01-15T09:00:00"} | gap
    planned = client.post(f"{path}/plan", json=plan, headers=h["ana"]).json()
    assert redacted(planned["action"]) and planned["gap_subject"] == "wait_seconds@call"
    assigned = client.post(f"{path}/assign", json={"owner": TYPED, "team": TEAM}, headers=h["ana"]).json()
    assert redacted(assigned["owner"]) and assigned["team"] == "[EMAIL]"
    log = client.get(path, headers=h["ana"]).json()["events"]
    assert [e["action"] for e in log] == ["raised", "linked", "planned", "assigned"]
    assert all(redacted(e["detail"]) for e in log if e["action"] != "linked")
    assert_no_personal_data(store)
