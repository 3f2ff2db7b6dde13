"""The store on both backends: migrations, constraints, bulk loading and transactions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from cxgap.errors import StoreError
from cxgap.store import Store, insert_new
from cxgap.store.models import DATA_TABLES
from cxgap.store.schema_doc import render

ROOT = Path(__file__).resolve().parents[2]


def _responses(*ids: str, nps: int = 9) -> pa.Table:
    n = len(ids)
    return pa.table(
        {
            "response_id": list(ids),
            "responded_at": pa.array([pa.scalar(0, pa.timestamp("us")).as_py()] * n, pa.timestamp("us")),
            "survey_kind": ["relational"] * n,
            "nps": [nps] * n,
        }
    )


def test_new_store_has_every_table_empty_at_head_revision(store: Store) -> None:
    from alembic.script import ScriptDirectory

    from cxgap.store.core import SCHEMA_HEAD, _alembic_config

    assert SCHEMA_HEAD == ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert store.revision() == SCHEMA_HEAD == "0018"
    assert set(store.counts()) == {m.__tablename__ for m in DATA_TABLES}
    assert all(rows == 0 for rows in store.counts().values())


def test_reopening_a_store_migrates_nothing_and_keeps_rows(store: Store) -> None:
    with store.begin() as conn:
        insert_new(conn, "responses", _responses("a", "b"))
    again = Store(store.url)
    assert again.revision() == "0018"
    assert again.count("responses") == 2
    again.close()


def test_insert_new_skips_keys_already_stored(store: Store) -> None:
    with store.begin() as conn:
        first = insert_new(conn, "responses", _responses("a", "b"))
        second = insert_new(conn, "responses", _responses("b", "c"))
    assert (first.new, first.existing) == (2, 0)
    assert (second.new, second.existing) == (1, 1)
    assert store.count("responses") == 3


def test_insert_new_can_replace_existing_rows(store: Store) -> None:
    with store.begin() as conn:
        insert_new(conn, "responses", _responses("a", nps=3))
        counts = insert_new(conn, "responses", _responses("a", nps=10), replace_existing=True)
    assert (counts.new, counts.replaced) == (0, 1)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT nps FROM responses")).scalar_one() == 10


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.begin() as conn:
        insert_new(conn, "responses", _responses("a", "b"))
        raise RuntimeError("killed")
    assert store.count("responses") == 0


def test_database_refuses_values_outside_the_schema_range(store: Store) -> None:
    with pytest.raises(sa.exc.DBAPIError), store.begin() as conn:
        insert_new(conn, "responses", _responses("a", nps=11))
    assert store.count("responses") == 0


def test_store_newer_than_this_cxgap_is_refused(store: Store) -> None:
    with store.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer than this cxgap knows"):
        Store(store.url)


def test_unreachable_postgres_is_one_clear_sentence() -> None:
    with pytest.raises(
        StoreError, match=r"Cannot open the PostgreSQL store postgresql\+psycopg://u:\*\*\*@127.0.0.1:1/x"
    ):
        Store("postgresql+psycopg://u:secret@127.0.0.1:1/x")


def test_schema_doc_is_generated_from_the_models() -> None:
    assert (ROOT / "docs" / "schema.md").read_text(encoding="utf-8") == render(), (
        "docs/schema.md is stale: run `python -m cxgap.store.schema_doc > docs/schema.md`"
    )


def test_every_column_is_documented() -> None:
    from cxgap.store.models import Base

    undocumented = [
        f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns if not c.comment
    ]
    assert undocumented == []


def test_insert_all_loads_everything_and_the_key_still_guards(store: Store) -> None:
    from cxgap.store import insert_all

    with store.begin() as conn:
        assert insert_all(conn, "responses", _responses("a", "b")) == 2
    with pytest.raises((sa.exc.DBAPIError, StoreError)), store.begin() as conn:
        insert_all(conn, "responses", _responses("b"))
    with pytest.raises((sa.exc.DBAPIError, StoreError)), store.begin() as conn:
        insert_all(conn, "responses", _responses("c", "c"))
    assert store.count("responses") == 2


@pytest.mark.postgres
def test_migrations_match_the_models(pg_url: str) -> None:
    """Autogenerate finds nothing to do (DuckDB cannot be reflected this way; PostgreSQL is required in CI)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from cxgap.store.models import Base

    store = Store(pg_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    store.close()
    assert diff == [], "models changed without a migration: run alembic revision --autogenerate"


def test_a_store_at_the_newest_schema_opens_without_loading_alembic(duckdb_url: str, tmp_path: Path) -> None:
    code = (
        "import sys\nfrom cxgap.store import Store\n"
        f"Store({duckdb_url!r}).close()\nprint('alembic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_store_with_several_schema_revisions_is_one_sentence(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version (version_num) VALUES ('9999')"))
    with pytest.raises(StoreError, match="several schema revisions"):
        store.revision()
