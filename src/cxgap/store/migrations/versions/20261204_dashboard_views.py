"""dashboard views: results kept per store version (the default views survive a restart) and saved views

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:00:00

`view_results` keeps each default view's result for the store version it was computed for, so the server
computes it once after an import and a restart reads it back; `saved_views` holds each person's named views
(a page and its filters).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None
rederives = False  # derived data hold the same after it: no rebuild (cxgap.store.core)


def upgrade() -> None:
    op.create_table(
        "view_results",
        sa.Column(
            "view_key",
            sa.String(length=512),
            nullable=False,
            comment="Which result: the view's name and filters, as text.",
        ),
        sa.Column(
            "store_version",
            sa.String(length=128),
            nullable=False,
            comment="The store version (import count and last import's end) it was computed for.",
        ),
        sa.Column("payload", sa.LargeBinary(), nullable=False, comment="The result object, serialised."),
        sa.Column("computed_at", sa.DateTime(), nullable=False, comment="When it was computed."),
        sa.Column("seconds", sa.Double(), nullable=False, comment="How long it took to compute."),
        sa.PrimaryKeyConstraint("view_key", name=op.f("pk_view_results")),
    )
    op.create_table(
        "saved_views",
        sa.Column("view_id", sa.String(length=32), nullable=False, comment="Random id of the view."),
        sa.Column("user_id", sa.String(length=128), nullable=False, comment="Whose view it is."),
        sa.Column("name", sa.String(length=200), nullable=False, comment="The name its owner gave it."),
        sa.Column("path", sa.String(length=200), nullable=False, comment="The page, such as /risk."),
        sa.Column("query", sa.Text(), nullable=False, comment="The page's filters as a URL query string."),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="When it was saved."),
        sa.PrimaryKeyConstraint("view_id", name=op.f("pk_saved_views")),
    )
    op.create_index(op.f("ix_saved_views_user_id"), "saved_views", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_views_user_id"), table_name="saved_views")
    op.drop_table("saved_views")
    op.drop_table("view_results")
