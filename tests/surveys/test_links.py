"""Respondent links: an invitation row for the survey's published version, a link that opens it, refused in
one sentence for a survey that is not collecting."""

from __future__ import annotations

import datetime as dt

import pytest

from cxgap.config import demo_settings
from cxgap.config.notify import NotifySettings
from cxgap.errors import CxgapError, NotFound
from cxgap.store import Store
from cxgap.surveys.catalog import close, create_survey, publish, save_version
from cxgap.surveys.definition import parse_definition
from cxgap.surveys.links import SurveyClosed, link_for, new_invitation
from cxgap.surveys.tokens import read_link, survey_secret
from tests.surveys.publishing import CUSTOMERS, NOW, STAFF, invitation_row, publish_survey


def test_an_invitation_points_at_the_published_version_and_its_link_opens_it(store: Store) -> None:
    name = publish_survey(store)
    settings = demo_settings(notify=NotifySettings(base_url="https://cx.example.com/"))
    link = new_invitation(
        store, settings, name, "customer", "C1", "transactional", NOW, trigger_id="I9", touchpoint="support"
    )
    assert link.url == f"https://cx.example.com/s/{link.token}" and len(link.token) < 80
    assert link.expires_at == NOW + dt.timedelta(days=settings.surveys.token_days)
    assert read_link(survey_secret(store), link.token) == (link.invitation_id, link.expires_at)
    row = invitation_row(store, link.invitation_id)
    assert {k: row[k] for k in ("survey", "version", "recipient_kind", "recipient_id", "reason")} == {
        "survey": name,
        "version": 1,
        "recipient_kind": "customer",
        "recipient_id": "C1",
        "reason": "transactional",
    }
    assert (row["trigger_id"], row["touchpoint"], row["status"], row["sent_at"]) == (
        "I9",
        "support",
        "sent",
        NOW,
    )
    assert row["expires_at"] == link.expires_at and row["opened_at"] is None and row["answered_at"] is None


def test_a_new_published_version_is_asked_by_new_invitations_only(store: Store) -> None:
    name = publish_survey(store)
    first = new_invitation(store, demo_settings(), name, "customer", "C1", "manual", NOW)
    reworded = parse_definition(CUSTOMERS.replace("How did we do?", "How was it?"), "test", demo_settings())
    save_version(store, reworded, now=NOW)
    assert new_invitation(store, demo_settings(), name, "customer", "C2", "manual", NOW).invitation_id
    publish(store, name, now=NOW)
    second = new_invitation(store, demo_settings(), name, "customer", "C3", "manual", NOW)
    assert invitation_row(store, first.invitation_id)["version"] == 1
    assert invitation_row(store, second.invitation_id)["version"] == 2


def test_a_survey_not_collecting_or_the_wrong_recipient_gets_no_invitation(store: Store) -> None:
    with pytest.raises(NotFound, match="There is no survey named 'nope'"):
        new_invitation(store, demo_settings(), "nope", "customer", "C1", "manual", NOW)
    draft = parse_definition(STAFF, "test", demo_settings())
    create_survey(store, draft, now=NOW)
    with pytest.raises(SurveyClosed, match="not published yet; publish it first"):
        new_invitation(store, demo_settings(), "leaders", "staff", "S1", "beliefs", NOW)
    name = publish_survey(store)
    close(store, name, now=NOW)
    with pytest.raises(SurveyClosed, match="is closed and takes no more answers"):
        link_for(store, demo_settings(), name, "C1", NOW)
    assert store.count("survey_invitations") == 0
    reopened = publish_survey(store, CUSTOMERS.replace("support-pulse", "pulse-two"))
    with pytest.raises(CxgapError, match="asks customers, so it cannot be sent to a staff"):
        new_invitation(store, demo_settings(), reopened, "staff", "S1", "manual", NOW)
    with pytest.raises(CxgapError, match="needs the customer's id"):
        new_invitation(store, demo_settings(), reopened, "customer", None, "manual", NOW)
    with pytest.raises(CxgapError, match="one of customer, staff, anonymous"):
        new_invitation(store, demo_settings(), reopened, "robot", "R1", "manual", NOW)


def test_an_inviter_inserts_in_its_own_transaction_and_a_manual_link_fits_the_audience(store: Store) -> None:
    name = publish_survey(store)
    with pytest.raises(RuntimeError), store.begin() as conn:
        new_invitation(
            store, demo_settings(), name, "customer", "C1", "pulse", NOW, status="pending", conn=conn
        )
        raise RuntimeError("the inviter's send failed: its transaction rolls back")
    assert store.count("survey_invitations") == 0
    with store.begin() as conn:
        kept = new_invitation(
            store, demo_settings(), name, "customer", "C1", "pulse", NOW, status="pending", conn=conn
        )
    row = invitation_row(store, kept.invitation_id)
    assert (row["status"], row["sent_at"]) == ("pending", None)
    staff = publish_survey(store, STAFF)
    customer = invitation_row(store, link_for(store, demo_settings(), name, "C7", NOW).invitation_id)
    leader = invitation_row(store, link_for(store, demo_settings(), staff, "S7", NOW).invitation_id)
    assert (customer["recipient_kind"], customer["recipient_id"], customer["reason"]) == (
        "customer",
        "C7",
        "manual",
    )
    assert (leader["recipient_kind"], leader["recipient_id"]) == ("staff", "S7")
