"""What the respondent pages' tests share: small survey definitions, a store holding them published, and
links made at a given moment (an expired one is made with `now` in the past)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from cxgap.config import Settings
from cxgap.store import Store
from cxgap.surveys.catalog import create_survey, publish
from cxgap.surveys.definition import SurveyDefinition
from cxgap.surveys.links import Link, new_invitation

NOW = dt.datetime(2026, 12, 1, 9, 0)
BRAND = {"company": "Acme Telecom", "primary": "#7a1fa2"}
CONSENT = "May we contact you about your answers?"


def steps() -> SurveyDefinition:
    """A question at a time, in English and German: NPS, a 'why' asked only of detractors, superior."""
    return SurveyDefinition.model_validate(
        {
            "name": "steps",
            "title": {"en": "How did we do?", "de": "Wie war es?"},
            "languages": ["en", "de"],
            "brand": BRAND,
            "intro": {"en": "Two or three short questions.", "de": "Zwei oder drei kurze Fragen."},
            "thanks": {"en": "Thank you, that helps us.", "de": "Danke, das hilft uns."},
            "follow_up_consent": {"en": CONSENT, "de": "Dürfen wir Sie kontaktieren?"},
            "questions": [
                {
                    "id": "nps",
                    "type": "nps",
                    "required": True,
                    "text": {
                        "en": "How likely are you to recommend us to a friend?",
                        "de": "Wie wahrscheinlich empfehlen Sie uns weiter?",
                    },
                },
                {
                    "id": "why",
                    "type": "comment",
                    "text": {"en": "What went wrong?", "de": "Was lief schief?"},
                    "show_if": {"question": "nps", "op": "<=", "value": 6},
                },
                {
                    "id": "superior",
                    "type": "superior",
                    "text": {"en": "Are we better than others?", "de": "Sind wir besser als andere?"},
                },
            ],
        }
    )


def page(name: str = "page", anonymous: bool = False) -> SurveyDefinition:
    """Every question on one page: two SERVQUAL items, NPS, a comment shown to detractors, a choice."""
    return SurveyDefinition.model_validate(
        {
            "name": name,
            "title": "What you expect of us, and how we do",
            "layout": "one_page",
            "anonymous": anonymous,
            "brand": BRAND,
            "questions": [
                {"id": "on_time", "type": "item", "item": "as_promised", "text": "Doing what was promised"},
                {"id": "helpful", "type": "item", "item": "willing_to_help", "text": "Staff willing to help"},
                {"id": "nps", "type": "nps", "required": True, "text": "Would you recommend us?"},
                {
                    "id": "why",
                    "type": "comment",
                    "text": "What should we do better?",
                    "show_if": {"question": "nps", "op": "<=", "value": 6},
                },
                {
                    "id": "channel",
                    "type": "choice",
                    "text": "How did you reach us?",
                    "options": [{"value": "phone", "text": "Phone"}, {"value": "app", "text": "App"}],
                },
            ],
        }
    )


def widget(name: str = "web-nps", anonymous: bool = True, first: str = "nps") -> SurveyDefinition:
    """A one-question survey for the widget (NPS or CSAT first), open to the public."""
    return SurveyDefinition.model_validate(
        {
            "name": name,
            "title": "Your visit",
            "anonymous": anonymous,
            "brand": BRAND,
            "thanks": "Thanks for telling us!",
            "questions": [
                {
                    "id": "score",
                    "type": first,
                    "required": True,
                    "text": "How likely are you to recommend us?",
                }
                if first != "comment"
                else {"id": "score", "type": "comment", "text": "Anything to tell us?"}
            ],
        }
    )


def published(store: Store, *definitions: SurveyDefinition) -> None:
    """Create and publish each survey."""
    for definition in definitions:
        create_survey(store, definition, by="test", now=NOW)
        publish(store, definition.name, now=NOW)


def link(
    store: Store,
    settings: Settings,
    survey: str,
    customer: str | None = "C1",
    at: dt.datetime = NOW,
    kind: str = "customer",
) -> Link:
    """A fresh invitation made at `at`: a customer's (or a staff member's, by `kind`), anonymous without
    an id."""
    return new_invitation(store, settings, survey, kind if customer else "anonymous", customer, "manual", at)


def rows(store: Store, sql: str, **params: Any) -> list[Any]:
    """A query's rows, read on a connection of the test's own."""
    with store.engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params).all())
