"""sign-in: password hashes for people, server-side sessions, and failed sign-ins for the lockout

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:30:00

A session row holds only the SHA-256 of its id (the cookie holds the id), so a copy of the database signs
nobody in; failed sign-ins are kept per user name so repeated guesses lock that name for a while.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
rederives = False  # derived data hold the same after it: no rebuild (cxgap.store.core)


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column(
            "password_hash",
            sa.String(length=256),
            nullable=True,
            comment="Argon2id hash of the password (empty: API tokens only, no browser sign-in).",
        ),
    )
    op.create_table(
        "web_sessions",
        sa.Column(
            "session_hash", sa.String(length=64), nullable=False, comment="SHA-256 of the session id, hex."
        ),
        sa.Column("user_id", sa.String(length=128), nullable=False, comment="Who signed in."),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="When they signed in."),
        sa.Column(
            "seen_at", sa.DateTime(), nullable=False, comment="Their last request (for the idle expiry)."
        ),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_web_sessions")),
    )
    op.create_index(op.f("ix_web_sessions_user_id"), "web_sessions", ["user_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("failure_id", sa.String(length=32), nullable=False, comment="Random id of the attempt."),
        sa.Column(
            "user_name", sa.String(length=128), nullable=False, comment="The name tried (it may not exist)."
        ),
        sa.Column("failed_at", sa.DateTime(), nullable=False, comment="When the attempt failed."),
        sa.PrimaryKeyConstraint("failure_id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(op.f("ix_sign_in_failures_user_name"), "sign_in_failures", ["user_name"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_failures_user_name"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    op.drop_index(op.f("ix_web_sessions_user_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_column("users", "password_hash")
