"""import speed: DuckDB drops the customer_id indexes of responses, interactions and feedback

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-09 09:00:00

DuckDB keeps an ART index up to date row by row and adds a transaction's rows to it when the transaction
commits: importing a million responses into a store whose responses table has its primary key and this
index cost about twice as long as with the primary key alone, most of it in the COMMIT. DuckDB's joins
never use an ART index (they hash), so the analyses lose nothing; the one use was a filter on one customer
(the customer page, a journey's timeline), which DuckDB answers by a scan instead (tens of milliseconds
per million rows; docs/benchmarks.md, Import). PostgreSQL keeps its indexes: its planner uses them, and
it maintains them at a fraction of the cost. The primary keys stay everywhere: they guard against keys
stored twice.
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None
rederives = False  # derived data hold the same after it: no rebuild (cxgap.store.core)

TABLES = ("responses", "interactions", "feedback")


def upgrade() -> None:
    if op.get_bind().dialect.name == "duckdb":
        for table in TABLES:
            op.drop_index(f"ix_{table}_customer_id", table_name=table)


def downgrade() -> None:
    if op.get_bind().dialect.name == "duckdb":
        for table in TABLES:
            op.create_index(f"ix_{table}_customer_id", table, ["customer_id"], unique=False)
