"""Item ratings carry copies of their response's touchpoint and survey kind and of the customer's segment.

The gap engine then reads item ratings in one scan instead of joining three tables. The copies are
derived data: every load of responses or customers refreshes the ones it may have changed, in the same
transaction, so they can never disagree with their source after a committed import.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

_REFRESH = (
    "UPDATE response_items SET touchpoint = r.touchpoint, survey_kind = r.survey_kind, segment = c.segment "
    "FROM responses r LEFT JOIN customers c ON c.customer_id = r.customer_id "
    "WHERE r.response_id = response_items.response_id"
)
CONTEXT_SOURCES = ("responses", "customers")


def refresh_item_context(conn: Connection, batch_id: str | None = None) -> None:
    """Refresh the copies on the item ratings whose response or customer came with `batch_id` (all if None)."""
    if batch_id is None:
        conn.execute(sa.text(_REFRESH))
        return
    conn.execute(sa.text(_REFRESH + " AND (r.batch_id = :batch OR c.batch_id = :batch)"), {"batch": batch_id})


_TOUCHES = (
    "INSERT INTO customer_touchpoints (customer_id, touchpoint, interactions, first_at, last_at) "
    "SELECT customer_id, touchpoint, count(*), min(occurred_at), max(occurred_at) FROM interactions "
    "WHERE customer_id IS NOT NULL{only} GROUP BY customer_id, touchpoint"
)
_BATCH_CUSTOMERS = "customer_id IN (SELECT customer_id FROM interactions WHERE batch_id = :batch)"


def refresh_customer_touchpoints(conn: Connection, batch_id: str | None = None) -> None:
    """Rebuild the customer x touchpoint summary for the customers an interactions batch touched (all if None).

    A batch that replaced interactions may have moved one to another customer, so pass None after it.
    """
    if batch_id is None:
        conn.execute(sa.text("DELETE FROM customer_touchpoints"))
        conn.execute(sa.text(_TOUCHES.format(only="")))
        return
    params = {"batch": batch_id}
    conn.execute(sa.text(f"DELETE FROM customer_touchpoints WHERE {_BATCH_CUSTOMERS}"), params)
    conn.execute(sa.text(_TOUCHES.format(only=f" AND {_BATCH_CUSTOMERS}")), params)
