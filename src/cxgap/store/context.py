"""Derived data the store keeps in step with its source tables, so analyses read small tables.

- Item ratings carry copies of their response's touchpoint, survey kind, channel and month and of the
  customer's segment.
- `customer_touchpoints`: which customer touched which touchpoint (reach, journeys).
- `rollup_items`, `rollup_interactions`: counts, sums and sums of squares per cell (the gap engine's input),
  keyed by everything the dashboard filters on (segment, channel, month).

Every import refreshes what it may have changed, in its own transaction, so derived data can never disagree
with its source after a committed import. An import that only added rows (`batch_id` given) touches the
batch's own rows: it copies their context, merges their statistics into the rollups and their counts into
`customer_touchpoints`, at a cost that follows the batch, not the store. A batch that replaced rows, and a
migration that changes what derived data hold (its `rederives`), rebuild everything from the raw tables
(`refresh_derived(conn)`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.store.bulk import batch_literal
from cxgap.store.rollups import (
    INTERACTION_KEYS,
    ITEM_KEYS,
    Delta,
    merge_rollup,
    rebuild_rollup,
    statistics,
)

__all__ = [
    "INTERACTION_KEYS",
    "ITEM_KEYS",
    "mark_stale",
    "rebuild_rollups",
    "refresh_customer_touchpoints",
    "refresh_derived",
    "refresh_item_context",
    "refresh_stale",
]

_MONTH = "CAST(date_trunc('month', {}) AS DATE)"
_CONTEXT = (
    "touchpoint = x.touchpoint, survey_kind = x.survey_kind, segment = x.segment, channel = x.channel, "
    "month = x.month"
)
_FRESH_CONTEXT = {
    "touchpoint": "r.touchpoint",
    "survey_kind": "r.survey_kind",
    "segment": "c.segment",
    "channel": "r.channel",
    "month": _MONTH.format("r.responded_at"),
}
# only the ratings whose context changed are written: a rebuild after a few replaced rows rewrote every
# rating (91 s for 5.7M on PostgreSQL, where each written row is a new version with its index entries)
_REFRESH = (
    "UPDATE response_items SET "
    + ", ".join(f"{column} = {value}" for column, value in _FRESH_CONTEXT.items())
    + " FROM responses r LEFT JOIN customers c ON c.customer_id = r.customer_id "
    "WHERE r.response_id = response_items.response_id AND ("
    + " OR ".join(
        f"response_items.{column} IS DISTINCT FROM {value}" for column, value in _FRESH_CONTEXT.items()
    )
    + ")"
)
# interactions with their customer's segment and their month: the source of the interactions rollup
_INTERACTIONS = (
    "(SELECT i.*, {segment} AS segment, " + _MONTH.format("i.occurred_at") + " AS month "
    "FROM {rows} i {join}) AS i"
)
_ALL_INTERACTIONS = _INTERACTIONS.format(
    segment="c.segment", rows="interactions", join="LEFT JOIN customers c ON c.customer_id = i.customer_id"
)
_TOUCHES = (
    "SELECT customer_id, touchpoint, count(*) AS interactions, min(occurred_at) AS first_at, "
    "max(occurred_at) AS last_at FROM {rows} WHERE customer_id IS NOT NULL GROUP BY customer_id, touchpoint"
)
_TOUCH_COLUMNS = "customer_id, touchpoint, interactions, first_at, last_at"
# the batch's own rows, staged: DuckDB then knows how few they are (it builds its joins on them) and prunes
# every stored row group by the batch id's statistics (a literal id; a bound parameter hides it)
_BATCH = "_cxgap_batch_rows"
_CONTEXT_TABLE = "_cxgap_context"
_MOVED = "_cxgap_moved"
_RATED = "_cxgap_rated"
_DELTA = "_cxgap_touches"
_FOUND = "_cxgap_touches_merged"
_FRESH = "_cxgap_touches_counted"


def refresh_item_context(conn: Connection) -> None:
    """Copy every response's context onto its item ratings (a rebuild)."""
    conn.execute(sa.text(_REFRESH))


def refresh_customer_touchpoints(conn: Connection, batch_id: str | None = None) -> None:
    """Add an interactions batch to the customer x touchpoint summary (rebuild it whole if None).

    A batch that replaced interactions may have moved one to another customer, so pass None after it.
    """
    if batch_id is None:
        if conn.dialect.name == "postgresql":
            _rewrite_changed_touches(conn)
            return
        conn.execute(sa.text("DELETE FROM customer_touchpoints"))
        conn.execute(
            sa.text(
                f"INSERT INTO customer_touchpoints ({_TOUCH_COLUMNS}) {_TOUCHES.format(rows='interactions')}"
            )
        )
        return
    with staged(conn, _BATCH, _batch_interactions(batch_literal(batch_id))):
        _merge_touches(conn)


def _rewrite_changed_touches(conn: Connection) -> None:
    """Rebuild customer_touchpoints on PostgreSQL by writing only the pairs that changed: rewriting all of
    them (a new version of every row, with its index entry) took 43 s for 3.3M pairs after 20,000 replaced
    interactions; the summary counted afresh and compared costs a few seconds."""
    same_pair = "t.customer_id = f.customer_id AND t.touchpoint = f.touchpoint"
    # before counting: an import merging its pairs meanwhile would have its count overwritten by the
    # older one counted here, or its new pair deleted; it waits for this commit instead and adds to it
    conn.execute(sa.text("LOCK TABLE customer_touchpoints IN SHARE ROW EXCLUSIVE MODE"))
    with staged(conn, _FRESH, _TOUCHES.format(rows="interactions")):
        conn.execute(
            sa.text(
                f"DELETE FROM customer_touchpoints t WHERE NOT EXISTS (SELECT 1 FROM {_FRESH} f WHERE {same_pair})"
            )
        )
        conn.execute(
            sa.text(
                f"UPDATE customer_touchpoints t SET interactions = f.interactions, first_at = f.first_at, "
                f"last_at = f.last_at FROM {_FRESH} f WHERE {same_pair} AND (t.interactions <> f.interactions "
                "OR t.first_at IS DISTINCT FROM f.first_at OR t.last_at IS DISTINCT FROM f.last_at)"
            )
        )
        conn.execute(
            sa.text(
                f"INSERT INTO customer_touchpoints ({_TOUCH_COLUMNS}) SELECT {_TOUCH_COLUMNS} FROM {_FRESH} f "
                f"WHERE NOT EXISTS (SELECT 1 FROM customer_touchpoints t WHERE {same_pair})"
            )
        )


def _batch_interactions(batch: str) -> str:
    """The batch's interactions, with the columns the summaries read."""
    return _interactions_where(f"batch_id = {batch}")


def _interactions_where(condition: str) -> str:
    """The interactions meeting `condition`, with the columns the summaries read."""
    values = ", ".join(c.split("_", 1)[1] for c in statistics("rollup_interactions") if c.startswith("n_"))
    return (
        "SELECT customer_id, occurred_at, touchpoint, kind, channel, "
        f"{values} FROM interactions WHERE {condition}"
    )


def _merge_touches(conn: Connection) -> None:
    """Merge the staged interactions' counts and first and last times into customer_touchpoints."""
    with staged(conn, _DELTA, _TOUCHES.format(rows=_BATCH)):
        if (
            conn.dialect.name == "postgresql"
        ):  # the unique index finds each pair; waits on a concurrent import
            conn.execute(
                sa.text(
                    f"INSERT INTO customer_touchpoints ({_TOUCH_COLUMNS}) SELECT {_TOUCH_COLUMNS} FROM {_DELTA} "
                    "ON CONFLICT (customer_id, touchpoint) DO UPDATE SET "
                    "interactions = customer_touchpoints.interactions + excluded.interactions, "
                    "first_at = least(customer_touchpoints.first_at, excluded.first_at), "
                    "last_at = greatest(customer_touchpoints.last_at, excluded.last_at)"
                )
            )
        else:
            _merge_touches_duckdb(conn)


def _merge_touches_duckdb(conn: Connection) -> None:
    """DuckDB joins by scanning, and updates scattered rows slowly: the summary is scanned once to merge
    each pair with its stored row, the stored rows are deleted by row id and the merged ones inserted
    (measured on 3.3M pairs and 100,000 new ones: half the time of UPDATE and INSERT ... NOT EXISTS)."""
    merged = (
        "SELECT d.customer_id, d.touchpoint, d.interactions + coalesce(t.interactions, 0) AS interactions, "
        "least(d.first_at, t.first_at) AS first_at, greatest(d.last_at, t.last_at) AS last_at, "
        f"t.rowid AS stored_row FROM {_DELTA} d LEFT JOIN customer_touchpoints t "
        "ON t.customer_id = d.customer_id AND t.touchpoint = d.touchpoint"
    )
    with staged(conn, _FOUND, merged):
        conn.execute(
            sa.text(
                "DELETE FROM customer_touchpoints WHERE rowid IN "
                f"(SELECT stored_row FROM {_FOUND} WHERE stored_row IS NOT NULL)"
            )
        )
        conn.execute(
            sa.text(
                f"INSERT INTO customer_touchpoints ({_TOUCH_COLUMNS}) SELECT {_TOUCH_COLUMNS} FROM {_FOUND}"
            )
        )


def rebuild_rollups(conn: Connection) -> None:
    """Rebuild both rollups from their source tables."""
    rebuild_rollup(conn, "rollup_items", "response_items")
    rebuild_rollup(conn, "rollup_interactions", _ALL_INTERACTIONS)


def refresh_derived(
    conn: Connection, table: str | None = None, batch_id: str | None = None, rollups: bool = True
) -> None:
    """Bring derived data in step after `batch_id` loaded `table` (everything, when table is None).

    Pass batch_id None after a batch that replaced rows: its effects cannot be bounded by the batch. With
    `rollups` False the rollups are only marked stale (many small batches: see `refresh_stale`); rollups
    already stale are left to that rebuild too.
    """
    if table is None:
        refresh_item_context(conn)
        refresh_customer_touchpoints(conn)
        rebuild_rollups(conn)
        conn.execute(sa.text("DELETE FROM derived_state WHERE name = 'rollups'"))
        conn.execute(sa.text("DELETE FROM pending_batches"))
        return
    if table not in ("responses", "customers", "interactions"):
        return
    if batch_id is None:
        _rebuild_for(conn, table, rollups)
        return
    stale = _stale(conn)
    if table == "customers":  # its segments move rows already counted, and rows noted but not counted
        merge = rollups and not stale and not _pending(conn)
        if not merge:
            mark_stale(conn)
    else:
        merge = rollups and not stale
        if not rollups and stale:
            mark_stale(conn)  # again: a refresh may be taking the mark this very moment
        elif not rollups:
            _note_pending(conn, table, batch_id)
    {"responses": _responses_batch, "customers": _customers_batch, "interactions": _interactions_batch}[
        table
    ](conn, batch_literal(batch_id), merge)


def _rebuild_for(conn: Connection, table: str, rollups: bool) -> None:
    """Rebuild what a batch that replaced rows of `table` may have changed."""
    if table in ("responses", "customers"):
        refresh_item_context(conn)
    if table == "interactions":
        refresh_customer_touchpoints(conn)
    if not rollups:
        mark_stale(conn)
        return
    if table in ("responses", "customers"):
        rebuild_rollup(conn, "rollup_items", "response_items")
        conn.execute(sa.text("DELETE FROM pending_batches WHERE table_name = 'responses'"))
    if table in ("interactions", "customers"):  # the rollup carries the customers' segments
        rebuild_rollup(conn, "rollup_interactions", _ALL_INTERACTIONS)
        conn.execute(sa.text("DELETE FROM pending_batches WHERE table_name = 'interactions'"))


def _responses_batch(conn: Connection, batch: str, merge: bool) -> None:
    """The batch's ratings take their response's context and join the items rollup."""
    columns = "response_id, customer_id, touchpoint, survey_kind, channel, responded_at"
    rated = f"SELECT DISTINCT response_id FROM response_items WHERE batch_id = {batch}"
    with (
        staged(conn, _BATCH, f"SELECT {columns} FROM responses WHERE batch_id = {batch}"),
        staged(conn, _CONTEXT_TABLE, _context_of(_BATCH)),
        staged(conn, _RATED, rated),  # counted, so PostgreSQL does not take the batch for a few rows
    ):
        orphans = (  # new ratings of responses stored before (a file imported again, with more items)
            f"SELECT response_id FROM {_RATED} i "
            f"WHERE NOT EXISTS (SELECT 1 FROM {_CONTEXT_TABLE} x WHERE x.response_id = i.response_id)"
        )
        if conn.execute(sa.text(f"SELECT count(*) FROM ({orphans}) AS o")).scalar_one():
            earlier = f"(SELECT {columns} FROM responses WHERE response_id IN ({orphans}))"
            conn.execute(sa.text(f"INSERT INTO {_CONTEXT_TABLE} {_context_of(earlier)}"))
        conn.execute(
            sa.text(
                f"UPDATE response_items SET {_CONTEXT} FROM {_CONTEXT_TABLE} x "
                f"WHERE x.response_id = response_items.response_id AND response_items.batch_id = {batch}"
            )
        )
    if merge:
        _merge_ratings(conn, f"batch_id = {batch}")


def _context_of(responses: str) -> str:
    """The item-rating context of `responses` (a table or parenthesised query): the customer's segment joined."""
    return (
        f"SELECT r.response_id, r.touchpoint, r.survey_kind, c.segment, r.channel, "
        f"{_MONTH.format('r.responded_at')} AS month FROM {responses} r "
        "LEFT JOIN customers c ON c.customer_id = r.customer_id"
    )


def _customers_batch(conn: Connection, batch: str, merge: bool) -> None:
    """New customers' segments reach their ratings and interactions already stored: those rows move from
    the no-segment cells to their segment's (taken out with their old keys, added with the new)."""
    new = f"SELECT customer_id, segment FROM customers WHERE batch_id = {batch} AND segment IS NOT NULL"
    with staged(conn, _BATCH, new):
        if not conn.execute(sa.text(f"SELECT count(*) FROM {_BATCH}")).scalar_one():
            return
        context = (
            f"SELECT r.response_id, r.touchpoint, r.survey_kind, b.segment, r.channel, "
            f"{_MONTH.format('r.responded_at')} AS month FROM {_BATCH} b "
            "JOIN responses r ON r.customer_id = b.customer_id"
        )
        with staged(conn, _CONTEXT_TABLE, context):
            moved = (
                f"SELECT i.* FROM {_CONTEXT_TABLE} x JOIN response_items i ON i.response_id = x.response_id"
            )
            with staged(conn, _MOVED, moved):
                conn.execute(
                    sa.text(
                        f"UPDATE response_items SET {_CONTEXT} FROM {_CONTEXT_TABLE} x "
                        "WHERE x.response_id = response_items.response_id"
                    )
                )
                if merge:
                    moved_to = (
                        "(SELECT m.item, m.perception, m.expectation, m.importance, x.touchpoint, x.survey_kind, "
                        f"x.segment, x.channel, x.month FROM {_MOVED} m "
                        f"JOIN {_CONTEXT_TABLE} x ON x.response_id = m.response_id) AS n"
                    )
                    merge_rollup(conn, "rollup_items", [Delta(f"{_MOVED} m", -1), Delta(moved_to)])
        if merge:
            join = f"JOIN {_BATCH} b ON b.customer_id = i.customer_id"
            before = _INTERACTIONS.format(segment="CAST(NULL AS VARCHAR(64))", rows="interactions", join=join)
            after = _INTERACTIONS.format(segment="b.segment", rows="interactions", join=join)
            merge_rollup(conn, "rollup_interactions", [Delta(before, -1), Delta(after)])


def _interactions_batch(conn: Connection, batch: str, merge: bool) -> None:
    """The batch's interactions join the customer x touchpoint summary and the interactions rollup."""
    with staged(conn, _BATCH, _batch_interactions(batch)):
        _merge_touches(conn)
        if merge:
            _merge_staged_interactions(conn)


def _merge_ratings(conn: Connection, condition: str) -> None:
    """Add the ratings meeting `condition` (with the context they carry) to the items rollup."""
    merge_rollup(conn, "rollup_items", [Delta(f"(SELECT * FROM response_items WHERE {condition}) AS s")])


def _merge_staged_interactions(conn: Connection) -> None:
    """Add the staged interactions (`_BATCH`), with their customers' segments, to the interactions rollup."""
    join = "LEFT JOIN customers c ON c.customer_id = i.customer_id"
    source = _INTERACTIONS.format(segment="c.segment", rows=_BATCH, join=join)
    merge_rollup(conn, "rollup_interactions", [Delta(source)])


@contextlib.contextmanager
def staged(conn: Connection, name: str, select: str) -> Iterator[None]:
    """`select`'s rows as the temporary table `name` for the block, dropped afterwards (after an error the
    transaction is rolled back, and the table with it: dropping it then would hide the error)."""
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    conn.execute(sa.text(f"CREATE TEMP TABLE {name} AS {select}"))
    if conn.dialect.name == "postgresql":  # temporary tables get no statistics otherwise
        conn.execute(sa.text(f"ANALYZE {name}"))
    yield
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))


def _stale(conn: Connection) -> bool:
    """Whether an ingest left the rollups to rebuild."""
    return conn.execute(sa.text("SELECT 1 FROM derived_state WHERE name = 'rollups'")).first() is not None


def mark_stale(conn: Connection) -> None:
    """Note that the rollups lag behind their source tables."""
    conn.execute(
        sa.text(
            "INSERT INTO derived_state (name, stale_since) VALUES ('rollups', CURRENT_TIMESTAMP) "
            "ON CONFLICT (name) DO NOTHING"
        )
    )


def refresh_stale(conn: Connection) -> bool:
    """Bring the rollups in step with what ingests added without them; True when there was anything. The
    batches noted pending are merged from their own rows; a customers batch or a replacing one left the
    mark that asks for the rebuild. Of two concurrent callers on PostgreSQL, the one that takes the mark
    and the notes does the work; the other waits for it and finds nothing to do. Ingests noting a batch
    wait for the caller's commit (PostgreSQL), so every batch noted is merged exactly once."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("LOCK TABLE pending_batches IN SHARE ROW EXCLUSIVE MODE"))
    taken = conn.execute(sa.text("DELETE FROM derived_state WHERE name = 'rollups' RETURNING name")).first()
    pending = conn.execute(sa.text("DELETE FROM pending_batches RETURNING batch_id, table_name")).all()
    if taken is not None:
        rebuild_rollups(conn)
        return True
    if not pending:
        return False
    _merge_pending(conn, [(str(b), str(t)) for b, t in pending])
    return True


def _merge_pending(conn: Connection, pending: list[tuple[str, str]]) -> None:
    """Merge the noted batches' rows into their rollups, each rollup once."""
    responses = ", ".join(sorted(batch_literal(b) for b, t in pending if t == "responses"))
    interactions = ", ".join(sorted(batch_literal(b) for b, t in pending if t == "interactions"))
    if responses:
        _merge_ratings(conn, f"batch_id IN ({responses})")
    if interactions:
        with staged(conn, _BATCH, _interactions_where(f"batch_id IN ({interactions})")):
            _merge_staged_interactions(conn)


def _pending(conn: Connection) -> bool:
    """Whether ingests left batches to merge into the rollups."""
    return conn.execute(sa.text("SELECT 1 FROM pending_batches LIMIT 1")).first() is not None


def _note_pending(conn: Connection, table: str, batch_id: str) -> None:
    """Note a batch whose rows the rollups do not count yet (merged by `refresh_stale`)."""
    conn.execute(
        sa.text(
            "INSERT INTO pending_batches (batch_id, table_name, added_at) "
            "VALUES (:b, :t, CURRENT_TIMESTAMP) ON CONFLICT (batch_id) DO NOTHING"
        ),
        {"b": batch_id, "t": table},
    )
