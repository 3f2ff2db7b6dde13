"""import keys: DuckDB's imported tables carry no primary-key index; cxgap checks their keys

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-10 09:00:00

On DuckDB a primary key is an ART index, and what an import costs grew with it, not with the batch: each
new key looked up among every stored one, and, new keys arriving spread over the whole index, most of the
index written again at the next checkpoint (which DuckDB runs when its log passes 16 MiB and when a store
is closed, at the end of every `cxgap import`): 10,000 interactions into 49M stored cost 4.0 s of
checkpoint after a 3.2 s import (docs/benchmarks.md, Incremental). The keys of customers, responses,
feedback and interactions are now checked by cxgap (`cxgap.store.bulk`: an anti-join on the key under a
writer lock per table held until the transaction ends, so two imports cannot both store a key), and item
ratings are written only with the responses their import wrote (`insert_owned`). DuckDB cannot drop a
primary key, so each table is rebuilt without it, keeping its columns, order, NOT NULLs, checks and
comments. PostgreSQL keeps its keys: a B-tree takes a batch at the batch's cost.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None
rederives = False  # derived data hold the same after it: no rebuild (cxgap.store.core)

KEYS = {
    "customers": ("customer_id",),
    "responses": ("response_id",),
    "response_items": ("response_id", "item"),
    "feedback": ("feedback_id",),
    "interactions": ("interaction_id",),
}


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _rebuild(table: str, *, keyed: bool) -> None:
    """Rebuild `table` with or without its primary key, keeping columns, order, NOT NULLs, checks and
    comments (read from DuckDB's catalog)."""
    bind = op.get_bind()
    where = {"t": table}
    columns = bind.execute(
        sa.text(
            "SELECT column_name, data_type, column_default, comment FROM duckdb_columns() "
            "WHERE table_name = :t AND schema_name = current_schema() ORDER BY column_index"
        ),
        where,
    ).all()
    constraints = bind.execute(
        sa.text(
            "SELECT constraint_type, constraint_text, constraint_column_names FROM duckdb_constraints() "
            "WHERE table_name = :t AND schema_name = current_schema() ORDER BY constraint_index"
        ),
        where,
    ).all()
    required = {c for kind, _, names in constraints if kind == "NOT NULL" for c in names} | set(KEYS[table])
    defs = [
        f'"{name}" {kind}'
        + (f" DEFAULT {default}" if default is not None else "")
        + (" NOT NULL" if name in required else "")
        for name, kind, default, _ in columns
    ]
    defs += [text for kind, text, _ in constraints if kind == "CHECK"]
    if keyed:
        defs.append(f"PRIMARY KEY ({', '.join(KEYS[table])})")
    names = ", ".join(f'"{name}"' for name, _, _, _ in columns)
    op.execute(f"CREATE TABLE {table}_rebuilt ({', '.join(defs)})")
    op.execute(f"INSERT INTO {table}_rebuilt ({names}) SELECT {names} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_rebuilt RENAME TO {table}")
    for name, _, _, comment in columns:
        if comment:
            op.execute(f'COMMENT ON COLUMN {table}."{name}" IS {_quoted(comment)}')


def upgrade() -> None:
    if op.get_bind().dialect.name == "duckdb":
        for table in KEYS:
            _rebuild(table, keyed=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "duckdb":
        for table in KEYS:
            _rebuild(table, keyed=True)
