"""closed loop: case workflow columns, the audit log, systemic issues, users and API tokens, derived state

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:00:00

On PostgreSQL the audit log refuses UPDATE and DELETE by trigger, so append-only holds for every client of
the database, not only for cxgap.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _case_columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column(
            "segment",
            sa.String(length=64),
            nullable=True,
            comment="Segment of the customer when the case opened (routing).",
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=True, comment="Last change."),
        sa.Column(
            "first_action_at",
            sa.DateTime(),
            nullable=True,
            comment="First time a person acted on it (started, noted, assigned, resolved).",
        ),
        sa.Column("reopen_count", sa.Integer(), nullable=True, comment="How often it was reopened."),
        sa.Column(
            "follow_up_score",
            sa.Double(),
            nullable=True,
            comment="The customer's follow-up answer (e.g. NPS 0-10 or CSAT) after resolution.",
        ),
        sa.Column("follow_up_at", sa.DateTime(), nullable=True, comment="When the follow-up came."),
        sa.Column(
            "issue_id",
            sa.String(length=64),
            nullable=True,
            comment="Systemic issue (outer loop) the case belongs to.",
        ),
        sa.Column(
            "version",
            sa.Integer(),
            nullable=True,
            comment="Changes so far; an update names the version it read, so none is lost.",
        ),
    )


APPEND_ONLY = """
CREATE FUNCTION cxgap_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'case_events is an append-only audit log'; END $$ LANGUAGE plpgsql;
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
FOR EACH ROW EXECUTE FUNCTION cxgap_append_only();
"""


def upgrade() -> None:
    for column in _case_columns():
        op.add_column("cases", column)
    op.create_table(
        "case_events",
        sa.Column("event_id", sa.String(length=32), nullable=False, comment="Event id."),
        sa.Column("case_id", sa.String(length=64), nullable=False, comment="The case changed."),
        sa.Column("happened_at", sa.DateTime(), nullable=False, comment="When."),
        sa.Column(
            "actor",
            sa.String(length=128),
            nullable=False,
            comment="Who: a user, or 'rules' for automatic cases.",
        ),
        sa.Column(
            "action",
            sa.String(length=32),
            nullable=False,
            comment="created, started, assigned, noted, root_cause, resolved, closed, reopened, follow_up, linked.",
        ),
        sa.Column("from_status", sa.String(length=16), nullable=True, comment="Status before."),
        sa.Column("to_status", sa.String(length=16), nullable=True, comment="Status after."),
        sa.Column("detail", sa.Text(), nullable=True, comment="What changed, as JSON; a note's text."),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_case_events")),
    )
    op.create_index(op.f("ix_case_events_case_id"), "case_events", ["case_id"])
    op.create_table(
        "systemic_issues",
        sa.Column("issue_id", sa.String(length=64), nullable=False, comment="Issue id."),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="When it was raised."),
        sa.Column(
            "root_cause", sa.String(length=64), nullable=False, comment="Root-cause code of its cases."
        ),
        sa.Column("touchpoint", sa.String(length=64), nullable=True, comment="Touchpoint of its cases."),
        sa.Column("title", sa.Text(), nullable=False, comment="What the issue is, in words."),
        sa.Column("owner", sa.String(length=128), nullable=True, comment="Who owns the improvement."),
        sa.Column("team", sa.String(length=64), nullable=True, comment="Owning team."),
        sa.Column("action", sa.Text(), nullable=True, comment="The improvement action."),
        sa.Column(
            "action_at",
            sa.DateTime(),
            nullable=True,
            comment="When the action took effect (the gap engine compares before and after).",
        ),
        sa.Column(
            "gap_kind", sa.String(length=32), nullable=True, comment="Kind of the gap it should close."
        ),
        sa.Column("gap_subject", sa.String(length=128), nullable=True, comment="Subject of that gap."),
        sa.Column("status", sa.String(length=16), nullable=False, comment="open, acting or done."),
        sa.PrimaryKeyConstraint("issue_id", name=op.f("pk_systemic_issues")),
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.String(length=128), nullable=False, comment="User name."),
        sa.Column(
            "role", sa.String(length=16), nullable=False, comment="admin, analyst, team_member or viewer."
        ),
        sa.Column(
            "team", sa.String(length=64), nullable=True, comment="Team (team members see only its cases)."
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="When the user was added."),
        sa.Column("disabled_at", sa.DateTime(), nullable=True, comment="When access was withdrawn."),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(length=16), nullable=False, comment="Public part of the token."),
        sa.Column("user_id", sa.String(length=128), nullable=False, comment="Whose token it is."),
        sa.Column(
            "secret_hash", sa.String(length=64), nullable=False, comment="SHA-256 of the secret part, hex."
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="When it was issued."),
        sa.Column("revoked_at", sa.DateTime(), nullable=True, comment="When it was revoked."),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_api_tokens")),
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])
    op.create_table(
        "derived_state",
        sa.Column("name", sa.String(length=32), nullable=False, comment="What is stale (rollups)."),
        sa.Column("stale_since", sa.DateTime(), nullable=False, comment="Since when."),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_derived_state")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER case_events_append_only ON case_events; DROP FUNCTION cxgap_append_only();")
    for name in ("derived_state", "api_tokens", "users", "systemic_issues", "case_events"):
        op.drop_table(name)
    for column in reversed(_case_columns()):
        op.drop_column("cases", column.name)
