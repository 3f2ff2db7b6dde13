"""Answering a survey: answers are checked against the definition and its skip logic, enter the store
through the import path (redaction, case rules: a detractor opens a case) on both backends, a link answers
once even when ten submissions race, and every refusal is one sentence."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from cxgap.config import CaseSettings, demo_settings
from cxgap.errors import NotFound
from cxgap.store import Store
from cxgap.surveys.answers import (
    AnswerProblems,
    InvalidLink,
    LinkExpired,
    LinkUsed,
    SurveyClosed,
    check_answers,
    open_link,
    record_consent,
    save_partial,
    submit,
)
from cxgap.surveys.catalog import close
from cxgap.surveys.definition import parse_definition
from cxgap.surveys.links import link_for, new_invitation
from tests.surveys.publishing import CUSTOMERS, NOW, STAFF, invitation_row, publish_survey

SETTINGS = demo_settings(cases=CaseSettings(as_of=NOW + dt.timedelta(hours=1)))  # the loop's clock, fixed
SURVEY = parse_definition(CUSTOMERS, "test", demo_settings())
LEADERS = parse_definition(STAFF, "test", demo_settings())
MAIL = "jane.doe@example.com"


def _rows(store: Store, sql: str, **params: Any) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(row) for row in conn.execute(sa.text(sql), params).mappings()]


def test_form_answers_are_parsed_and_each_problem_is_one_sentence() -> None:
    form = {"nps": "3", "why": "  Too slow.  ", "prompt.expectation": "6", "prompt.perception": "2"}
    form |= {"superior": "no", "used": ["chat", "phone"], "csrf": "x", "website": ""}
    assert check_answers(SURVEY, form) == {
        "nps": 3,
        "why": "Too slow.",
        "prompt": {"expectation": 6, "perception": 2},
        "superior": False,
        "used": ["phone", "chat"],  # in the options' order; unknown fields are left out
    }
    parsed = {"nps": 9, "prompt": {"perception": 7}, "superior": True, "used": "chat"}
    assert check_answers(SURVEY, parsed)["used"] == ["chat"]
    bad = {"nps": "11", "prompt.perception": "0", "superior": "maybe", "used": ["fax"], "else": "x" * 2001}
    with pytest.raises(AnswerProblems) as refused:
        check_answers(SURVEY, bad)
    assert refused.value.problems == {
        "nps": "Pick a number from 0 to 10.",
        "prompt": "Pick a number from 1 to 7.",
        "superior": "Answer yes or no.",
        "used": "Pick one of the options given.",
        "else": "Keep your answer to 2,000 characters or fewer.",
    }
    assert str(refused.value) == "5 answers need another look: Pick a number from 0 to 10."
    for wrong in ("7.5", "seven", "nan", True, [3]):
        with pytest.raises(AnswerProblems):
            check_answers(SURVEY, {"nps": wrong})


def test_skip_logic_drops_hidden_answers_and_required_questions_are_named() -> None:
    promoter = check_answers(SURVEY, {"nps": "10", "why": "hidden from promoters"})
    assert promoter == {"nps": 10}  # 'why' is asked only at NPS 6 or less
    with pytest.raises(AnswerProblems) as missing:
        check_answers(SURVEY, {"why": "no score given"})
    assert missing.value.problems == {"nps": "Please answer this question."}
    assert check_answers(SURVEY, {"why": "later page"}, only={"why", "else"}) == {}  # one page's check
    with pytest.raises(AnswerProblems, match="2,000 characters"):
        check_answers(SURVEY, {"nps": 2, "else": "y" * 2001}, only={"else"})


def test_belief_answers_have_their_own_ranges() -> None:
    good = {"support.superior_share": "80", "support.nps": "-20", "support.csat": "4.2", "superior": "yes"}
    assert check_answers(LEADERS, good) == {
        "superior": True,
        "support": {"superior_share": 80, "nps": -20, "csat": 4.2},
    }
    for ask, wrong, sentence in (
        ("superior_share", "101", "Give a number from 0 to 100."),
        ("nps", "-101", "Give a number from -100 to 100."),
        ("csat", "6", "Give a number from 1 to 5."),
    ):
        with pytest.raises(AnswerProblems) as refused:
            check_answers(LEADERS, {f"support.{ask}": wrong})
        assert refused.value.problems == {"support": sentence}
    with pytest.raises(AnswerProblems, match="Give a number from 1 to 7"):
        check_answers(LEADERS, {"prompt": {"importance": 8}})


def test_a_detractors_answer_is_imported_redacted_and_opens_a_case(store: Store) -> None:
    name = publish_survey(store)
    link = new_invitation(store, SETTINGS, name, "customer", "C1", "transactional", NOW, touchpoint="support")
    respondent = open_link(store, SETTINGS, link.token, NOW)
    form = {"nps": "2", "why": f"Nobody called back, write to {MAIL}", "prompt.expectation": "7"}
    form |= {"prompt.perception": "2", "superior": "no", "used": ["phone"], "else": f"Or {MAIL}"}
    done = submit(store, SETTINGS, respondent, form, NOW, consent=True)
    assert (done.response_id, done.version, done.cases_opened) == (f"svy-{link.invitation_id}", 1, 1)

    [response] = _rows(store, "SELECT * FROM responses")
    assert {k: response[k] for k in ("response_id", "customer_id", "responded_at", "survey_kind")} == {
        "response_id": done.response_id,
        "customer_id": "C1",
        "responded_at": NOW,
        "survey_kind": "transactional",
    }
    assert (response["touchpoint"], response["channel"], response["nps"], response["superior"]) == (
        "support",
        "survey",
        2,
        False,
    )
    assert (response["survey"], response["survey_version"]) == (name, 1)
    assert MAIL not in response["comment"] and response["comment"].startswith("Nobody called back")
    [item] = _rows(store, "SELECT item, expectation, perception FROM response_items")
    assert item == {"item": "prompt_service", "expectation": 7.0, "perception": 2.0}

    kept = {r["question"]: r["value"] for r in _rows(store, "SELECT * FROM survey_answers")}
    assert kept["why"] == response["comment"]  # the same redacted text as the stored comment
    assert MAIL not in kept["else"] and kept["else"].startswith("Or ")
    assert (kept["nps"], kept["superior"], kept["used"], kept["_consent"]) == ("2", "no", '["phone"]', "yes")
    assert json.loads(kept["prompt"]) == {"expectation": 7, "perception": 2}

    [case] = _rows(store, "SELECT customer_id, touchpoint, team, trigger_id, rule FROM cases")
    assert case == {
        "customer_id": "C1",
        "touchpoint": "support",
        "team": "support",
        "trigger_id": done.response_id,
        "rule": "detractor",
    }
    row = invitation_row(store, link.invitation_id)
    assert (row["status"], row["answered_at"], row["response_id"], row["partial"]) == (
        "answered",
        NOW,
        done.response_id,
        None,
    )
    record_consent(store, link.invitation_id, False)  # changed their mind on the thank-you page
    assert _rows(store, "SELECT value FROM survey_answers WHERE question = '_consent'") == [{"value": "no"}]


def test_opening_marks_the_invitation_once_and_restores_saved_answers(store: Store) -> None:
    name = publish_survey(store)
    with store.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO survey_contacts (kind, recipient_id, email, language, added_at) "
                "VALUES ('customer', 'C2', 'c2@example.com', 'de', :now)"
            ),
            {"now": NOW},
        )
    link = link_for(store, SETTINGS, name, "C2", NOW)
    first = open_link(store, SETTINGS, link.token, NOW + dt.timedelta(minutes=5))
    assert (first.survey, first.version, first.recipient_id, first.language, first.partial) == (
        name,
        1,
        "C2",
        "de",
        {},
    )
    assert open_link(store, SETTINGS, link.token, NOW, language="en-GB,en;q=0.8").language == "en"
    assert open_link(store, SETTINGS, link.token, NOW, language="fr").language == "de"  # the contact's
    save_partial(store, first, {"nps": "4", "why": f"Call {MAIL}", "prompt.perception": "9"}, NOW)
    row = invitation_row(store, link.invitation_id)
    assert (row["status"], row["opened_at"]) == ("partial", NOW + dt.timedelta(minutes=5))  # first opening
    again = open_link(store, SETTINGS, link.token, NOW + dt.timedelta(hours=2))
    assert again.partial["nps"] == 4 and "prompt" not in again.partial  # 9 is out of range: not kept
    assert again.partial["why"].startswith("Call ") and MAIL not in again.partial["why"]
    assert MAIL not in str(row["partial"])
    stranger = link_for(store, SETTINGS, name, "C3", NOW)
    assert open_link(store, SETTINGS, stranger.token, NOW).language == "en"  # the survey's default


def test_used_expired_closed_and_made_up_links_are_refused_in_one_sentence(store: Store) -> None:
    name = publish_survey(store)
    used = link_for(store, SETTINGS, name, "C1", NOW)
    respondent = open_link(store, SETTINGS, used.token, NOW)
    submit(store, SETTINGS, respondent, {"nps": "9"}, NOW)
    with pytest.raises(LinkUsed, match="already answered with this link; thank you"):
        open_link(store, SETTINGS, used.token, NOW)
    with pytest.raises(LinkUsed):
        submit(store, SETTINGS, respondent, {"nps": "9"}, NOW)
    with pytest.raises(LinkUsed):
        save_partial(store, respondent, {"nps": "1"}, NOW)

    late = link_for(store, SETTINGS, name, "C2", NOW)
    with pytest.raises(LinkExpired, match="expired on 15 May 2026; ask whoever sent it for a new one"):
        open_link(store, SETTINGS, late.token, late.expires_at)
    cut = link_for(store, SETTINGS, name, "C3", NOW)
    opened = open_link(store, SETTINGS, cut.token, NOW)
    with store.begin() as conn:  # the row's expiry binds, whatever the token says
        conn.execute(
            sa.text("UPDATE survey_invitations SET expires_at = :at WHERE invitation_id = :i"),
            {"at": NOW + dt.timedelta(days=1), "i": cut.invitation_id},
        )
    with pytest.raises(LinkExpired, match="expired on 2 May 2026"):
        open_link(store, SETTINGS, cut.token, NOW + dt.timedelta(days=2))
    with pytest.raises(LinkExpired):
        submit(store, SETTINGS, opened, {"nps": "5"}, NOW + dt.timedelta(days=2))

    open_later = link_for(store, SETTINGS, name, "C4", NOW)
    waiting = open_link(store, SETTINGS, open_later.token, NOW)
    close(store, name, now=NOW)
    with pytest.raises(SurveyClosed, match="This survey is closed"):
        open_link(store, SETTINGS, open_later.token, NOW)
    with pytest.raises(SurveyClosed):
        submit(store, SETTINGS, waiting, {"nps": "5"}, NOW)

    with pytest.raises(InvalidLink, match="check that the whole link was copied"):
        open_link(store, SETTINGS, used.token[:-1] + ("A" if used.token[-1] != "A" else "B"), NOW)
    with store.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM survey_invitations WHERE invitation_id = :i"), {"i": late.invitation_id}
        )
    with pytest.raises(InvalidLink):
        open_link(store, SETTINGS, late.token, NOW)
    with pytest.raises(NotFound, match="no answer to this survey link yet"):
        record_consent(store, open_later.invitation_id, True)
    assert store.count("responses") == 1


def test_a_failed_load_gives_the_link_back_and_of_ten_racing_submissions_one_is_stored(store: Store) -> None:
    name = publish_survey(store)
    link = link_for(store, SETTINGS, name, "C1", NOW)
    respondent = open_link(store, SETTINGS, link.token, NOW)

    def broken(table: str, delivery: object, source: str) -> Any:
        raise RuntimeError("the server stopped mid-write")

    with pytest.raises(RuntimeError):
        submit(store, SETTINGS, respondent, {"nps": "8"}, NOW, load=broken)
    row = invitation_row(store, link.invitation_id)
    assert (row["status"], row["answered_at"], row["response_id"]) == ("opened", None, None)
    with pytest.raises(AnswerProblems, match="Please answer this question"):
        submit(store, SETTINGS, respondent, {}, NOW)
    assert store.count("responses") == 0
    start, outcomes = threading.Barrier(10), []

    def answer(score: int) -> None:
        start.wait()
        try:
            outcomes.append(submit(store, SETTINGS, respondent, {"nps": 7 + score % 4}, NOW))
        except Exception as error:  # the test counts every outcome, errors included
            outcomes.append(error)

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kinds = sorted(type(o).__name__ for o in outcomes)
    assert kinds == ["LinkUsed"] * 9 + ["Submission"], outcomes
    assert store.count("responses") == 1 and store.count("cases") == 0  # passives and promoters open none
    assert len(_rows(store, "SELECT * FROM survey_answers")) == 1


def test_a_leaders_answers_become_beliefs(store: Store) -> None:
    name = publish_survey(store, STAFF)
    with store.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO survey_contacts (kind, recipient_id, email, role, added_at) "
                "VALUES ('staff', 'L1', 'l1@example.com', 'leader', :now)"
            ),
            {"now": NOW},
        )
    leader = open_link(store, SETTINGS, link_for(store, SETTINGS, name, "L1", NOW).token, NOW)
    form = {"superior": "yes", "support.superior_share": "85", "support.nps": "40", "support.csat": "4.5"}
    form |= {"prompt.rating": "6", "prompt.importance": "7", "note": f"Ask {MAIL}"}
    done = submit(store, SETTINGS, leader, form, NOW)
    beliefs = {r["belief_id"]: r for r in _rows(store, "SELECT * FROM beliefs")}
    overall, support, prompt = (beliefs[f"{done.response_id}-{q}"] for q in ("superior", "support", "prompt"))
    assert (overall["superior"], overall["touchpoint"], overall["role"], overall["respondent_id"]) == (
        True,
        None,
        "leader",
        "L1",
    )
    assert (support["believed_superior_share"], support["believed_nps"], support["believed_csat"]) == (
        85,
        40,
        4.5,
    )
    assert (support["touchpoint"], support["item"], support["surveyed_at"]) == ("support", None, NOW.date())
    assert (prompt["item"], prompt["dimension"], prompt["believed_rating"], prompt["stated_importance"]) == (
        "prompt_service",
        "responsiveness",
        6,
        7,
    )
    assert prompt["believed_expectation"] is None and (prompt["survey"], prompt["survey_version"]) == (
        name,
        1,
    )
    note = _rows(store, "SELECT value FROM survey_answers WHERE question = 'note'")[0]["value"]
    assert note.startswith("Ask ") and MAIL not in note
    stranger = open_link(store, SETTINGS, link_for(store, SETTINGS, name, "S9", NOW).token, NOW)
    other = submit(store, SETTINGS, stranger, {"superior": "no"}, NOW)
    assert _rows(
        store, "SELECT role FROM beliefs WHERE belief_id = :b", b=f"{other.response_id}-superior"
    ) == [
        {"role": "other"}  # staff with no role on the contact list
    ]
