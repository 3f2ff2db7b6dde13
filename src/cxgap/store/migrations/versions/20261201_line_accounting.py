"""line accounting: physical lines read per import, and the last source line of each quarantined row

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00

A CSV row can span several lines (a quoted line break); recording both ends lets every line of a source be
traced to one loaded or quarantined row, and the batch ledger reconcile lines as well as rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
rederives = False  # derived data hold the same after it: no rebuild (cxgap.store.core)


LINES_READ = "Physical lines read (header and blank lines included; records for Parquet; empty for the demo)."
ROW_END = "Last source line of the row, when it spans several lines (a quoted line break)."


def upgrade() -> None:
    op.add_column("import_batches", sa.Column("lines_read", sa.Integer(), nullable=True, comment=LINES_READ))
    op.add_column("quarantine", sa.Column("source_row_end", sa.Integer(), nullable=True, comment=ROW_END))


def downgrade() -> None:
    op.drop_column("quarantine", "source_row_end")
    op.drop_column("import_batches", "lines_read")
