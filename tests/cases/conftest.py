"""A small store with one record for each case rule to find (and some it must not)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from cxgap.config import Settings, demo_settings
from cxgap.store import Store

NOW = dt.datetime(2026, 6, 1, 12, 0)
RECENT = "2026-05-30 09:00:00"
OLD = "2024-01-01 09:00:00"

ROWS = (
    "INSERT INTO customers (customer_id, segment, churned) VALUES ('C1', 'enterprise', false), ('C2', 'consumer', false)",
    "INSERT INTO responses (response_id, customer_id, responded_at, survey_kind, touchpoint, nps, csat, comment) VALUES "
    f"('R1', 'C2', '{RECENT}', 'transactional', 'support', 3, 4, 'kept on hold'),"  # detractor -> support
    f"('R2', 'C2', '{RECENT}', 'transactional', 'support', 9, 5, NULL),"  # promoter: nothing
    f"('R3', 'C1', '{RECENT}', 'transactional', 'installation', 5, 1, NULL),"  # detractor (enterprise) + low CSAT
    f"('R4', 'C2', '{OLD}', 'relational', NULL, 0, NULL, NULL)",  # too old for the lookback
    "INSERT INTO feedback (feedback_id, source, received_at, customer_id, rating, text) VALUES "
    f"('F1', 'review', '{RECENT}', 'C2', 1, 'the app logs me out'), ('F2', 'review', '{RECENT}', NULL, 5, 'great')",
    "INSERT INTO interactions (interaction_id, customer_id, occurred_at, touchpoint, kind, resolved) VALUES "
    f"('I1', 'C2', '{RECENT}', 'support', 'call', false), ('I2', 'C2', '{RECENT}', 'support', 'call', true),"
    f"('I3', 'C2', '{RECENT}', 'billing', 'call', false)",  # billing is outside the rule's touchpoints
)


@pytest.fixture
def loop_store(store: Store) -> Iterator[Store]:
    """The store with the records above."""
    with store.begin() as conn:
        for sql in ROWS:
            conn.execute(sa.text(sql))
    yield store


def ungrouped() -> Settings:
    """The default rules, each opening one case per record (no grouping by customer)."""
    rules = {
        name: rule.model_copy(update={"group_by_customer": False})
        for name, rule in demo_settings().cases.rules.items()
    }
    return Settings.model_validate({"cases": {"rules": {k: r.model_dump() for k, r in rules.items()}}})
