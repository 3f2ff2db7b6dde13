"""Summaries kept by merging each batch equal a rebuild from the raw tables, after every kind of batch."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

from cxgap.io import import_file, mapping_from_dict
from cxgap.store import Store, context, refresh_derived
from cxgap.store.context import refresh_stale
from cxgap.store.models import table_of

SURVEY = {
    "table": "responses",
    "columns": {
        "response_id": "id",
        "responded_at": "date",
        "customer_id": "customer",
        "survey_kind": "kind",
        "touchpoint": "touchpoint",
        "channel": "channel",
    },
    "items": {
        "q1": {"item": "as_promised", "measure": "perception"},
        "e1": {"item": "as_promised", "measure": "expectation"},
        "q2": {"item": "on_time", "measure": "perception"},
    },
}
CUSTOMERS = {"table": "customers", "columns": {"customer_id": "id", "segment": "segment"}}
CONTACTS = {
    "table": "interactions",
    "columns": {
        "interaction_id": "id",
        "customer_id": "customer",
        "occurred_at": "at",
        "touchpoint": "touchpoint",
        "kind": "kind",
        "channel": "channel",
        "wait_seconds": "wait",
        "resolved": "resolved",
    },
}
Writer = Callable[[str, str], Path]
ITEM_KEYS = "survey_kind, touchpoint, segment, channel, month, item"
INTERACTION_KEYS = "touchpoint, kind, segment, channel, month"


def _rows(conn: Connection, sql: str) -> list[tuple[Any, ...]]:
    return sorted((tuple(r) for r in conn.execute(sa.text(sql)).all()), key=repr)


def summaries(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every derived row, without the rollups' cell numbers (a rebuild numbers cells afresh)."""
    return {
        "copies": _rows(conn, f"SELECT response_id, {ITEM_KEYS} FROM response_items"),
        "touches": _rows(conn, "SELECT * FROM customer_touchpoints"),
        "items": _rows(conn, _without_cell("rollup_items")),
        "interactions": _rows(conn, _without_cell("rollup_interactions")),
    }


def _without_cell(table: str) -> str:
    columns = [c.name for c in table_of(table).columns if c.name != "cell"]
    return f"SELECT {', '.join(columns)} FROM {table}"


def rebuilt(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """The summaries a full rebuild gives on the same store (rolled back: the store stays as it was)."""
    with store.engine.connect() as conn:
        transaction = conn.begin()
        try:
            # from nothing: a rebuild writes only what differs from what is kept, so clear that first
            conn.execute(sa.text("DELETE FROM customer_touchpoints"))
            conn.execute(sa.text(f"UPDATE response_items SET {_CLEARED}"))
            refresh_derived(conn)
            return summaries(conn)
        finally:
            transaction.rollback()


_CLEARED = ", ".join(f"{key} = NULL" for key in ITEM_KEYS.split(", ") if key != "item")


def kept(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return summaries(conn)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def assert_equal_to_rebuild(store: Store) -> None:
    """Counts, keys and copies exactly; sums and sums of squares to 1e-9 (relative)."""
    mine, fresh = kept(store), rebuilt(store)
    for name in fresh:
        assert len(mine[name]) == len(fresh[name]), name
        for a, b in zip(mine[name], fresh[name], strict=True):
            assert all(_close(x, y) for x, y in zip(a, b, strict=True)), (name, a, b)


def test_every_kind_of_batch_leaves_the_summaries_a_rebuild_would(store: Store, write: Writer) -> None:
    survey = (
        "id,date,customer,kind,touchpoint,channel,q1,e1,q2\n"
        "R1,2024-01-03,C1,transactional,support,phone,5,6,4\n"
        "R2,2024-01-20,C2,transactional,support,chat,3,,7\n"
        "R3,2024-02-01,,relational,,,6,5,\n"
        "R4,2024-02-11,C9,transactional,billing,web,2.5,4,1\n"
    )
    import_file(store, write("s1.csv", survey), mapping_from_dict(SURVEY))
    assert_equal_to_rebuild(store)
    contacts = (
        "id,customer,at,touchpoint,kind,channel,wait,resolved\n"
        "I1,C1,2024-01-01,support,call,phone,30,true\nI2,C1,2024-01-09,support,call,phone,,false\n"
        "I3,,2024-01-02,support,chat,chat,12.5,\nI4,C2,2024-03-01,billing,bill,web,0,true\n"
    )
    import_file(store, write("i1.csv", contacts), mapping_from_dict(CONTACTS))
    assert_equal_to_rebuild(store)
    customers = "id,segment\nC1,consumer\nC2,\nC3,business\n"
    import_file(store, write("c1.csv", customers), mapping_from_dict(CUSTOMERS))
    assert_equal_to_rebuild(store)
    # a file again with one more item for R3 (a kept response: its new rating is skipped with it, as
    # docs/schema.md says of a stored key), a row quarantined, a new response
    again = (
        "id,date,customer,kind,touchpoint,channel,q1,e1,q2\n"
        "R3,2024-02-01,,relational,,,6,5,3\n"
        "R5,not a date,C1,transactional,support,phone,5,5,5\n"
        "R6,2024-03-05,C3,transactional,support,phone,7,1,2\n"
    )
    summary = import_file(store, write("s2.csv", again), mapping_from_dict(SURVEY))
    assert (summary.rows_quarantined, summary.items_loaded) == (1, 2)
    assert_equal_to_rebuild(store)
    more = (
        "id,customer,at,touchpoint,kind,channel,wait,resolved\n"
        "I5,C1,2023-12-30,support,call,phone,45,true\nI6,C3,2024-03-02,support,visit,field,1e5,false\n"
        "I7,C4,2024-03-03,billing,bill,web,,\n"
    )
    import_file(store, write("i2.csv", more), mapping_from_dict(CONTACTS))
    assert_equal_to_rebuild(store)
    import_file(store, write("i3.csv", CONTACTS_HEADER), mapping_from_dict(CONTACTS))  # an empty batch
    import_file(
        store, write("c2.csv", "id,segment\nC4,consumer\nC1,business\n"), mapping_from_dict(CUSTOMERS)
    )
    assert_equal_to_rebuild(store)
    replace = {**CUSTOMERS, "on_existing": "replace"}
    import_file(store, write("c3.csv", "id,segment\nC1,enterprise\n"), mapping_from_dict(replace))
    assert_equal_to_rebuild(store)
    assert kept(store)["touches"][0][:3] == ("C1", "support", 3)


CONTACTS_HEADER = "id,customer,at,touchpoint,kind,channel,wait,resolved\n"


def test_replaced_interactions_move_between_customers_and_touchpoints(store: Store, write: Writer) -> None:
    """A batch that replaces interactions rebuilds the customer x touchpoint summary: a pair left without
    interactions goes, a new one comes, a kept one takes its new count and times."""
    contacts = CONTACTS_HEADER + (
        "I1,C1,2024-01-01,support,call,phone,30,true\nI2,C1,2024-01-09,support,call,phone,,false\n"
        "I3,C2,2024-01-02,billing,bill,web,12.5,\nI4,C2,2024-03-01,billing,bill,web,0,true\n"
    )
    import_file(store, write("i1.csv", contacts), mapping_from_dict(CONTACTS))
    moved = CONTACTS_HEADER + (
        "I1,C2,2024-01-05,support,call,phone,30,true\nI2,C2,2024-02-09,support,call,phone,,false\n"
        "I3,C2,2023-12-02,billing,bill,web,12.5,\n"
    )
    replace = {**CONTACTS, "on_existing": "replace"}
    summary = import_file(store, write("i2.csv", moved), mapping_from_dict(replace))
    assert summary.rows_replaced == 3
    assert_equal_to_rebuild(store)
    assert _touches(store) == [
        ("C2", "billing", 2, "2023-12-02", "2024-03-01"),
        ("C2", "support", 2, "2024-01-05", "2024-02-09"),
    ]
    # one pair's count alone changes (an interaction moved in between its first and last), then another's
    # last time alone
    import_file(
        store,
        write("i3.csv", CONTACTS_HEADER + "I5,C2,2024-01-20,support,call,phone,,\n"),
        mapping_from_dict(CONTACTS),
    )
    count_only = CONTACTS_HEADER + "I5,C2,2024-01-20,billing,bill,web,,\n"
    import_file(store, write("i4.csv", count_only), mapping_from_dict(replace))
    assert_equal_to_rebuild(store)
    assert _touches(store) == [
        ("C2", "billing", 3, "2023-12-02", "2024-03-01"),
        ("C2", "support", 2, "2024-01-05", "2024-02-09"),
    ]
    last_only = CONTACTS_HEADER + "I2,C2,2024-02-19,support,call,phone,,false\n"
    import_file(store, write("i5.csv", last_only), mapping_from_dict(replace))
    assert_equal_to_rebuild(store)
    assert _touches(store)[1] == ("C2", "support", 2, "2024-01-05", "2024-02-19")


def _touches(store: Store) -> list[tuple[Any, ...]]:
    """The customer x touchpoint summary, times as dates."""
    return [t[:3] + tuple(str(x)[:10] for x in t[3:]) for t in kept(store)["touches"]]


def test_replaced_responses_take_their_new_context(store: Store, write: Writer) -> None:
    """Replacing responses that change channel, survey kind and month gives their ratings the new context
    (each column of the context compared on its own)."""
    survey = (
        "id,date,customer,kind,touchpoint,channel,q1,e1,q2\n"
        "R1,2024-01-03,C1,transactional,support,phone,5,6,4\nR2,2024-01-20,C2,transactional,support,chat,3,,7\n"
        "R3,2024-01-21,C2,transactional,billing,web,4,4,4\n"
    )
    import_file(store, write("s1.csv", survey), mapping_from_dict(SURVEY))
    changed = (
        "id,date,customer,kind,touchpoint,channel,q1,e1,q2\n"
        "R1,2024-01-03,C1,transactional,support,web,5,6,4\nR2,2024-01-20,C2,relational,support,chat,3,,7\n"
        "R3,2024-02-21,C2,transactional,billing,web,4,4,4\n"
    )
    summary = import_file(
        store, write("s2.csv", changed), mapping_from_dict({**SURVEY, "on_existing": "replace"})
    )
    assert summary.rows_replaced == 3
    assert_equal_to_rebuild(store)
    with store.engine.connect() as conn:
        context = _rows(conn, "SELECT DISTINCT response_id, survey_kind, channel, month FROM response_items")
    assert [(r[0], r[1], r[2], str(r[3])) for r in context] == [
        ("R1", "transactional", "web", "2024-01-01"),
        ("R2", "relational", "chat", "2024-01-01"),
        ("R3", "transactional", "web", "2024-02-01"),
    ]


@pytest.mark.postgres
def test_a_rebuild_on_postgresql_writes_only_what_changed(pg_url: str, write: Writer) -> None:
    """Rows whose derived values are unchanged keep their row version (xmin): a rebuild after a few
    replaced rows no longer rewrites every rating and pair (91 s and 43 s at 1M responses)."""
    with Store(pg_url) as pg_store:
        _replace_and_compare_versions(pg_store, write)


@pytest.mark.postgres
def test_a_rebuild_on_postgresql_keeps_the_pairs_a_concurrent_import_merges(pg_url: str) -> None:
    """An import merging its pairs while a replaced batch rebuilds the summary waits for that rebuild and
    adds to it: its count is not overwritten by the one counted before it committed, its new pair not
    deleted. The other import starts once the rebuild has counted, and the rebuild goes on once the other
    is waiting for its lock or has finished (so the order is certain, whatever the machine's speed)."""
    contacts = "INSERT INTO interactions (interaction_id, customer_id, occurred_at, touchpoint, kind, batch_id) VALUES "
    with Store(pg_url) as first, Store(pg_url) as second:
        with _batch(first, "interactions", "b1") as conn:
            conn.execute(
                sa.text(
                    contacts
                    + "('I1','C1','2024-01-01','support','call','b1'), ('I9','C9','2024-01-01','billing','bill','b1')"
                )
            )

        def other_import() -> None:
            with _batch(second, "interactions", "b2") as conn:
                conn.execute(
                    sa.text(
                        contacts
                        + "('I2','C1','2024-01-02','support','call','b2'), ('I3','C2','2024-01-03','web','visit','b2')"
                    )
                )

        with _meanwhile(
            first, "ANALYZE _cxgap_touches_counted", other_import, "customer_touchpoints"
        ) as conn:
            with conn.begin():  # a replaced batch: I9 moved in time, the summary rebuilt
                conn.execute(
                    sa.text("UPDATE interactions SET occurred_at = '2023-12-31' WHERE interaction_id = 'I9'")
                )
                refresh_derived(conn, "interactions", None)
        assert_equal_to_rebuild(first)
        assert [t[:3] for t in kept(first)["touches"]] == [
            ("C1", "support", 2),
            ("C2", "web", 1),
            ("C9", "billing", 1),
        ]


@contextmanager
def _meanwhile(store: Store, after: str, other: Callable[[], None], lock: str | None) -> Iterator[Connection]:
    """A connection of `store` on which, once a statement beginning with `after` has run, `other` starts on
    a thread of its own, and the connection goes on once `other` waits for a lock (on the table `lock`,
    when given) or has finished: the order is certain, whatever the machine's speed. On leaving, `other`
    is joined and what it raised is raised here."""
    done, failures, started = threading.Event(), [], []

    def run() -> None:
        try:
            other()
        except Exception as error:  # raised below, in the test's thread
            failures.append(error)
        finally:
            done.set()

    def hook(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith(after) and not started:
            started.append(threading.Thread(target=run))
            started[0].start()
            _until_waiting_or_done(store, done, lock)

    with store.engine.connect() as conn:
        sa.event.listen(conn, "after_cursor_execute", hook)
        yield conn
    assert started, f"no statement began with {after!r}"
    started[0].join()
    if failures:
        raise failures[0]


def _until_waiting_or_done(store: Store, done: threading.Event, table: str | None) -> None:
    """Return once another session of this database waits for a lock (on `table`, when given), or `done`
    is set."""
    waiting = (
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT l.granted "
        "AND a.datname = current_database()" + (f" AND l.relation = '{table}'::regclass" if table else "")
    )
    deadline = time.monotonic() + 120  # only a hang ends here
    with store.engine.connect() as conn:
        while not done.is_set() and not conn.execute(sa.text(waiting)).scalar_one():
            assert time.monotonic() < deadline, "the other import neither waited nor finished"
            time.sleep(0.01)


@pytest.mark.postgres
def test_a_batch_ingested_during_a_rebuild_on_postgresql_is_counted_once(pg_url: str) -> None:
    """An ingest while the next analysis rebuilds the rollups waits for that rebuild: its rows are counted
    once, by the refresh after it. The ingest starts once the rebuild has taken the mark and the notes,
    and the rebuild goes on once the ingest waits for a lock or has finished."""
    contact = [("C1", "support", 1, 30.0, True)]
    with Store(pg_url) as first, Store(pg_url) as second:
        with first.begin() as conn:  # a customers batch asks for the rebuild, an interactions one is noted
            _load(conn, "customers", [("C1", "consumer")], "b0")
            refresh_derived(conn, "customers", "b0", rollups=False)
            _load(conn, "interactions", contact, "b1")
            refresh_derived(conn, "interactions", "b1", rollups=False)

        def ingest() -> None:
            with second.begin() as conn:
                _load(conn, "interactions", contact, "b2")
                refresh_derived(conn, "interactions", "b2", rollups=False)

        with _meanwhile(first, "DELETE FROM pending_batches RETURNING", ingest, None) as conn:
            with conn.begin():
                assert refresh_stale(conn)
        assert first.refresh_stale()
        assert_equal_to_rebuild(first)
        with first.engine.connect() as conn:
            assert _rows(conn, "SELECT sum(interactions) FROM rollup_interactions") == [(2,)]


def _replace_and_compare_versions(pg_store: Store, write: Writer) -> None:
    survey = (
        "id,date,customer,kind,touchpoint,channel,q1,e1,q2\n"
        "R1,2024-01-03,C1,transactional,support,phone,5,6,4\nR2,2024-01-20,C2,transactional,support,chat,3,,7\n"
    )
    import_file(pg_store, write("s1.csv", survey), mapping_from_dict(SURVEY))
    contacts = (
        CONTACTS_HEADER + "I1,C1,2024-01-01,support,call,phone,30,true\nI2,C2,2024-01-02,billing,bill,web,,\n"
    )
    import_file(pg_store, write("i1.csv", contacts), mapping_from_dict(CONTACTS))
    import_file(
        pg_store, write("c1.csv", "id,segment\nC1,consumer\nC2,business\n"), mapping_from_dict(CUSTOMERS)
    )
    versions = {
        "ratings": "SELECT response_id, item, xmin::text FROM response_items",
        "pairs": "SELECT customer_id, touchpoint, xmin::text FROM customer_touchpoints",
    }
    with pg_store.engine.connect() as conn:
        before = {name: _rows(conn, sql) for name, sql in versions.items()}
    replace = {**CUSTOMERS, "on_existing": "replace"}
    import_file(pg_store, write("c2.csv", "id,segment\nC1,enterprise\n"), mapping_from_dict(replace))
    moved = CONTACTS_HEADER + "I1,C1,2024-01-05,support,call,phone,30,true\n"
    import_file(pg_store, write("i2.csv", moved), mapping_from_dict({**CONTACTS, "on_existing": "replace"}))
    assert_equal_to_rebuild(pg_store)
    with pg_store.engine.connect() as conn:
        after = {name: _rows(conn, sql) for name, sql in versions.items()}
    # C1's ratings and pair were written again; C2's were not
    assert [r for r in after["ratings"] if r[0] == "R2"] == [r for r in before["ratings"] if r[0] == "R2"]
    assert [r for r in after["ratings"] if r[0] == "R1"] != [r for r in before["ratings"] if r[0] == "R1"]
    assert [r for r in after["pairs"] if r[0] == "C2"] == [r for r in before["pairs"] if r[0] == "C2"]
    assert [r for r in after["pairs"] if r[0] == "C1"] != [r for r in before["pairs"] if r[0] == "C1"]


def test_batches_on_stale_rollups_leave_them_to_the_one_rebuild(store: Store, write: Writer) -> None:
    survey = "id,date,customer,kind,touchpoint,channel,q1,e1,q2\nR1,2024-01-03,C1,transactional,support,phone,5,6,4\n"
    import_file(store, write("s1.csv", survey), mapping_from_dict(SURVEY), defer_rollups=True)
    contacts = CONTACTS_HEADER + "I1,C1,2024-01-01,support,call,phone,30,true\n"
    import_file(store, write("i1.csv", contacts), mapping_from_dict(CONTACTS))
    with store.engine.connect() as conn:
        assert _rows(conn, "SELECT count(*) FROM rollup_items") == [(0,)]  # still stale: not merged into
    assert kept(store)["touches"] == rebuilt(store)["touches"]
    assert store.refresh_stale()
    assert_equal_to_rebuild(store)


@contextmanager
def _batch(store: Store, table: str, batch: str) -> Iterator[Connection]:
    """A transaction that loads rows by hand and then refreshes as an import of `batch` would."""
    with store.begin() as conn:
        yield conn
        refresh_derived(conn, table, batch)


def test_new_ratings_of_a_response_stored_before_take_its_context(store: Store) -> None:
    """A batch may carry ratings of a response an earlier batch stored: they take that response's context."""
    with _batch(store, "customers", "b0") as conn:
        conn.execute(
            sa.text(
                "INSERT INTO customers (customer_id, segment, churned, batch_id) VALUES ('C1', 'consumer', false, 'b0')"
            )
        )
    with _batch(store, "responses", "b1") as conn:
        conn.execute(
            sa.text(
                "INSERT INTO responses (response_id, customer_id, responded_at, survey_kind, touchpoint, channel, "
                "batch_id) VALUES ('R1', 'C1', '2024-03-05', 'transactional', 'support', 'phone', 'b1')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO response_items (response_id, item, perception, batch_id) VALUES ('R1', 'a', 5, 'b1')"
            )
        )
    with _batch(store, "responses", "b2") as conn:
        conn.execute(
            sa.text(
                "INSERT INTO response_items (response_id, item, perception, batch_id) VALUES ('R1', 'b', 3, 'b2')"
            )
        )
    assert_equal_to_rebuild(store)
    with store.engine.connect() as conn:
        rows = _rows(conn, f"SELECT item, {ITEM_KEYS.removesuffix(', item')} FROM response_items")
    assert [(r[0], *r[1:5], str(r[5])) for r in rows] == [
        ("a", "transactional", "support", "consumer", "phone", "2024-03-01"),
        ("b", "transactional", "support", "consumer", "phone", "2024-03-01"),
    ]


def test_a_cell_left_without_rows_goes_and_one_with_valueless_ratings_stays(store: Store) -> None:
    with _batch(store, "responses", "b1") as conn:
        conn.execute(
            sa.text(
                "INSERT INTO responses (response_id, customer_id, responded_at, survey_kind, batch_id) VALUES "
                "('R1', 'C1', '2024-01-01', 'relational', 'b1'), ('R2', 'C2', '2024-01-01', 'relational', 'b1')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO response_items (response_id, item, perception, batch_id) VALUES "
                "('R1', 'a', 5, 'b1'), ('R2', 'b', NULL, 'b1'), ('R2', 'c', NULL, 'b1')"
            )
        )
    with _batch(store, "interactions", "b2") as conn:
        conn.execute(
            sa.text(
                "INSERT INTO interactions (interaction_id, customer_id, occurred_at, touchpoint, kind, batch_id) "
                "VALUES ('I1', 'C1', '2024-01-01', 'support', 'call', 'b2')"
            )
        )
    assert_equal_to_rebuild(store)
    with _batch(store, "customers", "b3") as conn:  # both customers move every row of theirs to a segment
        conn.execute(
            sa.text(
                "INSERT INTO customers (customer_id, segment, churned, batch_id) VALUES "
                "('C1', 'consumer', false, 'b3'), ('C2', 'business', false, 'b3')"
            )
        )
    assert_equal_to_rebuild(store)
    with store.engine.connect() as conn:
        assert _rows(conn, "SELECT segment, item, n_perception, sum_perception FROM rollup_items") == [
            ("business", "b", 0, None),
            ("business", "c", 0, None),
            ("consumer", "a", 1, 5.0),
        ]
        assert _rows(conn, "SELECT count(DISTINCT cell), count(*) FROM rollup_items") == [(3, 3)]
        assert _rows(conn, "SELECT segment, interactions FROM rollup_interactions") == [("consumer", 1)]


def test_refresh_stale_rebuilds_once(store: Store) -> None:
    with store.begin() as conn:
        refresh_derived(conn, "interactions", "b1", rollups=False)
    with store.begin() as conn:
        assert refresh_stale(conn)
    with store.begin() as conn:
        assert not refresh_stale(conn)


SEGMENTS = st.sampled_from(["consumer", "business", None])
CUSTOMER_IDS = st.sampled_from(["C1", "C2", "C3", None])
VALUES = st.one_of(st.none(), st.floats(1, 7, allow_nan=False).map(lambda v: round(v, 3)))
RATING = st.tuples(st.sampled_from(["a", "b"]), VALUES, VALUES)
RESPONSE = st.tuples(
    CUSTOMER_IDS,
    st.sampled_from([None, "support"]),
    st.integers(1, 3),
    st.lists(RATING, max_size=2, unique_by=lambda r: r[0]),
)
CONTACT = st.tuples(
    CUSTOMER_IDS,
    st.sampled_from(["support", "billing"]),
    st.integers(1, 3),
    VALUES,
    st.sampled_from([None, True, False]),
)
BATCH = st.one_of(
    st.tuples(st.just("responses"), st.lists(RESPONSE, min_size=1, max_size=4)),
    st.tuples(st.just("interactions"), st.lists(CONTACT, min_size=1, max_size=4)),
    st.tuples(
        st.just("customers"), st.lists(st.tuples(CUSTOMER_IDS.filter(bool), SEGMENTS), min_size=1, max_size=3)
    ),
)


def _load(conn: Connection, kind: str, rows: list[Any], batch: str) -> None:
    """Insert one generated batch (customers already stored are skipped, as an import does)."""
    for n, row in enumerate(rows):
        key = f"{batch}-{n}"
        if kind == "responses":
            customer, touchpoint, month, ratings = row
            conn.execute(
                sa.text(
                    "INSERT INTO responses (response_id, customer_id, responded_at, survey_kind, touchpoint, batch_id) "
                    "VALUES (:k, :c, :at, :kind, :t, :b)"
                ),
                {
                    "k": key,
                    "c": customer,
                    "at": f"2024-0{month}-05",
                    "kind": "transactional" if touchpoint else "relational",
                    "t": touchpoint,
                    "b": batch,
                },
            )
            for item, perception, expectation in ratings:
                conn.execute(
                    sa.text(
                        "INSERT INTO response_items (response_id, item, perception, expectation, batch_id) "
                        "VALUES (:k, :i, :p, :e, :b)"
                    ),
                    {"k": key, "i": item, "p": perception, "e": expectation, "b": batch},
                )
        elif kind == "interactions":
            customer, touchpoint, month, wait, resolved = row
            conn.execute(
                sa.text(
                    "INSERT INTO interactions (interaction_id, customer_id, occurred_at, touchpoint, kind, "
                    "wait_seconds, resolved, batch_id) VALUES (:k, :c, :at, :t, 'call', :w, :r, :b)"
                ),
                {
                    "k": key,
                    "c": customer,
                    "at": f"2024-0{month}-0{n % 9 + 1}",
                    "t": touchpoint,
                    "w": wait,
                    "r": resolved,
                    "b": batch,
                },
            )
        else:
            customer, segment = row
            conn.execute(
                sa.text(
                    "INSERT INTO customers (customer_id, segment, churned, batch_id) SELECT CAST(:c AS VARCHAR), "
                    "CAST(:s AS VARCHAR), false, CAST(:b AS VARCHAR) "
                    "WHERE NOT EXISTS (SELECT 1 FROM customers WHERE customer_id = CAST(:c AS VARCHAR))"
                ),
                {"c": customer, "s": segment, "b": batch},
            )


@pytest.fixture
def reused(store: Store) -> Store:
    return store


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(BATCH, min_size=1, max_size=6))
def test_any_sequence_of_added_batches_equals_a_rebuild(reused: Store, batches: list[Any]) -> None:
    with reused.begin() as conn:  # each example starts from an empty store
        for table in ("response_items", "responses", "interactions", "customers"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        refresh_derived(conn)
    for n, (kind, rows) in enumerate(batches):
        with _batch(reused, kind, f"b{n}") as conn:
            _load(conn, kind, rows, f"b{n}")
    assert_equal_to_rebuild(reused)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=st.lists(st.tuples(BATCH, st.booleans(), st.booleans()), min_size=1, max_size=6),
)
def test_any_sequence_of_ingested_batches_equals_a_rebuild_once_refreshed(
    reused: Store, batches: list[Any]
) -> None:
    """Batches left to the next analysis (an API ingest), mixed with merged ones and refreshes at any
    point: once refreshed, the summaries are a rebuild's."""
    with reused.begin() as conn:
        for table in ("response_items", "responses", "interactions", "customers"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        refresh_derived(conn)
    for n, ((kind, rows), deferred, refresh) in enumerate(batches):
        with reused.begin() as conn:
            _load(conn, kind, rows, f"b{n}")
            refresh_derived(conn, kind, f"b{n}", rollups=not deferred)
        if refresh:
            reused.refresh_stale()
            assert_equal_to_rebuild(reused)
    reused.refresh_stale()
    assert_equal_to_rebuild(reused)
    with reused.engine.connect() as conn:
        assert _rows(conn, "SELECT count(*) FROM pending_batches") == [(0,)]


def test_ingested_responses_and_interactions_are_merged_not_rebuilt(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next analysis after ingests of responses and interactions merges those batches' own rows; a
    customers batch still asks for the rebuild (its segments move rows already counted)."""
    rebuilt_rollups: list[str] = []
    real = context.rebuild_rollup
    monkeypatch.setattr(
        context, "rebuild_rollup", lambda conn, r, s: rebuilt_rollups.append(r) or real(conn, r, s)
    )
    survey = [("C1", "support", 1, [("a", 5.0, 6.0)]), ("C2", None, 2, [("b", 3.0, None)])]
    contacts = [("C1", "support", 1, 30.0, True), (None, "billing", 2, None, None)]
    for n, (kind, rows) in enumerate([("responses", survey), ("interactions", contacts)] * 2):
        with store.begin() as conn:
            _load(conn, kind, rows, f"b{n}")
            refresh_derived(conn, kind, f"b{n}", rollups=False)
    with store.engine.connect() as conn:
        assert _rows(conn, "SELECT batch_id, table_name FROM pending_batches") == [
            ("b0", "responses"),
            ("b1", "interactions"),
            ("b2", "responses"),
            ("b3", "interactions"),
        ]
    assert store.refresh_stale() and rebuilt_rollups == []
    assert_equal_to_rebuild(store)
    assert not store.refresh_stale()
    rebuilt_rollups.clear()  # the comparison's own rebuild
    with store.begin() as conn:
        _load(conn, "customers", [("C1", "consumer")], "b4")
        refresh_derived(conn, "customers", "b4", rollups=False)
        _load(conn, "interactions", contacts, "b5")
        refresh_derived(conn, "interactions", "b5", rollups=False)
    assert store.refresh_stale() and rebuilt_rollups == ["rollup_items", "rollup_interactions"]
    assert_equal_to_rebuild(store)


def test_a_customer_imported_while_their_interactions_wait_to_be_merged(store: Store) -> None:
    """Interactions ingested before their customer, who then arrives by a merged import: the customer's
    segment must not move rows the rollup does not count yet (they are counted once, in the segment)."""
    with store.begin() as conn:
        _load(conn, "interactions", [("C1", "support", 1, 30.0, True)], "b0")
        refresh_derived(conn, "interactions", "b0", rollups=False)
    with store.begin() as conn:
        _load(conn, "customers", [("C1", "consumer")], "b1")
        refresh_derived(conn, "customers", "b1")
    assert store.refresh_stale()
    assert_equal_to_rebuild(store)
    with store.engine.connect() as conn:
        assert _rows(conn, "SELECT segment, interactions FROM rollup_interactions") == [("consumer", 1)]


def test_a_tiny_wait_is_summarised_not_refused(store: Store, tmp_path: Path) -> None:
    """A wait of 1e-300 seconds is a valid value: its square underflows, which PostgreSQL refused (a
    traceback where an import should load the row); the sums of squares take it as 0 on both backends."""
    path = tmp_path / "contacts.csv"
    path.write_text(
        "id,at,tp,kind,wait,res\n"
        "i1,2024-03-31T14:05:00,support,call,1e-300,true\n"
        "i2,2024-03-31T15:05:00,support,call,30,false\n",
        encoding="utf-8",
    )
    columns = {
        "interaction_id": "id",
        "occurred_at": "at",
        "touchpoint": "tp",
        "kind": "kind",
        "wait_seconds": "wait",
        "resolved": "res",
    }
    summary = import_file(store, path, mapping_from_dict({"table": "interactions", "columns": columns}))
    assert summary.rows_loaded == 2
    with store.begin() as conn:
        n, total, squares = conn.execute(
            sa.text(
                "SELECT sum(n_wait_seconds), sum(sum_wait_seconds), sum(sumsq_wait_seconds) FROM rollup_interactions"
            )
        ).one()
    assert (n, total, squares) == (2, pytest.approx(30.0), pytest.approx(900.0))
