"""ratings key: DuckDB's response_items carry no primary key of their own

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 09:00:00

A rating's key is its response's key and an item named once per response, and ratings are only ever
written for a response the same import wrote (`cxgap.store.bulk.insert_owned`), so the responses' primary
key already refuses a second copy. On DuckDB the ratings' own key cost what grew with the store: each new
rating looked up among all stored ones (tens of millions at 10M responses) and, keys arriving spread over
the whole index, most of the index written again at every checkpoint (0.2 s after 90,000 new ratings
into 1M stored, 3.8 s into 30M; docs/benchmarks.md, Incremental). DuckDB cannot drop a primary key, so
the table is rebuilt without it, its columns, checks and comments kept (at 10M responses, 57M rows once).
PostgreSQL keeps the key: its B-tree takes a batch at the batch's cost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLE = "response_items"
KEY = ("response_id", "item")
CHECKS = ("perception", "expectation", "importance")


def _rebuild(*, keyed: bool) -> None:
    """Rebuild the ratings table with or without its primary key, keeping columns, order and comments."""
    bind = op.get_bind()
    columns = bind.execute(
        sa.text(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE table_name = :t AND schema_name = current_schema() ORDER BY column_index"
        ),
        {"t": TABLE},
    ).all()
    defs = [f'"{name}" {kind}' + (" NOT NULL" if name in KEY else "") for name, kind, _ in columns]
    defs += [f"CHECK ({name} BETWEEN 1 AND 7)" for name in CHECKS]
    if keyed:
        defs.append(f"PRIMARY KEY ({', '.join(KEY)})")
    names = ", ".join(f'"{name}"' for name, _, _ in columns)
    op.execute(f"CREATE TABLE {TABLE}_rebuilt ({', '.join(defs)})")
    op.execute(f"INSERT INTO {TABLE}_rebuilt ({names}) SELECT {names} FROM {TABLE}")
    op.execute(f"DROP TABLE {TABLE}")
    op.execute(f"ALTER TABLE {TABLE}_rebuilt RENAME TO {TABLE}")
    for name, _, comment in columns:
        if comment:
            quoted = "'" + comment.replace("'", "''") + "'"
            op.execute(f'COMMENT ON COLUMN {TABLE}."{name}" IS {quoted}')


def upgrade() -> None:
    if op.get_bind().dialect.name == "duckdb":
        _rebuild(keyed=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "duckdb":
        _rebuild(keyed=True)
