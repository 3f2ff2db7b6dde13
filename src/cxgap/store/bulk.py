"""Bulk loading inside an open transaction: stage a frame, count existing keys, insert only new rows.

DuckDB reads the Arrow table directly; PostgreSQL receives it through COPY into a temporary table.
Either way the rows land in the caller's transaction, so a batch is all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from cxgap.errors import StoreError
from cxgap.store.models import table_of
from cxgap.store.writers import checks_keys, hold_writers

STAGE = "_cxgap_stage"


@dataclass(frozen=True)
class InsertCounts:
    """How many staged rows were new, how many keys were already stored, and how many of those were replaced."""

    new: int
    existing: int
    replaced: int = 0
    keys: tuple[tuple[object, ...], ...] = ()  # the primary keys written, when asked for
    differing: int = 0  # of the existing rows, those whose stored values differ (when asked to compare)


def arrow_type(column: sa.Column[object]) -> pa.DataType:
    """The Arrow type a schema column is staged as."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return pa.bool_()
    if isinstance(kind, sa.Integer):
        return pa.int64()
    if isinstance(kind, sa.Float | sa.Numeric):
        return pa.float64()
    if isinstance(kind, sa.DateTime):
        return pa.timestamp("us")
    if isinstance(kind, sa.Date):
        return pa.date32()
    return pa.string()


def conform(table: sa.Table, data: pa.Table) -> pa.Table:
    """Cast staged columns to the schema's Arrow types (safe casts only: 9.0 -> 9 works, 9.5 -> int fails)."""
    columns = []
    for name, column in zip(data.column_names, data.columns, strict=True):
        target = arrow_type(table.columns[name])
        columns.append(column if column.type == target else column.cast(target))
    return pa.Table.from_arrays(columns, names=data.column_names)


def batch_literal(batch_id: str) -> str:
    """The batch id as an SQL string literal: DuckDB skips stored row groups by a literal's statistics,
    never by a bound parameter's (measured: 0.3 ms against 90 ms on 2M rows)."""
    return "'" + batch_id.replace("'", "''") + "'"


def _key_match(table: sa.Table, stage: str) -> str:
    keys = [c.name for c in table.primary_key.columns]
    return " AND ".join(f"t.{k} = s.{k}" for k in keys)


def _stage_duckdb(conn: Connection, data: pa.Table) -> None:
    conn.connection.driver_connection.register(STAGE, data)  # type: ignore[union-attr]


def _unstage_duckdb(conn: Connection) -> None:
    conn.connection.driver_connection.unregister(STAGE)  # type: ignore[union-attr]


def _stage_postgres(conn: Connection, table: sa.Table, data: pa.Table) -> None:
    columns = ", ".join(data.column_names)
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {STAGE}"))
    conn.execute(sa.text(f"CREATE TEMP TABLE {STAGE} AS SELECT {columns} FROM {table.name} WHERE false"))
    raw = conn.connection.driver_connection
    sql = f"COPY {STAGE} ({columns}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        for batch in data.to_batches(max_chunksize=50_000):
            copy.write(_csv_bytes(batch))


def _csv_bytes(batch: pa.RecordBatch) -> bytes:
    """Rows as PostgreSQL's COPY CSV reads them, written by Arrow (not a Python call per value): every
    text quoted, so an unquoted empty field is NULL and a quoted one the empty text; floats in their
    shortest exact form (nan and inf as PostgreSQL spells them too); times to the microsecond."""
    out = pa.BufferOutputStream()
    pa_csv.write_csv(batch, out, pa_csv.WriteOptions(include_header=False, quoting_style="needed"))
    return bytes(out.getvalue())


@contextmanager
def _staged(conn: Connection, table: sa.Table, data: pa.Table) -> Iterator[None]:
    """`data` readable as the STAGE table for the duration of the block, then removed."""
    duck = conn.dialect.name == "duckdb"
    if duck:
        _stage_duckdb(conn, data)
    else:
        _stage_postgres(conn, table, data)
    try:
        yield
    finally:
        if duck:
            _unstage_duckdb(conn)
        else:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {STAGE}"))


def insert_all(conn: Connection, table_name: str, data: pa.Table) -> int:
    """Insert every row of `data`, for a table known to hold none of its keys: a key stored twice is
    refused (by the primary key, or on DuckDB's imported tables, which have none, by cxgap's own check)."""
    if data.num_rows == 0:
        return 0
    table = table_of(table_name)
    hold_writers(conn, table_name)
    data = conform(table, data)
    columns = ", ".join(data.column_names)
    with _staged(conn, table, data):
        if checks_keys(conn, table.name):
            _refuse_repeated_keys(conn, table)
            select = ", ".join(f"s.{c}" for c in data.column_names)
            insert = _insert_new_rows(conn, table, columns, select, data.num_rows)
            if _inserted(conn, insert) != data.num_rows:
                raise StoreError(f"Some of the {table.name} being written are already stored (by their key).")
        else:
            conn.execute(sa.text(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {STAGE}"))
    return int(data.num_rows)


def _refuse_repeated_keys(conn: Connection, table: sa.Table) -> None:
    """Refuse staged rows that give one key twice (what a key index would refuse)."""
    keys = ", ".join(c.name for c in table.primary_key.columns)
    repeated = f"SELECT 1 FROM {STAGE} GROUP BY {keys} HAVING count(*) > 1 LIMIT 1"
    if conn.execute(sa.text(repeated)).first() is not None:
        raise StoreError(f"Some of the {table.name} being written give the same key twice.")


def insert_new(
    conn: Connection,
    table_name: str,
    data: pa.Table,
    *,
    replace_existing: bool = False,
    keys: bool = False,
    compare: bool = False,
) -> InsertCounts:
    """Insert the rows of `data` whose primary key is not yet stored; with `replace_existing`, replace those too.

    `data`'s columns must be a subset of the table's, named alike; keys must be unique within `data`. With
    `keys`, the counts carry the primary key of every row written (a batch of several deliveries needs to
    tell each its own outcome); with `compare`, how many of the rows kept as stored differ from the stored
    ones (a corrected export re-imported without replacing: the user is told).
    """
    table = table_of(table_name)
    if data.num_rows == 0:
        return InsertCounts(0, 0)
    hold_writers(conn, table_name)
    data = conform(table, data)
    with _staged(conn, table, data):
        match = _key_match(table, STAGE)
        columns = ", ".join(data.column_names)
        select = ", ".join(f"s.{c}" for c in data.column_names)
        if checks_keys(conn, table.name):
            _refuse_repeated_keys(conn, table)
        replaced = 0
        if replace_existing:
            exists = f"EXISTS (SELECT 1 FROM {table.name} t WHERE {match})"
            replaced = int(
                conn.execute(sa.text(f"SELECT count(*) FROM {STAGE} s WHERE {exists}")).scalar_one()
            )
            conn.execute(
                sa.text(f"DELETE FROM {table.name} t WHERE EXISTS (SELECT 1 FROM {STAGE} s WHERE {match})")
            )
        insert = _insert_new_rows(conn, table, columns, select, data.num_rows)
        inserted: list[tuple[object, ...]] = []
        if keys:
            returned = ", ".join(c.name for c in table.primary_key.columns)
            inserted = [tuple(row) for row in conn.execute(sa.text(f"{insert} RETURNING {returned}")).all()]
            new = len(inserted)
        else:
            new = _inserted(conn, insert)
        differing = 0
        if compare and not replace_existing and new < data.num_rows:
            differing = _differing(conn, table, data.column_names)
    return InsertCounts(
        new=new - replaced,
        existing=data.num_rows - new + replaced,
        replaced=replaced,
        keys=tuple(inserted),
        differing=differing,
    )


def _differing(conn: Connection, table: sa.Table, columns: list[str]) -> int:
    """How many staged rows have a stored row of the same key whose values differ (the batch id aside);
    rows the batch itself wrote are the same as staged, so they never count."""
    keys = {c.name for c in table.primary_key.columns}
    compared = [c for c in columns if c not in keys and c != "batch_id"]
    if not compared:
        return 0
    differ = " OR ".join(f"s.{c} IS DISTINCT FROM t.{c}" for c in compared)
    query = f"SELECT count(*) FROM {STAGE} s JOIN {table.name} t ON {_key_match(table, STAGE)} WHERE {differ}"
    return int(conn.execute(sa.text(query)).scalar_one())


def _insert_new_rows(conn: Connection, table: sa.Table, columns: str, select: str, rows: int) -> str:
    """The INSERT of the staged rows whose key is not stored yet, counted from what it writes.

    ON CONFLICT DO NOTHING looks each staged key up in the primary key's index, so its cost follows the
    batch; on PostgreSQL it also makes a batch wait for a concurrent one storing the same key and skip it,
    never count it twice. DuckDB's imported tables have no key index (migration 0016): their new rows are
    picked by an anti-join on the key, which reads the stored keys (one column), under the table's writer
    lock (`cxgap.store.writers`), so a concurrent batch storing the same key waits and then skips it as
    PostgreSQL's does. DuckDB's other tables keep their keys: a batch of at least a quarter of the stored
    rows takes the anti-join there too (faster for it: docs/benchmarks.md, Import), a smaller one ON
    CONFLICT (10,000 new keys into 5M stored: 0.01 s against 0.08 s), and their key refuses a key two
    concurrent transactions stored when the second commits."""
    if checks_keys(conn, table.name) or (
        conn.dialect.name == "duckdb" and rows * 4 >= _stored_rows(conn, table)
    ):
        keys = ", ".join(c.name for c in table.primary_key.columns)
        new_keys = f"ANTI JOIN {table.name} t USING ({keys})"
        return f"INSERT INTO {table.name} ({columns}) SELECT {select} FROM {STAGE} s {new_keys}"
    return f"INSERT INTO {table.name} ({columns}) SELECT {select} FROM {STAGE} s ON CONFLICT DO NOTHING"


def _stored_rows(conn: Connection, table: sa.Table) -> int:
    """DuckDB's estimate of a table's rows (from its metadata, no scan)."""
    found = conn.execute(
        sa.text(
            "SELECT estimated_size FROM duckdb_tables() WHERE table_name = :name "
            "AND schema_name = current_schema() AND NOT temporary"
        ),
        {"name": table.name},
    ).scalar()
    return int(found or 0)


def _inserted(conn: Connection, insert: str) -> int:
    """Run an INSERT and say how many rows it wrote, without fetching a row per row written: DuckDB
    answers with the count, PostgreSQL's driver reports it."""
    result = conn.execute(sa.text(insert))
    if conn.dialect.name == "duckdb":
        return int(result.scalar_one())
    return int(result.rowcount)


def insert_owned(
    conn: Connection,
    table_name: str,
    data: pa.Table,
    *,
    owner: str,
    key: str,
    batch_id: str,
    keys: bool = False,
) -> InsertCounts:
    """Insert the rows of `data` that belong to an `owner` row this batch wrote (new or replaced); the
    rows of an owner stored before and kept are skipped, as their owner was. `key` names the owner's key in
    both tables; with `keys`, the counts carry the owner key of every row written.

    An owned row's key is its owner's key and a name unique within the owner (a response's item ratings),
    so no stored key is looked up: the owner's key check (`insert_new`) already refuses a second copy of
    the owner, and with it of its rows. Ratings are ten times as many as responses, so not checking them
    against the stored ones is most of a survey import's saving (docs/benchmarks.md, Incremental)."""
    table = table_of(table_name)
    if data.num_rows == 0:
        return InsertCounts(0, 0)
    hold_writers(conn, table_name)
    data = conform(table, data)
    written = f"SELECT {key} FROM {owner} WHERE batch_id = {batch_literal(batch_id)}"
    with _staged(conn, table, data):
        columns = ", ".join(data.column_names)
        insert = (
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {STAGE} WHERE {key} IN ({written})"
        )
        if keys:
            rows = tuple(tuple(row) for row in conn.execute(sa.text(f"{insert} RETURNING {key}")).all())
            new = len(rows)
        else:
            rows, new = (), _inserted(conn, insert)
    return InsertCounts(new=new, existing=data.num_rows - new, keys=rows)


def delete_replaced(conn: Connection, table_name: str, *, owner: str, key: str, batch_id: str) -> None:
    """Delete the rows of `table_name` an earlier batch stored for an `owner` row this batch wrote: a
    replaced response's ratings go with it, those its new row lacks included (reads the whole table:
    called only when the batch replaced owners)."""
    hold_writers(conn, table_name)
    batch = batch_literal(batch_id)
    conn.execute(
        sa.text(
            f"DELETE FROM {table_name} WHERE batch_id IS DISTINCT FROM {batch} "
            f"AND {key} IN (SELECT {key} FROM {owner} WHERE batch_id = {batch})"
        )
    )
