"""What a person might type into the closed loop, and a check that none of it reached the store.

Shared by the case, issue, playbook, API and CLI tests: each writes `TYPED` (or `TEAM`, for fields that hold
at most 64 characters) through its own surface, then reads every text column of the loop's tables back with
SQL and asserts that no personal value is left, and that the redaction tokens stand in their place.
"""

from __future__ import annotations

import sqlalchemy as sa

from cxgap.store import Store
from cxgap.store.models import table_of

CUSTOMER_NAME = "Margaret Okonkwo"
TYPED = (
    "call me on +44 20 7946 0958 or mail jane.doe@example.com, card 4111 1111 1111 1111, "
    f"I am {CUSTOMER_NAME}"
)
TEAM = "jane.doe@example.com"  # short enough for a team column (64 characters)
TOKENS = ("[PHONE]", "[EMAIL]", "[CARD]", "[NAME]")
# each with a space or a dot, so a random hex id can never contain one by chance
PERSONAL = ("7946 0958", "jane.doe", "example.com", "1111 1111", CUSTOMER_NAME, "Okonkwo")
LOOP_TABLES = ("cases", "case_events", "systemic_issues", "issue_events", "playbook_assignments")


def add_named_customer(store: Store) -> None:
    """A customer whose full name the redactor must recognise in typed text."""
    with store.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO customers (customer_id, name, churned) VALUES ('CNAMED', :name, false)"),
            {"name": CUSTOMER_NAME},
        )


def stored_text(store: Store) -> list[tuple[str, str, str]]:
    """(table, column, value) for every non-empty text value in the closed loop's tables."""
    found: list[tuple[str, str, str]] = []
    with store.engine.connect() as conn:
        for name in LOOP_TABLES:
            columns = [c.name for c in table_of(name).columns if isinstance(c.type, sa.String)]
            for row in conn.execute(sa.text(f"SELECT {', '.join(columns)} FROM {name}")):
                found += [(name, c, str(v)) for c, v in zip(columns, row, strict=True) if v]
    return found


def assert_no_personal_data(store: Store) -> list[tuple[str, str, str]]:
    """Fail naming each stored value that still holds one of the personal values; return every value."""
    values = stored_text(store)
    leaks = [(t, c, v) for t, c, v in values if any(p in v for p in PERSONAL)]
    assert not leaks, f"personal data stored verbatim: {leaks}"
    return values


def redacted(value: str | None) -> bool:
    """Whether `value` is `TYPED` after redaction: every token in place (and nothing personal left)."""
    return value is not None and all(t in value for t in TOKENS) and not any(p in value for p in PERSONAL)
