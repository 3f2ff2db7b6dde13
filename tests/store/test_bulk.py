"""Bulk staging stores every value as it was given: PostgreSQL's COPY (CSV written by Arrow) and DuckDB's
Arrow scan keep texts (quotes, commas, line breaks, empty against null), floats to the last bit (nan, inf,
-0.0, the smallest and largest), dates, times to the microsecond and nullable booleans."""

from __future__ import annotations

import datetime as dt
import math

import pyarrow as pa
import sqlalchemy as sa

from cxgap.store import Store, delete_replaced, insert_new, insert_owned
from cxgap.store.bulk import InsertCounts
from cxgap.store.models import table_of

TEXTS = ['say "hi"', "", None, "a,b\nc", "é \\N \\. tab\tend", "NULL", "  padded  "]
FLOATS = [0.1, 1 / 3, float("nan"), float("inf"), -float("inf"), -0.0, None]
EXTREMES = [1e-300, 5e-324, 99999999.99999999, 123456.789012345, 2.5, None, 0.1 + 0.2]  # within its range
DAYS = [dt.date(2024, 1, 1), None, dt.date(1970, 1, 1), dt.date(2099, 12, 31), dt.date(2024, 2, 29)] * 2
WHEN = [
    dt.datetime(2024, 1, 1, 1, 2, 3, 456789),
    dt.datetime(1970, 1, 1),
    dt.datetime(2099, 12, 31, 23, 59, 59, 999999),
    dt.datetime(2024, 2, 29),
    dt.datetime(2000, 1, 1, 0, 0, 0, 1),
    dt.datetime(2024, 6, 30, 12),
    dt.datetime(2024, 6, 30, 12, 0, 0, 500000),
]
MAYBE = [True, False, None, True, False, None, True]
IDS = [f"K{n}" for n in range(7)]


def _same(a: object, b: object) -> bool:
    """Equal, with nan equal to nan and -0.0 told from 0.0."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b


def _rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.begin() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql)).all()]


def _assert_stored(got: list[tuple[object, ...]], expected: list[tuple[object, ...]]) -> None:
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert all(_same(g, w) for g, w in zip(row, want, strict=True)), (row, want)


def test_texts_floats_and_dates_are_stored_as_given(store: Store) -> None:
    customers = pa.table(
        {
            "customer_id": IDS,
            "name": pa.array(TEXTS, pa.string()),
            "region": pa.array(list(reversed(TEXTS)), pa.string()),
            "value": pa.array(FLOATS, pa.float64()),
            "revenue": pa.array([0.1, 1 / 3, 1e-300, 5e-324, 1e12, None, 0.0], pa.float64()),
            "started_at": pa.array(DAYS[:7], pa.date32()),
            "churned": [False] * 7,
        }
    )
    with store.begin() as conn:
        assert insert_new(conn, "customers", customers).new == 7
    got = _rows(
        store, "SELECT customer_id, name, region, value, revenue, started_at FROM customers ORDER BY 1"
    )
    revenue = [0.1, 1 / 3, 1e-300, 5e-324, 1e12, None, 0.0]
    _assert_stored(got, list(zip(IDS, TEXTS, reversed(TEXTS), FLOATS, revenue, DAYS[:7], strict=True)))


def test_times_and_nullable_booleans_are_stored_as_given(store: Store) -> None:
    interactions = pa.table(
        {
            "interaction_id": IDS,
            "customer_id": ["C1"] * 7,
            "occurred_at": pa.array(WHEN, pa.timestamp("us")),
            "touchpoint": ["support"] * 7,
            "kind": ["call"] * 7,
            "resolved": pa.array(MAYBE, pa.bool_()),
            "handled": pa.array(list(reversed(MAYBE)), pa.bool_()),
            "duration_seconds": pa.array(EXTREMES, pa.float64()),
        }
    )
    with store.begin() as conn:
        assert insert_new(conn, "interactions", interactions).new == 7
    got = _rows(
        store,
        "SELECT interaction_id, occurred_at, resolved, handled, duration_seconds FROM interactions ORDER BY 1",
    )
    _assert_stored(got, list(zip(IDS, WHEN, MAYBE, reversed(MAYBE), EXTREMES, strict=True)))


def _standards(touchpoints: list[str]) -> pa.Table:
    n = len(touchpoints)
    return pa.table(
        {"touchpoint": touchpoints, "metric": ["wait"] * n, "target": [1.0] * n, "direction": ["at_most"] * n}
    )


def test_a_small_batch_into_a_large_keyed_table_is_checked_by_its_keys_not_by_a_join(duckdb_url: str) -> None:
    """DuckDB, a table that keeps its key index: a batch of under a quarter of the stored rows uses ON
    CONFLICT (index lookups, its cost follows the batch), a larger one an anti-join (reads every stored
    key, faster for it); both count the same."""
    store = Store(duckdb_url)
    with store.begin() as conn:
        assert insert_new(conn, "standards", _standards([f"C{n}" for n in range(40)])).new == 40
    seen: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    small = _standards(["C1", "C2", "N1"])  # 3 x 4 < 40
    large = _standards([f"M{n}" for n in range(12)] + ["C3"])
    with store.begin() as conn:
        assert insert_new(conn, "standards", small) == InsertCounts(new=1, existing=2)
        assert insert_new(conn, "standards", large) == InsertCounts(new=12, existing=1)
    inserts = [sql for sql in seen if sql.startswith("INSERT INTO standards")]
    assert "ON CONFLICT DO NOTHING" in inserts[0] and "ANTI JOIN" not in inserts[0]
    assert "ANTI JOIN" in inserts[1]
    assert store.count("standards") == 53
    store.close()


def test_an_imported_table_is_always_checked_by_an_anti_join_on_duckdb(duckdb_url: str) -> None:
    """Customers, responses, feedback and interactions have no key index on DuckDB: even one new key
    is checked against the stored ones by a join, and a key already stored is counted, not stored twice."""
    store = Store(duckdb_url)
    stored = pa.table({"customer_id": [f"C{n}" for n in range(40)], "churned": [False] * 40})
    with store.begin() as conn:
        assert insert_new(conn, "customers", stored).new == 40
    seen: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    with store.begin() as conn:
        small = pa.table({"customer_id": ["C1", "N1"], "churned": [False, True]})
        assert insert_new(conn, "customers", small) == InsertCounts(new=1, existing=1)
    inserts = [sql for sql in seen if sql.startswith("INSERT INTO customers")]
    assert "ANTI JOIN" in inserts[0] and "ON CONFLICT" not in inserts[0]
    assert store.count("customers") == 41
    store.close()


def _responses(ids: list[str], batch: str) -> pa.Table:
    n = len(ids)
    when = [dt.datetime(2024, 1, 1)] * n
    return pa.table(
        {"response_id": ids, "responded_at": when, "survey_kind": ["relational"] * n, "batch_id": [batch] * n}
    )


def _ratings(pairs: list[tuple[str, str, float]], batch: str) -> pa.Table:
    return pa.table(
        {
            "response_id": [p[0] for p in pairs],
            "item": [p[1] for p in pairs],
            "perception": [p[2] for p in pairs],
            "batch_id": [batch] * len(pairs),
        }
    )


def test_ratings_are_written_with_the_responses_their_batch_wrote_and_only_those(store: Store) -> None:
    """A kept response keeps its ratings (a new one in the file is skipped with it); a replaced response's
    ratings are all replaced, an item the new row lacks included, and all of them when it has none; a new
    response's are written."""
    with store.begin() as conn:
        insert_new(conn, "responses", _responses(["R1", "R2"], "b1"))
        first = insert_owned(
            conn,
            "response_items",
            _ratings([("R1", "q1", 5.0), ("R1", "q2", 4.0), ("R2", "q1", 3.0)], "b1"),
            owner="responses",
            key="response_id",
            batch_id="b1",
            keys=True,
        )
    assert (first.new, first.existing, sorted(first.keys)) == (3, 0, [("R1",), ("R1",), ("R2",)])
    with store.begin() as conn:
        insert_new(conn, "responses", _responses(["R1", "R3"], "b2"))  # R1 is kept
        kept = insert_owned(
            conn,
            "response_items",
            _ratings([("R1", "q3", 7.0), ("R3", "q1", 6.0)], "b2"),
            owner="responses",
            key="response_id",
            batch_id="b2",
        )
    assert (kept.new, kept.existing) == (1, 1)
    with store.begin() as conn:
        insert_new(conn, "responses", _responses(["R1", "R3"], "b3"), replace_existing=True)
        delete_replaced(conn, "response_items", owner="responses", key="response_id", batch_id="b3")
        replaced = insert_owned(
            conn,
            "response_items",
            _ratings([("R1", "q1", 1.0)], "b3"),  # R3's new row has no ratings: its old one goes
            owner="responses",
            key="response_id",
            batch_id="b3",
        )
    assert (replaced.new, replaced.existing) == (1, 0)
    stored = _rows(store, "SELECT response_id, item, perception, batch_id FROM response_items ORDER BY 1, 2")
    assert stored == [("R1", "q1", 1.0, "b3"), ("R2", "q1", 3.0, "b1")]


def test_duckdb_ratings_carry_no_key_index_and_keep_their_checks(duckdb_url: str) -> None:
    """Migration 0016: DuckDB's response_items lost its primary key (the responses' key check guards it)
    and kept its NOT NULLs, range checks and comments; PostgreSQL keeps the key (test_migrations_match_the_models)."""
    store = Store(duckdb_url)
    con = store.duckdb_connection()
    kinds = con.execute(
        "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'response_items'"
    ).fetchall()
    assert sorted(k for (k,) in kinds) == ["CHECK", "CHECK", "CHECK", "NOT NULL", "NOT NULL"]
    comments = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'response_items' AND comment IS NOT NULL"
    ).fetchone()
    assert comments == (len(table_of("response_items").columns),)
    store.close()
