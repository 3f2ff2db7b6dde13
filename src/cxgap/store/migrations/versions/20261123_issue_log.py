"""systemic issue log: versions and timestamps on systemic issues, and their own append-only audit log

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 14:00:00

The outer loop changes issues the way the inner loop changes cases: one conditional update at a known
version plus one audit line, and on PostgreSQL a trigger refuses UPDATE and DELETE on the log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
rederives = False  # derived data hold the same after it: no rebuild (cxgap.store.core)

ISSUE_COLUMNS = (
    ("updated_at", sa.DateTime(), "Last change."),
    ("done_at", sa.DateTime(), "When the issue was marked done."),
    ("version", sa.Integer(), "Increases with every change; an update names the version it read."),
)

APPEND_ONLY = """
CREATE FUNCTION cxgap_issue_log_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'issue_events is an append-only audit log'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER issue_events_append_only BEFORE UPDATE OR DELETE ON issue_events
FOR EACH ROW EXECUTE FUNCTION cxgap_issue_log_append_only();
"""


def upgrade() -> None:
    for name, kind, comment in ISSUE_COLUMNS:
        op.add_column("systemic_issues", sa.Column(name, kind, nullable=True, comment=comment))
    op.create_table(
        "issue_events",
        sa.Column("event_id", sa.String(length=32), nullable=False, comment="Event id."),
        sa.Column("issue_id", sa.String(length=64), nullable=False, comment="The systemic issue changed."),
        sa.Column("happened_at", sa.DateTime(), nullable=False, comment="When."),
        sa.Column("actor", sa.String(length=128), nullable=False, comment="Who."),
        sa.Column(
            "action",
            sa.String(length=32),
            nullable=False,
            comment="raised, linked, planned, assigned, done, reopened.",
        ),
        sa.Column("detail", sa.Text(), nullable=True, comment="What changed, as JSON."),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_issue_events")),
    )
    op.create_index(op.f("ix_issue_events_issue_id"), "issue_events", ["issue_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP TRIGGER issue_events_append_only ON issue_events; DROP FUNCTION cxgap_issue_log_append_only();"
        )
    op.drop_table("issue_events")
    for name, _, _ in reversed(ISSUE_COLUMNS):
        op.drop_column("systemic_issues", name)
