"""playbook assignments: who each playbook acted on and whom it left alone on purpose (the holdout)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:00:00

One row per playbook, customer and cooldown period, so a rerun assigns nobody twice and the experiments
module can compare the treated customers with the holdout.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None
rederives = False  # derived data hold the same after it: no rebuild (cxgap.store.core)


def upgrade() -> None:
    op.create_table(
        "playbook_assignments",
        sa.Column("playbook", sa.String(length=64), nullable=False, comment="Playbook name in cxgap.toml."),
        sa.Column("customer_id", sa.String(length=128), nullable=False, comment="Customer it qualified."),
        sa.Column(
            "period",
            sa.Integer(),
            nullable=False,
            comment="Cooldown period (days since 1970 / cooldown_days).",
        ),
        sa.Column(
            "assigned_at", sa.DateTime(), nullable=False, comment="When the run assigned the customer."
        ),
        sa.Column(
            "arm",
            sa.String(length=16),
            nullable=False,
            comment="treated (a case was opened) or holdout (left alone).",
        ),
        sa.Column("run_id", sa.String(length=32), nullable=False, comment="The playbook run."),
        sa.Column("health", sa.Double(), nullable=True, comment="Health score (0-100) when assigned."),
        sa.Column("risk", sa.Double(), nullable=True, comment="Churn risk within the horizon when assigned."),
        sa.Column("revenue", sa.Double(), nullable=True, comment="Yearly revenue when assigned."),
        sa.Column("case_id", sa.String(length=64), nullable=True, comment="The case opened (treated only)."),
        sa.PrimaryKeyConstraint("playbook", "customer_id", "period", name=op.f("pk_playbook_assignments")),
    )
    op.create_index(op.f("ix_playbook_assignments_customer_id"), "playbook_assignments", ["customer_id"])


def downgrade() -> None:
    op.drop_table("playbook_assignments")
