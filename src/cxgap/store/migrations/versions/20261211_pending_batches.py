"""pending batches: an API ingest's rollups merged from its own rows at the next analysis

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-11 09:00:00

An API ingest adds many small batches and leaves the rollups for the next analysis (`refresh_stale`), which
rebuilt them from every stored rating and interaction: 8 s at 1M responses on PostgreSQL, once per refresh,
holding the writers' turn. Each such batch of responses or interactions is now noted here, and the next
analysis merges the noted batches' own rows; a customers batch or a replacing one still asks for the
rebuild (the segments and contexts of rows already counted change).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None
rederives = False  # derived data hold the same after it: no rebuild (cxgap.store.core)


def upgrade() -> None:
    op.create_table(
        "pending_batches",
        sa.Column("batch_id", sa.String(32), nullable=False, comment="The batch left to merge."),
        sa.Column(
            "table_name", sa.String(32), nullable=False, comment="What it added: responses or interactions."
        ),
        sa.Column("added_at", sa.DateTime(), nullable=False, comment="When it was added."),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_pending_batches")),
    )


def downgrade() -> None:
    op.drop_table("pending_batches")
