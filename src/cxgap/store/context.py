"""Derived data the store keeps in step with its source tables, so analyses read small tables.

- Item ratings carry copies of their response's touchpoint, survey kind, channel and month and of the
  customer's segment.
- `customer_touchpoints`: which customer touched which touchpoint (reach, journeys).
- `rollup_items`, `rollup_interactions`: counts, sums and sums of squares per cell (the gap engine's input),
  keyed by everything the dashboard filters on (segment, channel, month).

Every import refreshes what it may have changed, in its own transaction, so derived data can never disagree
with its source after a committed import. Rollups are rebuilt whole: a grouped scan costs far less than the
import that triggers it, and a rebuild cannot drift.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.store.models import table_of

_MONTH = "CAST(date_trunc('month', {}) AS DATE)"
_REFRESH = (
    "UPDATE response_items SET touchpoint = r.touchpoint, survey_kind = r.survey_kind, segment = c.segment, "
    f"channel = r.channel, month = {_MONTH.format('r.responded_at')} "
    "FROM responses r LEFT JOIN customers c ON c.customer_id = r.customer_id "
    "WHERE r.response_id = response_items.response_id"
)
# interactions with their customer's segment and their month: the source of the interactions rollup
_INTERACTIONS = (
    f"(SELECT i.*, c.segment AS segment, {_MONTH.format('i.occurred_at')} AS month "
    "FROM interactions i LEFT JOIN customers c ON c.customer_id = i.customer_id) AS i"
)
ITEM_KEYS = ("survey_kind", "touchpoint", "segment", "channel", "month", "item")
INTERACTION_KEYS = ("touchpoint", "kind", "segment", "channel", "month")
_TOUCHES = (
    "INSERT INTO customer_touchpoints (customer_id, touchpoint, interactions, first_at, last_at) "
    "SELECT customer_id, touchpoint, count(*), min(occurred_at), max(occurred_at) FROM interactions "
    "WHERE customer_id IS NOT NULL{only} GROUP BY customer_id, touchpoint"
)
_BATCH_CUSTOMERS = "customer_id IN (SELECT customer_id FROM interactions WHERE batch_id = :batch)"
# value expressions of the rollups' statistics (by name); anything else is the column of that name
_VALUES = {"gap": "perception - expectation"}
_FLAGS = ("handled", "resolved", "repeat_contact", "on_time")


def refresh_item_context(conn: Connection, batch_id: str | None = None) -> None:
    """Refresh the copies on the item ratings whose response or customer came with `batch_id` (all if None)."""
    if batch_id is None:
        conn.execute(sa.text(_REFRESH))
        return
    only = " AND (r.batch_id = :batch OR c.batch_id = :batch)"
    conn.execute(sa.text(_REFRESH + only), {"batch": batch_id})


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


def _statistic(column: str) -> str:
    part, name = column.split("_", 1)
    value = _VALUES.get(name, name)
    if name in _FLAGS:
        value = f"CAST({name} AS INTEGER)"
    return {"n": f"count({value})", "sum": f"sum({value})", "sumsq": f"sum(({value}) * ({value}))"}[part]


def rebuild_rollup(conn: Connection, rollup: str, source: str, keys: tuple[str, ...]) -> None:
    """Replace a rollup table by the grouped statistics of its source table."""
    columns = [c.name for c in table_of(rollup).columns]
    stats = [c for c in columns if c.split("_", 1)[0] in ("n", "sum", "sumsq")]
    extra = [c for c in columns if c not in stats and c not in keys]
    computed = {"cell": "row_number() OVER ()", "interactions": "count(*)"}
    select = [computed[c] for c in extra] + list(keys) + [_statistic(c) for c in stats]
    conn.execute(sa.text(f"DELETE FROM {rollup}"))
    conn.execute(
        sa.text(
            f"INSERT INTO {rollup} ({', '.join(extra + list(keys) + stats)}) "
            f"SELECT {', '.join(select)} FROM {source} GROUP BY {', '.join(keys)}"
        )
    )


def rebuild_rollups(conn: Connection) -> None:
    """Rebuild both rollups from their source tables."""
    rebuild_rollup(conn, "rollup_items", "response_items", ITEM_KEYS)
    rebuild_rollup(conn, "rollup_interactions", _INTERACTIONS, INTERACTION_KEYS)


def refresh_derived(
    conn: Connection, table: str | None = None, batch_id: str | None = None, rollups: bool = True
) -> None:
    """Bring derived data in step after `batch_id` loaded `table` (everything, when table is None).

    Pass batch_id None after a batch that replaced rows: its effects cannot be bounded by the batch. With
    `rollups` False the rollups are only marked stale (many small batches: see `refresh_stale`).
    """
    if table in (None, "responses", "customers"):
        refresh_item_context(conn, batch_id if table else None)
    if table in (None, "interactions"):
        refresh_customer_touchpoints(conn, batch_id if table else None)
    if table not in (None, "responses", "customers", "interactions"):
        return
    if not rollups:
        mark_stale(conn)
        return
    if table in (None, "responses", "customers"):
        rebuild_rollup(conn, "rollup_items", "response_items", ITEM_KEYS)
    if table in (None, "interactions", "customers"):  # the rollup carries the customers' segments
        rebuild_rollup(conn, "rollup_interactions", _INTERACTIONS, INTERACTION_KEYS)
    if table is None:
        conn.execute(sa.text("DELETE FROM derived_state WHERE name = 'rollups'"))


def mark_stale(conn: Connection) -> None:
    """Note that the rollups lag behind their source tables."""
    conn.execute(
        sa.text(
            "INSERT INTO derived_state (name, stale_since) VALUES ('rollups', CURRENT_TIMESTAMP) "
            "ON CONFLICT (name) DO NOTHING"
        )
    )


def refresh_stale(conn: Connection) -> bool:
    """Rebuild the rollups if an ingest left them stale; True when it did. Of two concurrent callers on
    PostgreSQL, the one that takes the mark rebuilds and the other waits for it and finds nothing to do."""
    taken = conn.execute(sa.text("DELETE FROM derived_state WHERE name = 'rollups' RETURNING name")).first()
    if taken is None:
        return False
    rebuild_rollups(conn)
    return True
