"""Anonymous links: a public survey gives each visit an invitation of its own (answered once, stored with
no customer), any other survey is not there at all; bots meet a rate limit per address and a honeypot."""

from __future__ import annotations

import pytest

from cxgap.api.limits import RateLimited
from cxgap.config import demo_settings
from cxgap.errors import NotFound
from cxgap.store import Store
from cxgap.surveys.anonymous import HONEYPOT_FIELD, AnonymousGuard, is_bot, open_anonymous
from cxgap.surveys.answers import LinkUsed, SurveyClosed, open_link, submit
from cxgap.surveys.catalog import close, create_survey
from cxgap.surveys.definition import parse_definition
from tests.surveys.publishing import CUSTOMERS, NOW, STAFF, invitation_row, publish_survey


def test_each_visit_to_a_public_survey_gets_its_own_single_use_link(store: Store) -> None:
    name = publish_survey(store)
    first, second = (open_anonymous(store, demo_settings(), name, NOW) for _ in range(2))
    assert first.invitation_id != second.invitation_id and first.url.endswith(f"/s/{first.token}")
    row = invitation_row(store, first.invitation_id)
    assert (row["recipient_kind"], row["recipient_id"], row["reason"], row["version"]) == (
        "anonymous",
        None,
        "anonymous",
        1,
    )
    respondent = open_link(store, demo_settings(), first.token, NOW)
    done = submit(store, demo_settings(), respondent, {"nps": "9", "why": "hidden", "else": "Fine."}, NOW)
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT customer_id, nps, comment FROM responses").one()
    assert tuple(stored) == (None, 9, "Fine.")
    assert done.cases_opened == 0
    with pytest.raises(LinkUsed):
        submit(store, demo_settings(), respondent, {"nps": "1"}, NOW)


def test_a_survey_that_is_not_public_is_not_there_and_a_closed_one_says_so(store: Store) -> None:
    gone = "There is no public survey named"
    with pytest.raises(NotFound, match=gone):
        open_anonymous(store, demo_settings(), "nope", NOW)
    private = publish_survey(store, STAFF)  # anonymous = false
    with pytest.raises(NotFound, match=gone):
        open_anonymous(store, demo_settings(), private, NOW)
    draft = parse_definition(CUSTOMERS.replace("support-pulse", "draft-pulse"), "test", demo_settings())
    create_survey(store, draft, now=NOW)
    with pytest.raises(NotFound, match=gone):
        open_anonymous(store, demo_settings(), "draft-pulse", NOW)
    public = publish_survey(store)
    close(store, public, now=NOW)
    with pytest.raises(SurveyClosed, match="closed"):
        open_anonymous(store, demo_settings(), public, NOW)
    assert store.count("survey_invitations") == 0


def test_the_guard_allows_a_minutes_answers_per_address_then_says_when_to_retry() -> None:
    now = [0.0]
    guard = AnonymousGuard(per_minute=3, clock=lambda: now[0])
    for _ in range(3):
        guard.check("203.0.113.7")
    with pytest.raises(
        RateLimited, match="Too many survey answers from this address; try again in 20 seconds"
    ):
        guard.check("203.0.113.7")
    guard.check("198.51.100.2")  # another address has its own allowance
    now[0] = 20.0  # a third of a minute later: one more
    guard.check("203.0.113.7")
    with pytest.raises(RateLimited) as limited:
        guard.check("203.0.113.7")
    assert limited.value.retry_after == pytest.approx(20.0)


def test_the_honeypot_catches_forms_that_fill_it() -> None:
    assert HONEYPOT_FIELD == "website"
    assert not is_bot({"nps": "9"}) and not is_bot({"nps": "9", "website": "  "})
    assert is_bot({"nps": "9", "website": "http://spam.example"})
