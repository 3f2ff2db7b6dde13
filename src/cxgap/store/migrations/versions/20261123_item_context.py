"""derived data for fast gaps: item ratings carry their context; customer x touchpoint; rollups

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00

The gap engine aggregates item ratings per touchpoint, survey kind and segment; carrying those on the rating
turns a three-table join into one scan; reach (customers per touchpoint) reads customer_touchpoints instead
of counting distinct customers; the rollups hold the gap engine's sufficient statistics.
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
    op.create_table(
        "customer_touchpoints",
        sa.Column("customer_id", sa.String(length=128), nullable=False, comment="Customer id."),
        sa.Column("touchpoint", sa.String(length=64), nullable=False, comment="Touchpoint touched."),
        sa.Column(
            "interactions", sa.Integer(), nullable=False, comment="Interactions of the customer there."
        ),
        sa.Column("first_at", sa.DateTime(), nullable=True, comment="First interaction there."),
        sa.Column("last_at", sa.DateTime(), nullable=True, comment="Latest interaction there."),
    )
    op.create_table(
        "rollup_items",
        sa.Column("cell", sa.Integer(), autoincrement=False, nullable=False, comment="Row number."),
        sa.Column("survey_kind", sa.String(length=16), nullable=True, comment="Survey kind of the ratings."),
        sa.Column(
            "touchpoint", sa.String(length=64), nullable=True, comment="Touchpoint of the ratings' responses."
        ),
        sa.Column(
            "segment", sa.String(length=64), nullable=True, comment="Customer segment of the respondents."
        ),
        sa.Column("item", sa.String(length=64), nullable=False, comment="Item code."),
        *_moments("gap", "perception", "expectation", "importance"),
        sa.PrimaryKeyConstraint("cell", name=op.f("pk_rollup_items")),
    )
    op.create_table(
        "rollup_interactions",
        sa.Column("touchpoint", sa.String(length=64), nullable=False, comment="Touchpoint."),
        sa.Column("kind", sa.String(length=32), nullable=False, comment="Interaction kind."),
        sa.Column("interactions", sa.Integer(), nullable=False, comment="Interactions in the cell."),
        *_moments("wait_seconds", "duration_seconds", "delay_minutes"),
        *_moments("handled", "resolved", "repeat_contact", "on_time", squares=False),
        sa.PrimaryKeyConstraint("touchpoint", "kind", name=op.f("pk_rollup_interactions")),
    )
    # derived data (the copies on item ratings, customer_touchpoints, rollups) is filled by the Store
    # after every upgrade


def _moments(*names: str, squares: bool = True) -> list[sa.Column[object]]:
    parts = ("n", "sum", "sumsq") if squares else ("n", "sum")
    words = {"n": "values of", "sum": "sum of", "sumsq": "sum of squares of"}
    return [
        sa.Column(
            f"{part}_{name}",
            sa.Integer() if part == "n" else sa.Double(),
            nullable=True,
            comment=f"{words[part]} {name}",
        )
        for name in names
        for part in parts
    ]


def downgrade() -> None:
    op.drop_table("rollup_interactions")
    op.drop_table("rollup_items")
    op.drop_table("customer_touchpoints")
    for name, _, _ in reversed(COLUMNS):
        op.drop_column("response_items", name)
