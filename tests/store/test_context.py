"""Derived data the store keeps in step with every import: item context and customer x touchpoint."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from cxgap.io import import_file, mapping_from_dict
from cxgap.store import Store
from cxgap.store.core import SCHEMA_HEAD
from tests.store.migrate import migrate

SURVEY = {
    "table": "responses",
    "columns": {
        "response_id": "id",
        "responded_at": "date",
        "customer_id": "customer",
        "survey_kind": "kind",
        "touchpoint": "touchpoint",
    },
    "items": {"q1": {"item": "as_promised"}},
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
    },
}


def _rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def _context(store: Store) -> list[tuple[object, ...]]:
    return _rows(store, "SELECT response_id, touchpoint, survey_kind, segment FROM response_items ORDER BY 1")


def test_item_ratings_carry_the_response_context_whichever_table_comes_first(store: Store, write) -> None:
    survey = "id,date,customer,kind,touchpoint,q1\nR1,2024-01-01,C1,transactional,support,5\nR2,2024-01-02,C2,relational,,6\n"
    import_file(store, write("s.csv", survey), mapping_from_dict(SURVEY))
    assert _context(store) == [("R1", "support", "transactional", None), ("R2", None, "relational", None)]
    import_file(store, write("c.csv", "id,segment\nC1,consumer\n"), mapping_from_dict(CUSTOMERS))
    assert _context(store)[0] == ("R1", "support", "transactional", "consumer")
    moved = "id,segment\nC1,enterprise\nC2,consumer\n"
    import_file(store, write("c2.csv", moved), mapping_from_dict({**CUSTOMERS, "on_existing": "replace"}))
    assert [r[3] for r in _context(store)] == ["enterprise", "consumer"]


def test_replacing_a_response_moves_its_ratings_too(store: Store, write) -> None:
    survey = "id,date,customer,kind,touchpoint,q1\nR1,2024-01-01,C1,transactional,support,5\n"
    import_file(store, write("s.csv", survey), mapping_from_dict(SURVEY))
    fixed = "id,date,customer,kind,touchpoint\nR1,2024-01-01,C1,transactional,billing\n"
    no_items = {**SURVEY, "items": {}, "on_existing": "replace"}
    import_file(store, write("fix.csv", fixed), mapping_from_dict(no_items))
    assert _context(store) == [("R1", "billing", "transactional", None)]


def _touches(store: Store) -> list[tuple[object, ...]]:
    return _rows(
        store,
        "SELECT customer_id, touchpoint, interactions, CAST(first_at AS DATE), CAST(last_at AS DATE) "
        "FROM customer_touchpoints ORDER BY 1, 2",
    )


def _recomputed(store: Store) -> list[tuple[object, ...]]:
    return _rows(
        store,
        "SELECT customer_id, touchpoint, count(*), CAST(min(occurred_at) AS DATE), CAST(max(occurred_at) AS DATE) "
        "FROM interactions WHERE customer_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2",
    )


def test_customer_touchpoints_follow_every_interactions_import(store: Store, write) -> None:
    first = "id,customer,at,touchpoint,kind\nI1,C1,2024-01-01,support,call\nI2,C1,2024-01-05,support,call\nI3,,2024-01-02,support,call\n"
    import_file(store, write("i1.csv", first), mapping_from_dict(CONTACTS))
    assert _touches(store) == [("C1", "support", 2, *_recomputed(store)[0][3:])]
    later = "id,customer,at,touchpoint,kind\nI4,C1,2024-02-01,support,chat\nI5,C2,2024-02-02,billing,bill\n"
    import_file(store, write("i2.csv", later), mapping_from_dict(CONTACTS))
    assert _touches(store) == _recomputed(store)
    assert [r[2] for r in _touches(store)] == [3, 1]
    moved = "id,customer,at,touchpoint,kind\nI1,C2,2024-01-01,support,call\n"
    import_file(store, write("i3.csv", moved), mapping_from_dict({**CONTACTS, "on_existing": "replace"}))
    assert _touches(store) == _recomputed(store)
    assert ("C2", "support", 1) in [r[:3] for r in _touches(store)]


def test_upgrading_a_store_from_the_first_schema_fills_the_copies(fresh_store_url: str) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from cxgap.store.core import _alembic_config

    store_url = fresh_store_url
    old = Store(store_url, upgrade=False)
    with old.engine.begin() as conn:
        config = _alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        for sql in (
            "INSERT INTO customers (customer_id, segment, churned) VALUES ('C1', 'consumer', false)",
            "INSERT INTO responses (response_id, customer_id, responded_at, survey_kind, touchpoint) "
            "VALUES ('R1', 'C1', '2024-01-01', 'transactional', 'support')",
            "INSERT INTO response_items (response_id, item, perception) VALUES ('R1', 'as_promised', 5)",
            "INSERT INTO interactions (interaction_id, customer_id, occurred_at, touchpoint, kind) "
            "VALUES ('I1', 'C1', '2024-01-01', 'support', 'call')",
        ):
            conn.execute(sa.text(sql))
    old.upgrade()
    assert old.revision() == ScriptDirectory.from_config(config).get_current_head()
    assert _context(old) == [("R1", "support", "transactional", "consumer")]
    assert _touches(old) == _recomputed(old)
    old.close()


def _upgrade_from(store: Store, revision: str) -> None:
    """Move `store` down to `revision`, empty customer_touchpoints there (as if its derived data were stale),
    and upgrade it the way opening it does."""
    migrate(store, revision, down=True)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM customer_touchpoints"))
    store.upgrade()


def test_an_upgrade_rebuilds_derived_data_only_through_a_migration_that_changes_them(
    store: Store, write
) -> None:
    """Migrations 0015-0018 add tables and a column and move keys and indexes, nothing derived: the upgrade
    leaves the derived data as they were (a rebuild costs 39 s at 10M responses); one through 0014 rebuilds
    them."""
    contacts = (
        "id,customer,at,touchpoint,kind\nI1,C1,2024-01-01,support,call\nI2,C2,2024-01-05,billing,call\n"
    )
    import_file(store, write("i.csv", contacts), mapping_from_dict(CONTACTS))
    recount = _recomputed(store)
    _upgrade_from(store, "0014")
    assert store.revision() == SCHEMA_HEAD
    assert _touches(store) == []  # left alone: the planted staleness shows no rebuild ran
    _upgrade_from(store, "0013")
    assert (
        _touches(store)
        == recount
        == [("C1", "support", 1, *recount[0][3:]), ("C2", "billing", 1, *recount[1][3:])]
    )


def test_rollups_equal_a_recount_after_imports(store: Store, write) -> None:
    survey = (
        "id,date,customer,kind,touchpoint,q1\nR1,2024-01-01,C1,transactional,support,5\n"
        "R2,2024-01-02,C2,transactional,support,3\nR3,2024-01-03,C1,relational,,\n"
    )
    import_file(store, write("s.csv", survey), mapping_from_dict(SURVEY))
    import_file(store, write("c.csv", "id,segment\nC1,consumer\n"), mapping_from_dict(CUSTOMERS))
    contacts = (
        "id,customer,at,touchpoint,kind\nI1,C1,2024-01-01,support,call\nI2,C2,2024-01-05,support,call\n"
    )
    import_file(store, write("i.csv", contacts), mapping_from_dict(CONTACTS))
    items = _rows(
        store,
        "SELECT survey_kind, touchpoint, segment, item, n_perception, sum_perception, sumsq_perception "
        "FROM rollup_items ORDER BY segment NULLS FIRST",
    )
    assert items == [
        ("transactional", "support", None, "as_promised", 1, 3.0, 9.0),
        ("transactional", "support", "consumer", "as_promised", 1, 5.0, 25.0),
    ]
    interactions = "SELECT touchpoint, kind, segment, month, interactions FROM rollup_interactions ORDER BY 3"
    assert _rows(store, interactions) == [
        ("support", "call", "consumer", dt.date(2024, 1, 1), 1),
        ("support", "call", None, dt.date(2024, 1, 1), 1),
    ]
    moved = "id,segment\nC1,enterprise\nC2,consumer\n"
    import_file(store, write("c2.csv", moved), mapping_from_dict({**CUSTOMERS, "on_existing": "replace"}))
    assert [r[2:] for r in _rows(store, interactions)] == [
        ("consumer", dt.date(2024, 1, 1), 1),
        ("enterprise", dt.date(2024, 1, 1), 1),
    ]


def test_item_ratings_carry_channel_and_month(store: Store, write) -> None:
    survey = (
        "id,date,customer,kind,touchpoint,channel,q1\nR1,2024-01-31 23:59,C1,transactional,support,phone,5\n"
        "R2,2024-02-01,C1,transactional,support,chat,3\n"
    )
    mapping = {**SURVEY, "columns": {**SURVEY["columns"], "channel": "channel"}}
    import_file(store, write("s.csv", survey), mapping_from_dict(mapping))
    assert _rows(store, "SELECT response_id, channel, month FROM response_items ORDER BY 1") == [
        ("R1", "phone", dt.date(2024, 1, 1)),
        ("R2", "chat", dt.date(2024, 2, 1)),
    ]
    assert _rows(store, "SELECT channel, month, n_perception FROM rollup_items ORDER BY 2") == [
        ("phone", dt.date(2024, 1, 1), 1),
        ("chat", dt.date(2024, 2, 1), 1),
    ]
