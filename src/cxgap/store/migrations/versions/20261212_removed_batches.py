"""removed batches: when an import batch was taken back out (`cxgap batches remove`)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-12 09:00:00

A batch can be taken back out of the store (a keyless file imported again under another mapping holds every
row twice). Its rows leave their table, its record stays in import_batches as the history of what was
imported, with the time it was removed; empty for every batch that is still in the store.

On PostgreSQL feedback gets the batch-id index the other imported tables have (0014): an import of a file
without ids reads its own rows back to compare them with the stored ones, and a removal finds them, without
reading the whole table (DuckDB skips row groups by the batch id's statistics instead).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None
rederives = False  # derived data hold the same after it: no rebuild (cxgap.store.core)

REMOVED_AT = "When the batch's rows were taken back out of the store (`cxgap batches remove`); empty while they are in it."


def upgrade() -> None:
    op.add_column("import_batches", sa.Column("removed_at", sa.DateTime(), nullable=True, comment=REMOVED_AT))
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_feedback_batch_id", "feedback", ["batch_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_feedback_batch_id", table_name="feedback")
    op.drop_column("import_batches", "removed_at")
