"""derived data for one-pass gaps: item ratings carry their context; a customer x touchpoint summary

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00

The gap engine aggregates item ratings per touchpoint, survey kind and segment; carrying those on the rating
turns a three-table join into one scan. Reach (customers per touchpoint) reads customer_touchpoints instead
of counting distinct customers over all interactions. Both are filled from the existing rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    (
        "touchpoint",
        64,
        "Copy of the response's touchpoint, kept by the loader (gaps read items in one pass).",
    ),
    ("survey_kind", 16, "Copy of the response's survey kind, kept by the loader."),
    ("segment", 64, "Copy of the respondent's customer segment, kept in step by every import."),
)


def upgrade() -> None:
    for name, length, comment in COLUMNS:
        op.add_column(
            "response_items", sa.Column(name, sa.String(length=length), nullable=True, comment=comment)
        )
    op.execute(
        "UPDATE response_items SET touchpoint = r.touchpoint, survey_kind = r.survey_kind, segment = c.segment "
        "FROM responses r LEFT JOIN customers c ON c.customer_id = r.customer_id "
        "WHERE r.response_id = response_items.response_id"
    )
    op.create_table(
        "customer_touchpoints",
        sa.Column("customer_id", sa.String(length=128), nullable=False, comment="Customer id."),
        sa.Column("touchpoint", sa.String(length=64), nullable=False, comment="Touchpoint touched."),
        sa.Column(
            "interactions", sa.Integer(), nullable=False, comment="Interactions of the customer there."
        ),
        sa.Column("first_at", sa.DateTime(), nullable=True, comment="First interaction there."),
        sa.Column("last_at", sa.DateTime(), nullable=True, comment="Latest interaction there."),
        sa.PrimaryKeyConstraint("customer_id", "touchpoint", name=op.f("pk_customer_touchpoints")),
    )
    op.execute(
        "INSERT INTO customer_touchpoints (customer_id, touchpoint, interactions, first_at, last_at) "
        "SELECT customer_id, touchpoint, count(*), min(occurred_at), max(occurred_at) FROM interactions "
        "WHERE customer_id IS NOT NULL GROUP BY customer_id, touchpoint"
    )


def downgrade() -> None:
    op.drop_table("customer_touchpoints")
    for name, _, _ in reversed(COLUMNS):
        op.drop_column("response_items", name)
