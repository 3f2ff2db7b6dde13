"""filter keys on derived data: channel and month on item ratings and rollups, segment on interactions

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:00:00

The dashboard filters every analysis by period, segment, channel and touchpoint; the rollups keep those as
keys so a filtered gap analysis still reads a few thousand summary rows instead of the raw tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ITEM_COLUMNS = (
    ("channel", sa.String(length=64), "Copy of the response's channel, kept by the loader (filters)."),
    ("month", sa.Date(), "First day of the response's month, kept by the loader (period filters)."),
)
ROLLUP_COLUMNS = (
    ("channel", sa.String(length=64), "Channel of the ratings' responses."),
    ("month", sa.Date(), "First day of the month of the ratings' responses."),
)


def upgrade() -> None:
    for name, kind, comment in ITEM_COLUMNS:
        op.add_column("response_items", sa.Column(name, kind, nullable=True, comment=comment))
    for name, kind, comment in ROLLUP_COLUMNS:
        op.add_column("rollup_items", sa.Column(name, kind, nullable=True, comment=comment))
    op.drop_table("rollup_interactions")
    op.create_table(
        "rollup_interactions",
        sa.Column("cell", sa.Integer(), autoincrement=False, nullable=False, comment="Row number."),
        sa.Column("touchpoint", sa.String(length=64), nullable=True, comment="Touchpoint."),
        sa.Column("kind", sa.String(length=32), nullable=True, comment="Interaction kind."),
        sa.Column(
            "segment", sa.String(length=64), nullable=True, comment="Segment of the interactions' customers."
        ),
        sa.Column("channel", sa.String(length=64), nullable=True, comment="Channel of the interactions."),
        sa.Column("month", sa.Date(), nullable=True, comment="First day of the interactions' month."),
        sa.Column("interactions", sa.Integer(), nullable=False, comment="Interactions in the cell."),
        *_moments("wait_seconds", "duration_seconds", "delay_minutes"),
        *_moments("handled", "resolved", "repeat_contact", "on_time", squares=False),
        sa.PrimaryKeyConstraint("cell", name=op.f("pk_rollup_interactions")),
    )
    # the Store refills every derived table after an upgrade


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
    op.create_table(
        "rollup_interactions",
        sa.Column("touchpoint", sa.String(length=64), nullable=False, comment="Touchpoint."),
        sa.Column("kind", sa.String(length=32), nullable=False, comment="Interaction kind."),
        sa.Column("interactions", sa.Integer(), nullable=False, comment="Interactions in the cell."),
        *_moments("wait_seconds", "duration_seconds", "delay_minutes"),
        *_moments("handled", "resolved", "repeat_contact", "on_time", squares=False),
        sa.PrimaryKeyConstraint("touchpoint", "kind", name=op.f("pk_rollup_interactions")),
    )
    for name, _, _ in reversed(ROLLUP_COLUMNS):
        op.drop_column("rollup_items", name)
    for name, _, _ in reversed(ITEM_COLUMNS):
        op.drop_column("response_items", name)
