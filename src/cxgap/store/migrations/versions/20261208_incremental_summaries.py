"""incremental summaries: PostgreSQL finds a customer x touchpoint pair, and a batch's rows, by an index

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 09:00:00

An import of interactions now adds its own counts to customer_touchpoints instead of recounting the
customers it touched (INSERT ... ON CONFLICT on PostgreSQL, which needs the index). DuckDB gets no index:
it deletes rows from an indexed table very slowly, and its joins scan rather than look an index up.
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX = "ix_customer_touchpoints_pair"
BATCHED = ("customers", "responses", "response_items", "interactions")  # each import reads its own rows back


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(INDEX, "customer_touchpoints", ["customer_id", "touchpoint"], unique=True)
        for table in BATCHED:
            op.create_index(f"ix_{table}_batch_id", table, ["batch_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="customer_touchpoints")
        for table in BATCHED:
            op.drop_index(f"ix_{table}_batch_id", table_name=table)
