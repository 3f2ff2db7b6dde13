"""What the respondent tests share: a customers' survey and a staff survey (as TOML), created and published
through the catalog, and a look at an invitation's row as stored."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from cxgap.config import demo_settings
from cxgap.store import Store
from cxgap.surveys.catalog import create_survey, publish
from cxgap.surveys.definition import parse_definition

NOW = dt.datetime(2026, 5, 1, 10, 0)

CUSTOMERS = """
name = "support-pulse"
title = {en = "How did we do?", de = "Wie war es?"}
kind = "transactional"
touchpoint = "support"
languages = ["en", "de"]
anonymous = true
thanks = {en = "Thank you.", de = "Danke."}

[[questions]]
id = "nps"
type = "nps"
required = true
text = {en = "How likely are you to recommend us?", de = "Wie wahrscheinlich empfehlen Sie uns?"}

[[questions]]
id = "why"
type = "comment"
max_length = 300
show_if = {question = "nps", op = "<=", value = 6}
text = {en = "What should we do better?", de = "Was sollten wir besser machen?"}

[[questions]]
id = "prompt"
type = "item"
item = "prompt_service"
ask = ["expectation", "perception"]
text = {en = "Prompt service", de = "Schneller Service"}

[[questions]]
id = "superior"
type = "superior"
text = {en = "Are we better than others?", de = "Sind wir besser als andere?"}

[[questions]]
id = "used"
type = "choice"
multiple = true
text = {en = "What did you use?", de = "Was haben Sie genutzt?"}
options = [
  {value = "phone", text = {en = "Phone", de = "Telefon"}},
  {value = "chat", text = {en = "Chat", de = "Chat"}},
]

[[questions]]
id = "else"
type = "comment"
text = {en = "Anything else?", de = "Sonst noch etwas?"}
"""

STAFF = """
name = "leaders"
title = "What do our customers think?"
audience = "staff"

[[questions]]
id = "superior"
type = "superior"
text = "Do we deliver a superior experience?"

[[questions]]
id = "support"
type = "belief"
touchpoint = "support"
ask = ["superior_share", "nps", "csat"]
text = "Customers of support"

[[questions]]
id = "prompt"
type = "belief"
touchpoint = "support"
item = "prompt_service"
ask = ["rating", "expectation", "importance"]
text = "Prompt service at support"

[[questions]]
id = "note"
type = "comment"
text = "Anything else?"
"""


def publish_survey(store: Store, text: str = CUSTOMERS, now: dt.datetime = NOW) -> str:
    """Create a survey from TOML and publish it through the catalog; its name."""
    definition = parse_definition(text, "test survey", demo_settings())
    create_survey(store, definition, by="test", now=now)
    publish(store, definition.name, now=now)
    return definition.name


def invitation_row(store: Store, invitation_id: str) -> dict[str, object]:
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT * FROM survey_invitations WHERE invitation_id = :i"), {"i": invitation_id}
        ).mappings()
        return dict(row.one())
