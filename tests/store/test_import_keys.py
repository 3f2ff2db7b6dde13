"""Revision 0016: DuckDB rebuilds response_items without its primary key, keeping every stored rating,
its checks and its comments, and going back gives the key again; PostgreSQL keeps the key throughout."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cxgap.store import Store
from tests.store.migrate import migrate

RATINGS = "SELECT response_id, item, perception, expectation, importance, batch_id FROM response_items ORDER BY 1, 2"


def _keyed(store: Store) -> bool:
    """Whether the table refuses a (response, item) pair stored twice (tried, then rolled back)."""
    with store.engine.connect() as conn:
        transaction = conn.begin()
        try:
            twice = "INSERT INTO response_items (response_id, item) VALUES ('twice', 'q'), ('twice', 'q')"
            conn.execute(sa.text(twice))
            return False
        except sa.exc.IntegrityError:
            return True
        finally:
            transaction.rollback()


def _ratings(store: Store) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(RATINGS))]


def test_ratings_stored_before_the_migration_are_kept_both_ways(fresh_store_url: str) -> None:
    store = Store(fresh_store_url)
    migrate(store, "0015", down=True)
    assert _keyed(store)
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO response_items (response_id, item, perception, expectation, importance, batch_id) "
                "VALUES ('r1', 'q1', 5, 6, NULL, 'b'), ('r1', 'q2', 1.5, NULL, 7, 'b'), ('r2', 'q1', NULL, 2, 3, NULL)"
            )
        )
    before = _ratings(store)
    migrate(store, "head")
    assert _ratings(store) == before
    assert _keyed(store) == (store.backend == "postgresql")
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:  # the range checks still guard
        conn.execute(
            sa.text("INSERT INTO response_items (response_id, item, perception) VALUES ('r3', 'q1', 8)")
        )
    migrate(store, "0015", down=True)
    assert _ratings(store) == before and _keyed(store)
    store.close()
