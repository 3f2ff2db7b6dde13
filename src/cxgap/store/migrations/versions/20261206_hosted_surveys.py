"""hosted surveys: definitions and their versions, contacts, opt-outs, invitations, answers as given; the
survey and version behind each collected response and belief, and the leaders' believed CSAT and share of
customers calling the experience superior

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SURVEY = "The hosted survey that collected it (empty: imported from elsewhere)."
VERSION = "The version of that survey's wording the respondent saw."
BELIEVED_CSAT = "Mean CSAT the respondent believes customers give, 1-5."
BELIEVED_SHARE = "Share of customers (%) the respondent believes call the experience superior."


def upgrade() -> None:
    for table in ("responses", "beliefs"):
        op.add_column(table, sa.Column("survey", sa.String(length=64), nullable=True, comment=SURVEY))
        op.add_column(table, sa.Column("survey_version", sa.Integer(), nullable=True, comment=VERSION))
    op.add_column("beliefs", sa.Column("believed_csat", sa.Double(), nullable=True, comment=BELIEVED_CSAT))
    op.add_column(
        "beliefs", sa.Column("believed_superior_share", sa.Double(), nullable=True, comment=BELIEVED_SHARE)
    )
    if op.get_bind().dialect.name == "postgresql":  # DuckDB cannot add a constraint to a table
        op.create_check_constraint("believed_csat_range", "beliefs", "believed_csat BETWEEN 1 AND 5")
        op.create_check_constraint(
            "believed_superior_share_range", "beliefs", "believed_superior_share BETWEEN 0 AND 100"
        )
    op.create_table(
        "surveys",
        sa.Column("name", sa.String(length=64), nullable=False, comment="The survey's short name (a slug)."),
        sa.Column("title", sa.Text(), nullable=False, comment="Its title in the default language."),
        sa.Column(
            "audience",
            sa.String(length=16),
            nullable=False,
            comment="customers, or staff (the belief survey).",
        ),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="draft, published (collecting) or closed."
        ),
        sa.Column(
            "version", sa.Integer(), nullable=False, comment="Its latest version (the one the editor shows)."
        ),
        sa.Column(
            "published_version",
            sa.Integer(),
            nullable=True,
            comment="The version respondents are asked now (empty until published).",
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="When it was created."),
        sa.Column("updated_at", sa.DateTime(), nullable=False, comment="When it last changed."),
        sa.Column("created_by", sa.String(length=128), nullable=True, comment="Who created it."),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_surveys")),
    )
    op.create_table(
        "survey_versions",
        sa.Column("name", sa.String(length=64), nullable=False, comment="The survey."),
        sa.Column("version", sa.Integer(), nullable=False, comment="1, 2, ... in order of saving."),
        sa.Column("definition", sa.Text(), nullable=False, comment="The survey definition as TOML."),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="When it was saved."),
        sa.Column("created_by", sa.String(length=128), nullable=True, comment="Who saved it."),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_survey_versions")),
    )
    op.create_table(
        "survey_contacts",
        sa.Column("kind", sa.String(length=16), nullable=False, comment="customer or staff."),
        sa.Column(
            "recipient_id",
            sa.String(length=128),
            nullable=False,
            comment="The customer's id, or the staff member's id.",
        ),
        sa.Column("email", sa.String(length=320), nullable=False, comment="Where invitations are sent."),
        sa.Column(
            "language", sa.String(length=16), nullable=True, comment="Preferred language (e.g. en, de)."
        ),
        sa.Column(
            "role",
            sa.String(length=16),
            nullable=True,
            comment="Staff only: leader, manager, frontline or other (beliefs.role).",
        ),
        sa.Column("added_at", sa.DateTime(), nullable=False, comment="When the contact was added."),
        sa.PrimaryKeyConstraint("kind", "recipient_id", name=op.f("pk_survey_contacts")),
    )
    op.create_table(
        "survey_opt_outs",
        sa.Column(
            "opt_out_key",
            sa.String(length=128),
            nullable=False,
            comment="customer:<id>, staff:<id> or email:<sha256 of the address>.",
        ),
        sa.Column("opted_out_at", sa.DateTime(), nullable=False, comment="When they opted out."),
        sa.Column(
            "how", sa.String(length=32), nullable=False, comment="link (the survey page), admin or import."
        ),
        sa.PrimaryKeyConstraint("opt_out_key", name=op.f("pk_survey_opt_outs")),
    )
    op.create_table(
        "survey_invitations",
        sa.Column(
            "invitation_id", sa.String(length=64), nullable=False, comment="Random id, in the link's token."
        ),
        sa.Column("survey", sa.String(length=64), nullable=False, comment="The survey."),
        sa.Column("version", sa.Integer(), nullable=True, comment="The survey version it invites to."),
        sa.Column(
            "recipient_kind", sa.String(length=16), nullable=False, comment="customer, staff or anonymous."
        ),
        sa.Column(
            "recipient_id",
            sa.String(length=128),
            nullable=True,
            comment="The customer or staff member (empty: an anonymous respondent).",
        ),
        sa.Column(
            "reason",
            sa.String(length=32),
            nullable=False,
            comment="transactional, pulse, beliefs, manual, widget or anonymous.",
        ),
        sa.Column(
            "trigger_id",
            sa.String(length=128),
            nullable=True,
            comment="What triggered it: the interaction id (transactional), <trigger>@<time> (a pulse wave), the trigger's name (a staff list) or invite@<time> (a manual send); empty for a hand-made link.",
        ),
        sa.Column("touchpoint", sa.String(length=64), nullable=True, comment="The touchpoint it asks about."),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            comment="skipped, pending, sent, opened, partial, answered, failed or expired.",
        ),
        sa.Column(
            "why_not",
            sa.Text(),
            nullable=True,
            comment="Why it was not sent (opted out, asked within N days, daily cap, no address...).",
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="When the decision was made."),
        sa.Column("sent_at", sa.DateTime(), nullable=True, comment="When the invitation went out."),
        sa.Column("reminders", sa.Integer(), nullable=False, comment="Reminders sent so far."),
        sa.Column("reminded_at", sa.DateTime(), nullable=True, comment="When the last reminder went out."),
        sa.Column("expires_at", sa.DateTime(), nullable=True, comment="When its link stops working."),
        sa.Column("opened_at", sa.DateTime(), nullable=True, comment="When its link was first opened."),
        sa.Column("answered_at", sa.DateTime(), nullable=True, comment="When it was answered (single use)."),
        sa.Column("response_id", sa.String(length=128), nullable=True, comment="The stored answer's id."),
        sa.Column(
            "partial",
            sa.Text(),
            nullable=True,
            comment="Answers saved before submitting, as JSON (free text redacted).",
        ),
        sa.Column("last_error", sa.Text(), nullable=True, comment="Why the last send failed."),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("pk_survey_invitations")),
    )
    op.create_index(op.f("ix_survey_invitations_survey"), "survey_invitations", ["survey"])
    op.create_index(op.f("ix_survey_invitations_recipient_id"), "survey_invitations", ["recipient_id"])
    op.create_index(op.f("ix_survey_invitations_status"), "survey_invitations", ["status"])
    op.create_table(
        "survey_answers",
        sa.Column(
            "response_id",
            sa.String(length=128),
            nullable=False,
            comment="The response (responses.response_id or the belief answer's id).",
        ),
        sa.Column("question", sa.String(length=64), nullable=False, comment="The question's id."),
        sa.Column("survey", sa.String(length=64), nullable=False, comment="The survey."),
        sa.Column("version", sa.Integer(), nullable=False, comment="The version whose wording was asked."),
        sa.Column("value", sa.Text(), nullable=True, comment="The answer as text (free text redacted)."),
        sa.PrimaryKeyConstraint("response_id", "question", name=op.f("pk_survey_answers")),
    )


def downgrade() -> None:
    op.drop_table("survey_answers")
    for index in ("status", "recipient_id", "survey"):
        op.drop_index(op.f(f"ix_survey_invitations_{index}"), table_name="survey_invitations")
    op.drop_table("survey_invitations")
    op.drop_table("survey_opt_outs")
    op.drop_table("survey_contacts")
    op.drop_table("survey_versions")
    op.drop_table("surveys")
    for column in ("believed_superior_share", "believed_csat"):
        op.drop_column("beliefs", column)
    for table in ("beliefs", "responses"):
        op.drop_column(table, "survey_version")
        op.drop_column(table, "survey")
