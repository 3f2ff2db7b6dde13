"""Revision 0013 on both backends: responses.csat and responses.ces hold exact values, rows stored before
the migration keep theirs, the range checks still guard the columns, and a DuckDB store killed right
after migrating (its write-ahead log not yet checkpointed) opens again."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from cxgap.store import Store
from tests.store.migrate import migrate

OLD_ROW = (
    "INSERT INTO responses (response_id, responded_at, survey_kind, nps, csat, ces) "
    "VALUES ('old', '2024-01-05', 'transactional', 9, 4, 6)"
)


def _scores(store: Store) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT response_id, nps, csat, ces FROM responses ORDER BY 1"))
        return [tuple(r) for r in rows]


def test_the_migration_keeps_old_rows_and_stores_exact_scores(fresh_store_url: str) -> None:
    store = Store(fresh_store_url, upgrade=False)
    migrate(store, "0012")
    with store.engine.begin() as conn:
        conn.execute(sa.text(OLD_ROW))
    migrate(store, "0013")
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO responses (response_id, responded_at, survey_kind, csat, ces) "
                "VALUES ('new', '2024-01-06', 'transactional', :csat, 6.5)"
            ),
            {"csat": 1 + 5 / 6 * 4},
        )
    rows = _scores(store)
    assert rows[1] == ("old", 9, 4.0, 6.0)
    assert rows[0][0] == "new" and rows[0][2] == pytest.approx(1 + 5 / 6 * 4, abs=1e-12)
    assert rows[0][3] == 6.5
    with pytest.raises(sa.exc.DBAPIError), store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO responses (response_id, responded_at, survey_kind, csat) "
                "VALUES ('bad', '2024-01-06', 'transactional', 5.5)"
            )
        )
    store.close()


def test_the_migration_goes_back_rounding_to_whole_numbers(fresh_store_url: str) -> None:
    store = Store(fresh_store_url)
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO responses (response_id, responded_at, survey_kind, csat, ces) "
                "VALUES ('r', '2024-01-06', 'transactional', 4.4, 2.6)"
            )
        )
    migrate(store, "0012", down=True)
    assert _scores(store) == [("r", None, 4, 3)]
    migrate(store, "head")
    assert store.revision() == "0018"
    store.close()


KILLED = """
import os, sys
from cxgap.store import Store
Store(sys.argv[1])
os._exit(0)  # killed: no checkpoint at close, the store is what its write-ahead log replays
"""


@pytest.mark.parametrize("start", ["empty", "0012"])
def test_a_store_killed_right_after_migrating_opens_again(tmp_path: Path, start: str) -> None:
    url = f"duckdb:///{tmp_path / 'killed.duckdb'}"
    if start == "0012":
        store = Store(url, upgrade=False)
        migrate(store, "0012")
        with store.engine.begin() as conn:
            conn.execute(sa.text(OLD_ROW))
        store.close()
    subprocess.run([sys.executable, "-c", KILLED, url], check=True, timeout=120)
    assert (tmp_path / "killed.duckdb.wal").exists()
    store = Store(url)
    assert store.revision() == "0018"
    assert _scores(store) == ([("old", 9, 4.0, 6.0)] if start == "0012" else [])
    store.close()
