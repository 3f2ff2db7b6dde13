"""Bulk actions from the inbox: each case its own change and audit line; refusals named, the rest done."""

from __future__ import annotations

import pytest

from cxgap.cases import bulk, events, get_case, list_cases, open_cases, transition
from cxgap.errors import CxgapError
from cxgap.store import Store
from tests.cases.conftest import NOW, ungrouped


@pytest.fixture
def ids(loop_store: Store) -> dict[str, str]:
    """Case ids by team (one case each: support has two, take R1's)."""
    open_cases(loop_store, ungrouped(), now=NOW)
    found = {c.team or "": c.case_id for c in list_cases(loop_store, limit=100) if c.trigger_id != "I1"}
    return found | {"support_call": next(c.case_id for c in list_cases(loop_store) if c.trigger_id == "I1")}


def test_bulk_assign_within_a_scope_refuses_other_teams_cases_and_does_the_rest(
    loop_store: Store, ids: dict[str, str]
) -> None:
    chosen = [ids["support"], ids["field_service"], ids["support_call"], ids["support"]]
    result = bulk(loop_store, chosen, "assign", "lead", owner="sam", scope="support", now=NOW)
    assert result.done == (ids["support"], ids["support_call"])  # the repeated id is done once
    ((refused, reason),) = result.refused
    assert refused == ids["field_service"] and "There is no case" in reason and "team 'support'" in reason
    assert get_case(loop_store, ids["support"]).owner == "sam"
    assert get_case(loop_store, ids["field_service"]).owner is None
    assert [e.action for e in events(loop_store, ids["support"])] == ["created", "assigned"]
    assert [e.happened_at for e in events(loop_store, ids["support"])][-1] == NOW


def test_bulk_close_closes_resolved_cases_and_names_the_others(
    loop_store: Store, ids: dict[str, str]
) -> None:
    transition(loop_store, ids["cx"], "resolve", "ana", root_cause="system", now=NOW)
    result = bulk(loop_store, [ids["cx"], ids["support"]], "close", "ana", now=NOW)
    assert result.done == (ids["cx"],) and get_case(loop_store, ids["cx"]).closed_at == NOW
    assert "is open; it can be closed only when resolved" in result.refused[0][1]
    started = bulk(loop_store, [ids["support"]], "start", "ana", now=NOW)
    assert started.done == (ids["support"],) and get_case(loop_store, ids["support"]).status == "in_progress"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([], "close"), "at least one case"),
        ((["x"], "delete"), "'delete' is not a bulk action"),
        ((["x"] * 501, "close"), "too many; choose at most 500"),
        ((["x"], "assign"), "needs a team, an owner or both"),
    ],
)
def test_bad_bulk_requests_are_one_sentence(loop_store: Store, args: tuple, message: str) -> None:
    with pytest.raises(CxgapError, match=message):
        bulk(loop_store, args[0], args[1], "ana")


def test_a_team_lead_cannot_move_cases_to_another_team(loop_store: Store, ids: dict[str, str]) -> None:
    with pytest.raises(CxgapError, match="not to team cx"):
        bulk(loop_store, [ids["support"]], "assign", "lead", team="cx", scope="support")
