"""The Parquet export on DuckDB and PostgreSQL: every table read back equal, to the value and the type;
month partitions named as the warehouse mode expects; secrets left behind; a non-empty folder refused."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from cxgap.access import add_user, issue_token
from cxgap.config import load_settings
from cxgap.errors import CxgapError
from cxgap.store import Store
from cxgap.store import export as export_module
from cxgap.store.export import (
    EXPORTED,
    MONTH_OF,
    NO_MONTH,
    WITHHELD_ROWS,
    columns_of,
    export_parquet,
)
from cxgap.store.models import table_of
from cxgap.surveys.tokens import SECRET_NAME, survey_secret

DUCKDB_TYPES = {
    sa.String: "VARCHAR",
    sa.DateTime: "TIMESTAMP",
    sa.Date: "DATE",
    sa.Double: "DOUBLE",
    sa.Integer: "INTEGER",
    sa.Boolean: "BOOLEAN",
}
NOW = dt.datetime(2024, 3, 9, 10, 30, 15, 250_000)


def _seed(store: Store) -> None:
    """A few rows of every kind of column: dates, times with microseconds, nulls, a row with no date."""
    rows: dict[str, list[dict[str, Any]]] = {
        "customers": [
            {
                "customer_id": "c1",
                "segment": "consumer",
                "started_at": dt.date(2020, 5, 1),
                "churned": False,
                "revenue": 120.5,
            },
            {"customer_id": "c2", "segment": None, "started_at": None, "churned": True, "revenue": None},
        ],
        "responses": [
            {
                "response_id": "r1",
                "customer_id": "c1",
                "responded_at": dt.datetime(2024, 1, 31, 23, 59, 59, 1),
                "survey_kind": "relational",
                "nps": 9,
                "superior": True,
                "comment": 'fine, "quoted",\non two lines',
            },
            {
                "response_id": "r2",
                "customer_id": "c2",
                "responded_at": dt.datetime(2024, 2, 1, 0, 0),
                "survey_kind": "transactional",
                "touchpoint": "support",
                "csat": 13 / 3,
                "ces": 6.0,
            },
        ],
        "response_items": [
            {
                "response_id": "r1",
                "item": "speed",
                "perception": 5.0,
                "expectation": 6.5,
                "month": dt.date(2024, 1, 1),
            },
            {"response_id": "r2", "item": "speed", "perception": 4.0, "month": dt.date(2024, 2, 1)},
        ],
        "feedback": [
            {"feedback_id": "f1", "source": "review", "received_at": None, "rating": 2.0, "text": "slow"},
            {"feedback_id": "f2", "source": "ticket", "received_at": NOW, "title": "", "text": "thanks"},
        ],
        "interactions": [  # enough rows for several blocks of PostgreSQL's CSV
            {
                "interaction_id": f"i{k}",
                "customer_id": "c1",
                "occurred_at": NOW + dt.timedelta(days=k, microseconds=k),
                "touchpoint": "support",
                "kind": "call",
                "wait_seconds": k / 7,
                "handled": k % 3 != 0,
            }
            for k in range(60)
        ],
        "outcomes": [{"customer_id": "c1", "period": dt.date(2024, 1, 1), "revenue": 10.0, "contacts": 2}],
    }
    with store.begin() as conn:
        for name, values in rows.items():
            for row in values:
                conn.execute(sa.insert(table_of(name)).values(**row))
    add_user(store, "ana", "analyst")
    issue_token(store, "ana")
    survey_secret(store)
    with store.begin() as conn:  # a password and a session as the sign-in keeps them (hashing is slow)
        hashed = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
        conn.execute(sa.text("UPDATE users SET password_hash = :h WHERE user_id = 'ana'"), {"h": hashed})
        session = {"h": "5e55" * 16, "now": NOW}
        conn.execute(
            sa.text(
                "INSERT INTO web_sessions (session_hash, user_id, created_at, seen_at) VALUES (:h, 'ana', :now, :now)"
            ),
            session,
        )
        conn.execute(sa.text("INSERT INTO store_meta (name, value) VALUES ('loop_clock', '2024-03-01')"))


def _read(folder: Path, name: str) -> duckdb.DuckDBPyRelation:
    path = str(folder / name / "**" / "*.parquet")
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}', hive_partitioning = true)")


def _stored(store: Store, name: str) -> list[tuple[Any, ...]]:
    """The store's rows of a table as an export should hold them (its columns, no secret row)."""
    table = table_of(name)
    query = sa.select(*(table.c[c] for c in columns_of(name)))
    if name in WITHHELD_ROWS:
        column, value = WITHHELD_ROWS[name]
        query = query.where(table.c[column] != value)
    with store.engine.connect() as conn:
        return sorted((tuple(r) for r in conn.execute(query)), key=repr)


@pytest.fixture
def seeded(store: Store) -> Store:
    _seed(store)
    return store


@pytest.mark.parametrize("block_bytes", [16 << 20, 1])
def test_every_table_reads_back_equal_to_the_value_and_the_type(
    seeded: Store, tmp_path: Path, block_bytes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "BLOCK_BYTES", block_bytes)  # 1: PostgreSQL's rows a block or two each
    folder = tmp_path / "lake"
    summary = export_parquet(seeded, folder)
    assert [t.table for t in summary.tables] == list(EXPORTED)
    for name in EXPORTED:
        back = _read(folder, name)
        columns = columns_of(name)
        types = dict(zip(back.columns, (str(t) for t in back.types), strict=True))
        for column in columns:
            kind = type(table_of(name).c[column].type)
            expected = next(v for k, v in DUCKDB_TYPES.items() if issubclass(kind, k))
            assert types[column] == expected, (name, column)
        rows = sorted(back.select(*columns).fetchall(), key=repr)
        assert rows == _stored(seeded, name), name
        written = next(t for t in summary.tables if t.table == name)
        assert written.rows == len(rows) and written.files >= 1


def test_dated_tables_are_partitioned_by_month_and_others_are_flat(seeded: Store, tmp_path: Path) -> None:
    folder = tmp_path / "lake"
    export_parquet(seeded, folder)
    assert sorted(p.name for p in (folder / "responses").iterdir()) == ["month=2024-01", "month=2024-02"]
    assert sorted(p.name for p in (folder / "feedback").iterdir()) == ["month=2024-03", f"month={NO_MONTH}"]
    assert all(f.suffix == ".parquet" for f in (folder / "responses" / "month=2024-01").iterdir())
    items = _read(folder, "response_items").select("response_id, month").fetchall()
    assert sorted(items) == [("r1", "2024-01"), ("r2", "2024-02")]  # its own month became the partition
    one_file = next((folder / "response_items" / "month=2024-01").iterdir())
    assert "month" not in pq.read_schema(one_file).names
    for name in ("customers", "standards", "users"):
        assert name not in MONTH_OF
        assert [p.suffix for p in (folder / name).iterdir()] == [".parquet"]
    # an empty table still has a file with its columns
    assert [p.name for p in (folder / "cases").iterdir()] == ["empty.parquet"]


def test_secrets_stay_in_the_store(seeded: Store, tmp_path: Path) -> None:
    folder = tmp_path / "lake"
    summary = export_parquet(seeded, folder)
    with seeded.engine.connect() as conn:
        secrets = [
            conn.execute(sa.text("SELECT password_hash FROM users")).scalar_one(),
            conn.execute(sa.text("SELECT secret_hash FROM api_tokens")).scalar_one(),
            conn.execute(sa.text("SELECT session_hash FROM web_sessions")).scalar_one(),
            conn.execute(sa.text(f"SELECT value FROM store_meta WHERE name = '{SECRET_NAME}'")).scalar_one(),
        ]
    assert WITHHELD_ROWS["store_meta"] == ("name", SECRET_NAME)
    assert _read(folder, "users").select("user_id").fetchall() == [("ana",)]
    assert "password_hash" not in _read(folder, "users").columns
    assert "secret_hash" not in _read(folder, "api_tokens").columns
    assert "session_hash" not in _read(folder, "web_sessions").columns
    assert _read(folder, "store_meta").fetchall() == [("loop_clock", "2024-03-01")]
    every_cell = {str(v) for name in EXPORTED for row in _read(folder, name).fetchall() for v in row}
    assert all(secret and secret not in every_cell for secret in secrets)
    assert summary.withheld[0] == "users.password_hash" and len(summary.withheld) == 4


def test_a_folder_that_is_not_empty_is_refused_unless_overwritten(seeded: Store, tmp_path: Path) -> None:
    folder = tmp_path / "lake"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    (folder / "responses").mkdir()
    (folder / "responses" / "stale.parquet").write_bytes(b"old")
    with pytest.raises(CxgapError, match=r"^The folder .*lake is not empty; .*\(--overwrite\)"):
        export_parquet(seeded, folder)
    summary = export_parquet(seeded, folder, ["responses"], overwrite=True)
    assert [t.table for t in summary.tables] == ["responses"] and summary.rows == 2
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not (folder / "responses" / "stale.parquet").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["engine.toml", "notes.txt", "responses"]
    with pytest.raises(CxgapError, match="Cannot export table 'rollup_items'; choose from customers, "):
        export_parquet(seeded, tmp_path / "other", ["rollup_items"])
    with pytest.raises(
        CxgapError, match=r"^Cannot write the export into .*notes.txt/lake: Not a directory\.$"
    ):
        export_parquet(seeded, folder / "notes.txt" / "lake")


def test_the_engine_block_points_warehouse_mode_at_the_data_tables(seeded: Store, tmp_path: Path) -> None:
    folder = tmp_path / "lake"
    progress: list[tuple[str, int]] = []
    summary = export_parquet(seeded, folder, progress=lambda name, rows: progress.append((name, rows)))
    assert progress[:2] == [("customers", 2), ("responses", 2)] and len(progress) == len(EXPORTED)
    assert (folder / "engine.toml").read_text(encoding="utf-8") == summary.engine_tables
    tables = tomllib.loads(summary.engine_tables)["engine"]["tables"]
    assert tables["responses"] == str(folder.resolve() / "responses")
    assert "users" not in tables and "case_events" not in tables  # the closed loop stays in the store
    assert all(Path(path).is_dir() for path in tables.values())
    config = tmp_path / "cxgap.toml"
    config.write_text(summary.engine_tables + '\n[store]\nurl = "duckdb:///x.duckdb"\n', encoding="utf-8")
    assert set(load_settings(config).engine.tables) == set(tables)
