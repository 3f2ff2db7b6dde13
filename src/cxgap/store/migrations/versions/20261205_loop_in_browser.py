"""closed loop in the browser: several triggers per case, staff e-mail addresses, notifications, the store's
own calendar

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 09:00:00

`case_triggers` holds every record that opened or joined a case (a customer's detractor answer and their
unresolved call open one case with two triggers); `users.email` is where a person's notifications go;
`notify_preferences` says which events each person is told of, at once or in the daily digest;
`notifications` is the outbox and delivery log (one row per event, recipient and channel: sent once);
`store_meta` keeps facts about the store itself, such as the calendar the demo company runs on.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_triggers",
        sa.Column("rule", sa.String(length=64), nullable=False, comment="The rule that matched the record."),
        sa.Column(
            "trigger_kind", sa.String(length=32), nullable=False, comment="response, feedback or interaction."
        ),
        sa.Column("trigger_id", sa.String(length=128), nullable=False, comment="Id of the record."),
        sa.Column("case_id", sa.String(length=64), nullable=False, comment="The case it opened or joined."),
        sa.Column("added_at", sa.DateTime(), nullable=False, comment="When it was attached."),
        sa.Column("summary", sa.Text(), nullable=True, comment="What the record says (redacted)."),
        sa.PrimaryKeyConstraint("rule", "trigger_kind", "trigger_id", name=op.f("pk_case_triggers")),
    )
    op.create_index(op.f("ix_case_triggers_case_id"), "case_triggers", ["case_id"])
    op.execute("COMMENT ON COLUMN users.role IS 'admin, analyst, team_lead, team_member or viewer.'")
    op.add_column(
        "users",
        sa.Column("email", sa.String(length=320), nullable=True, comment="Where their notifications go."),
    )
    op.create_table(
        "notify_preferences",
        sa.Column("user_id", sa.String(length=128), nullable=False, comment="Whose preference."),
        sa.Column(
            "event",
            sa.String(length=32),
            nullable=False,
            comment="case_assigned, case_due, case_overdue, emerging_issue, playbook_run or digest.",
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False, comment="Whether they are told of it at all."),
        sa.Column(
            "in_digest",
            sa.Boolean(),
            nullable=False,
            comment="Told in the daily digest instead of at once.",
        ),
        sa.PrimaryKeyConstraint("user_id", "event", name=op.f("pk_notify_preferences")),
    )
    op.create_table(
        "notifications",
        sa.Column(
            "notification_id",
            sa.String(length=64),
            nullable=False,
            comment="Derived from the event, recipient and channel: each is delivered once.",
        ),
        sa.Column(
            "event", sa.String(length=32), nullable=False, comment="What happened (see notify_preferences)."
        ),
        sa.Column("event_key", sa.String(length=256), nullable=False, comment="Which occurrence of it."),
        sa.Column("recipient", sa.String(length=128), nullable=False, comment="A user, or a webhook's name."),
        sa.Column("channel", sa.String(length=16), nullable=False, comment="email or webhook."),
        sa.Column("subject", sa.Text(), nullable=False, comment="The subject line (redacted)."),
        sa.Column("body", sa.Text(), nullable=False, comment="The message (redacted)."),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            comment="pending, sending (claimed by a sender, until its lease ends), sent or failed.",
        ),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="Delivery attempts so far."),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True, comment="When to try again."),
        sa.Column("last_error", sa.Text(), nullable=True, comment="Why the last attempt failed."),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="When it was queued."),
        sa.Column("sent_at", sa.DateTime(), nullable=True, comment="When it was delivered."),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_notifications")),
    )
    op.create_index(op.f("ix_notifications_status"), "notifications", ["status"])
    op.create_table(
        "store_meta",
        sa.Column(
            "name", sa.String(length=64), nullable=False, comment="What the fact is (e.g. loop_clock)."
        ),
        sa.Column("value", sa.Text(), nullable=False, comment="Its value, as text."),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_meta")),
    )


def downgrade() -> None:
    op.drop_table("store_meta")
    op.drop_index(op.f("ix_notifications_status"), table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("notify_preferences")
    op.drop_column("users", "email")
    op.execute("COMMENT ON COLUMN users.role IS 'admin, analyst, team_member or viewer.'")
    op.drop_index(op.f("ix_case_triggers_case_id"), table_name="case_triggers")
    op.drop_table("case_triggers")
