"""Export the store as Parquet for a warehouse: one folder per table, Hive-style month partitions where the
table has a date, every column in its schema type, secrets left out.

The layout is a contract the warehouse mode (`[engine.tables]`, Spark) reads:

- a table with a date: `DIR/<table>/month=YYYY-MM/*.parquet`, the month of the column `MONTH_OF` names
  (`month=__HIVE_DEFAULT_PARTITION__` for rows without one, which Spark and Hive read as null); the
  partition column `month` is text, and `response_items`' own `month` column (a date) becomes it;
- any other table: `DIR/<table>/*.parquet`;
- an empty table: one empty file with the table's columns, `DIR/<table>/empty.parquet`, so a reader still
  finds its schema.

DuckDB writes with `COPY ... (FORMAT parquet, PARTITION_BY (month))` on the store's own connection;
PostgreSQL sends each table as CSV (`COPY ... TO STDOUT`), which Arrow parses block by block into typed
batches for `pyarrow.dataset.write_dataset`: never a whole table in memory, never a value as a Python object. Both read every table in one snapshot, so the export is consistent across tables.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import sqlalchemy as sa
import tomli_w
from sqlalchemy.engine import Connection

from cxgap.errors import CxgapError
from cxgap.store.bulk import arrow_type
from cxgap.store.core import Store
from cxgap.store.models import DATA_TABLES, LOOP_TABLES, META_TABLES, SURVEY_TABLES, table_of

# The date a row's month is taken from, per table: when the row happened (an answer, a contact, a case
# opened, an event logged). Tables not named here (customers, standards, users ...) are not partitioned.
MONTH_OF: dict[str, str] = {
    "responses": "responded_at",
    "response_items": "month",
    "feedback": "received_at",
    "interactions": "occurred_at",
    "beliefs": "surveyed_at",
    "outcomes": "period",
    "cases": "created_at",
    "import_batches": "started_at",
    "case_events": "happened_at",
    "systemic_issues": "created_at",
    "issue_events": "happened_at",
    "playbook_assignments": "assigned_at",
    "case_triggers": "added_at",
    "notifications": "created_at",
    "survey_invitations": "created_at",
    "sign_in_failures": "failed_at",
}
# Secrets never leave the store: what signs people in, and the key that signs survey links.
WITHHELD_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("password_hash",),
    "api_tokens": ("secret_hash",),
    "web_sessions": ("session_hash",),
}
WITHHELD_ROWS: dict[str, tuple[str, str]] = {
    "store_meta": ("name", "survey_secret"),  # cxgap.surveys.tokens.SECRET_NAME (a test holds them equal)
}
# The data tables, the import log and quarantine, the closed loop and the hosted surveys; derived tables
# (rollups, embeddings, cached views) are rebuilt from these and stay behind.
EXPORTED: tuple[str, ...] = tuple(
    m.__tablename__ for m in DATA_TABLES + META_TABLES + LOOP_TABLES + SURVEY_TABLES
)
NO_MONTH = "__HIVE_DEFAULT_PARTITION__"
EMPTY_FILE = "empty.parquet"
BLOCK_BYTES = 16 << 20  # PostgreSQL's CSV is parsed this many bytes at a time

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class TableExport:
    """One table written: its folder, rows and Parquet files, and the date column it is partitioned by."""

    table: str
    folder: Path
    rows: int
    files: int
    month_of: str | None


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: every table, the secrets left out, and the `[engine.tables]` block (also in
    `DIR/engine.toml`) that points warehouse mode at it."""

    folder: Path
    tables: tuple[TableExport, ...]
    withheld: tuple[str, ...]
    engine_tables: str

    @property
    def rows(self) -> int:
        """Rows written in all."""
        return sum(t.rows for t in self.tables)


def withheld() -> tuple[str, ...]:
    """The secrets an export leaves out, in words (`users.password_hash`, ...)."""
    columns = [f"{table}.{column}" for table, names in WITHHELD_COLUMNS.items() for column in names]
    rows = [f"{table} row {column} = '{value}'" for table, (column, value) in WITHHELD_ROWS.items()]
    return (*columns, *rows)


def export_parquet(
    store: Store,
    folder: Path,
    tables: Sequence[str] | None = None,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ExportSummary:
    """Write `tables` (default: every exported table) of the store under `folder` as Parquet (see the
    module's layout), calling `progress(table, rows)` after each; refuses a folder that is not empty unless
    `overwrite`, which replaces only the table folders written (and `engine.toml`)."""
    chosen = _chosen(tables)
    try:
        _prepare(folder, chosen, overwrite)
        if store.backend == "duckdb":
            written = list(_duckdb_tables(store, folder, chosen, progress))
        else:
            written = list(_postgres_tables(store, folder, chosen, progress))
        block = engine_tables(folder, chosen)
        (folder / "engine.toml").write_text(block, encoding="utf-8")
    except (OSError, duckdb.IOException) as error:  # no such folder, no permission, a full disk ...
        reason = (
            error.strerror if isinstance(error, OSError) and error.strerror else str(error).splitlines()[0]
        )
        raise CxgapError(f"Cannot write the export into {folder}: {reason}.") from None
    return ExportSummary(folder, tuple(written), withheld(), block)


def engine_tables(folder: Path, tables: Sequence[str]) -> str:
    """The `[engine.tables]` block of cxgap.toml that runs the analyses on Spark over an export in `folder`:
    each data table exported, at its folder's absolute path."""
    paths = {t: str(folder.resolve() / t) for t in tables if t in {m.__tablename__ for m in DATA_TABLES}}
    intro = (
        "# cxgap's tables exported to Parquet: paste into cxgap.toml beside [engine] url = "
        '"pyspark://local[2]" (or your cluster\'s master) to run the analyses on Spark over them.\n'
    )
    return intro + tomli_w.dumps({"engine": {"tables": paths}})


def _chosen(tables: Sequence[str] | None) -> list[str]:
    """The tables to write, in the store's order, after refusing a name that is not exported."""
    if tables is None:
        return list(EXPORTED)
    unknown = [t for t in tables if t not in EXPORTED]
    if unknown:
        raise CxgapError(f"Cannot export table '{unknown[0]}'; choose from {', '.join(EXPORTED)}.")
    return [t for t in EXPORTED if t in tables]


def _prepare(folder: Path, tables: list[str], overwrite: bool) -> None:
    """Make `folder` ready: new or empty, or (overwrite) without the folders about to be written."""
    if folder.exists() and not folder.is_dir():
        raise CxgapError(f"{folder} is a file; export into a folder (new or empty).")
    if folder.exists() and any(folder.iterdir()):
        if not overwrite:
            raise CxgapError(
                f"The folder {folder} is not empty; export into a new or empty folder, or overwrite "
                "(--overwrite) to replace the table folders it writes."
            )
        for name in tables:
            shutil.rmtree(folder / name, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def columns_of(name: str) -> list[str]:
    """The columns an export writes into a table's files: the schema's, less secrets and less the date
    that becomes the `month` partition (response_items' own `month`)."""
    left_out = set(WITHHELD_COLUMNS.get(name, ()))
    if MONTH_OF.get(name) == "month":
        left_out.add("month")
    return [c.name for c in table_of(name).columns if c.name not in left_out]


def file_schema(name: str) -> pa.Schema:
    """The Arrow schema of a table's files: each column's schema type (INTEGER as 32-bit, as the stores
    keep it)."""
    table = table_of(name)
    fields = []
    for column in columns_of(name):
        schema_column = table.columns[column]
        kind = pa.int32() if isinstance(schema_column.type, sa.Integer) else arrow_type(schema_column)
        fields.append(pa.field(column, kind))
    return pa.schema(fields)


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _select(name: str, dialect_month: Callable[[str], str] | None) -> str:
    """The query reading a table for export: its columns, the month of its date (`dialect_month`
    writes that expression) and no secret row."""
    parts = [f'"{c}"' for c in columns_of(name)]
    if dialect_month is not None and name in MONTH_OF:
        parts.append(f"{dialect_month(MONTH_OF[name])} AS month")
    sql = f"SELECT {', '.join(parts)} FROM {name}"
    if name in WITHHELD_ROWS:
        column, value = WITHHELD_ROWS[name]
        sql += f" WHERE \"{column}\" <> '{value}'"
    return sql


def _files(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.parquet"))


def _duckdb_month(column: str) -> str:
    """DuckDB's 'YYYY-MM' of a date or time column, NO_MONTH where it is missing (as Arrow writes it)."""
    return f"coalesce(strftime(\"{column}\", '%Y-%m'), '{NO_MONTH}')"


def _duckdb_tables(
    store: Store, folder: Path, tables: list[str], progress: Progress | None
) -> Iterator[TableExport]:
    """Each table copied by DuckDB itself, in one read transaction (one snapshot)."""
    cursor = store.duckdb_cursor()
    cursor.execute("BEGIN TRANSACTION")
    try:
        for name in tables:
            target = folder / name
            if name in MONTH_OF:
                query = _select(name, _duckdb_month)
                sql = f"COPY ({query}) TO {_quoted(target)} (FORMAT parquet, PARTITION_BY (month))"
            else:
                target.mkdir(parents=True, exist_ok=True)
                sql = f"COPY ({_select(name, None)}) TO {_quoted(target / 'data_0.parquet')} (FORMAT parquet)"
            rows = int(cursor.execute(sql).fetchone()[0])
            _keep_schema(name, target)
            yield _written(name, target, rows, progress)
    finally:
        cursor.execute("ROLLBACK")  # it only read
        cursor.close()


def _keep_schema(name: str, target: Path) -> None:
    """Where a table wrote no file (no rows to partition), one empty file with its columns."""
    if _files(target) == 0:
        target.mkdir(parents=True, exist_ok=True)
        pq.write_table(file_schema(name).empty_table(), target / EMPTY_FILE)


def _written(name: str, target: Path, rows: int, progress: Progress | None) -> TableExport:
    if progress is not None:
        progress(name, rows)
    return TableExport(name, target, rows, _files(target), MONTH_OF.get(name))


def _postgres_tables(
    store: Store, folder: Path, tables: list[str], progress: Progress | None
) -> Iterator[TableExport]:
    """Each table streamed through Arrow block by block, in one REPEATABLE READ transaction (dates and
    numbers written the way Arrow reads them back exactly)."""
    with store.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            conn.execute(sa.text("SET LOCAL datestyle = 'ISO, YMD'"))
            conn.execute(sa.text("SET LOCAL extra_float_digits = 1"))  # the shortest exact text of a double
            for name in tables:
                target = folder / name
                rows = _stream_table(conn, name, target)
                yield _written(name, target, rows, progress)


def _stream_table(conn: Connection, name: str, target: Path) -> int:
    """Write one table's rows under `target` batch by batch; the rows written. PostgreSQL sends them as CSV
    (`COPY ... TO STDOUT`), which Arrow parses into typed batches: no value becomes a Python object."""
    schema = file_schema(name)
    month_of = MONTH_OF.get(name)
    sent = _with_month(schema, month_of)
    counted = [0]

    def batches() -> Iterator[pa.RecordBatch]:
        driver: Any = conn.connection.driver_connection  # psycopg's, in the open transaction
        query = _select(name, (lambda column: f"to_char(\"{column}\", 'YYYY-MM')") if month_of else None)
        with driver.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT csv)") as copy:
            for batch in _csv_batches(copy, sent):
                counted[0] += batch.num_rows
                yield batch

    partitioning = ds.partitioning(pa.schema([("month", pa.string())]), flavor="hive") if month_of else None
    ds.write_dataset(
        batches(),
        target,
        schema=sent,
        format="parquet",
        partitioning=partitioning,
        basename_template="part-{i}.parquet",
    )
    _keep_schema(name, target)
    return counted[0]


def _csv_batches(chunks: Iterable[Any], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """PostgreSQL's CSV as typed batches of about BLOCK_BYTES each. libpq hands COPY TO's data over one
    whole row at a time (PQgetCopyData), so the rows gathered for a batch end between rows, however long."""
    pending: list[bytes] = []
    size = 0
    for chunk in chunks:
        pending.append(bytes(chunk))
        size += len(chunk)
        if size >= BLOCK_BYTES:
            yield from _parsed(b"".join(pending), schema)
            pending, size = [], 0
    if pending:
        yield from _parsed(b"".join(pending), schema)


def _parsed(data: bytes, schema: pa.Schema) -> list[pa.RecordBatch]:
    """Rows of PostgreSQL's CSV, typed: an unquoted empty field is NULL and a quoted one an empty text,
    `t`/`f` are booleans (PostgreSQL's CSV conventions)."""
    table = pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(column_names=schema.names, block_size=len(data) + 1),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=schema,
            true_values=["t"],
            false_values=["f"],
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    batches: list[pa.RecordBatch] = table.to_batches()
    return batches


def _with_month(schema: pa.Schema, month_of: str | None) -> pa.Schema:
    return schema.append(pa.field("month", pa.string())) if month_of else schema
