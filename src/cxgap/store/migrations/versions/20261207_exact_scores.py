"""exact scores: responses.csat and responses.ces hold exact values (DOUBLE), so that a score converted from
another scale (6 on a 1-7 satisfaction scale is 4.333... on 1-5) is stored as it is, never rounded

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 09:00:00

PostgreSQL changes the two columns' type in place (their range checks stay). DuckDB cannot change the
type of a column that a CHECK constraint names, nor alter a table an index depends on, so there the
table is rebuilt as it stands at this revision: created anew beside the old one, its rows copied, the old
one dropped and the new one renamed into place.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CSAT = "Satisfaction, 1-5; exact when converted from another scale (6 on 1-7 is 4.333...)."
CES = "Customer effort, 1-7 (7 = very easy); exact when converted from another scale."
OLD_CSAT = "Satisfaction, 1-5."
OLD_CES = "Customer effort, 1-7 (7 = very easy)."
ScoreType = sa.types.TypeEngine[float] | sa.types.TypeEngine[int]


def _columns(score: ScoreType, csat: str, ces: str) -> list[sa.Column[object]]:
    """The columns of responses at this revision, with the scores' type and comments."""
    text = sa.String
    return [
        sa.Column("response_id", text(128), nullable=False, comment="Survey response id (or content hash)."),
        sa.Column(
            "customer_id", text(128), nullable=True, comment="Respondent's customer id; empty if anonymous."
        ),
        sa.Column("responded_at", sa.DateTime(), nullable=False, comment="When the response was recorded."),
        sa.Column(
            "survey_kind",
            text(16),
            nullable=False,
            comment="relational (about the relationship) or transactional (about one touchpoint); never mixed silently.",
        ),
        sa.Column(
            "touchpoint",
            text(64),
            nullable=True,
            comment="Journey stage the response is about (transactional surveys).",
        ),
        sa.Column(
            "channel",
            text(64),
            nullable=True,
            comment="Channel of the experience (web, app, phone, store...).",
        ),
        sa.Column("nps", sa.Integer(), nullable=True, comment="Likelihood to recommend, 0-10."),
        sa.Column("csat", score, nullable=True, comment=csat),
        sa.Column("ces", score, nullable=True, comment=ces),
        sa.Column(
            "superior",
            sa.Boolean(),
            nullable=True,
            comment="Customer agrees the company's experience is superior to competitors'.",
        ),
        sa.Column("comment", sa.Text(), nullable=True, comment="Free-text answer."),
        sa.Column(
            "batch_id",
            text(32),
            nullable=True,
            comment="Import batch that loaded the row (lineage; see import_batches).",
        ),
        sa.Column(
            "survey",
            text(64),
            nullable=True,
            comment="The hosted survey that collected it (empty: imported from elsewhere).",
        ),
        sa.Column(
            "survey_version",
            sa.Integer(),
            nullable=True,
            comment="The version of that survey's wording the respondent saw.",
        ),
    ]


def _rebuild_duckdb(score: ScoreType, csat: str, ces: str, cast: str) -> None:
    """Rebuild responses on DuckDB with the scores' new type; `cast` turns a column name into its value.

    The new table is built beside the old one and renamed into place: renaming the old table away instead
    (in the transaction that also created it and its index, as a new store's first migration does) leaves
    a write-ahead log that DuckDB 1.4 cannot replay after a kill."""
    columns = _columns(score, csat, ces)
    op.create_table(
        "responses_new",
        *columns,
        sa.CheckConstraint(
            "survey_kind IN ('relational', 'transactional')", name=op.f("ck_responses_survey_kind_allowed")
        ),
        sa.CheckConstraint("ces BETWEEN 1 AND 7", name=op.f("ck_responses_ces_range")),
        sa.CheckConstraint("csat BETWEEN 1 AND 5", name=op.f("ck_responses_csat_range")),
        sa.CheckConstraint("nps BETWEEN 0 AND 10", name=op.f("ck_responses_nps_range")),
        sa.PrimaryKeyConstraint("response_id", name=op.f("pk_responses")),
    )
    names = [c.name for c in columns]
    values = [cast.format(name) if name in ("csat", "ces") else f'"{name}"' for name in names]
    quoted = ", ".join(f'"{name}"' for name in names)
    op.execute(f"INSERT INTO responses_new ({quoted}) SELECT {', '.join(values)} FROM responses")
    op.drop_index("ix_responses_customer_id", table_name="responses")
    op.drop_table("responses")
    op.rename_table("responses_new", "responses")
    op.create_index(op.f("ix_responses_customer_id"), "responses", ["customer_id"], unique=False)


def _retype(
    score: ScoreType,
    old: ScoreType,
    comments: tuple[str, str, str, str],
    cast: str,
) -> None:
    """Give csat and ces the type `score` (from `old`), with comments (csat, ces, old csat, old ces)."""
    csat, ces, old_csat, old_ces = comments
    if op.get_bind().dialect.name != "postgresql":
        _rebuild_duckdb(score, csat, ces, cast)
        return
    for name, comment, old_comment in (("csat", csat, old_csat), ("ces", ces, old_ces)):
        op.alter_column(
            "responses",
            name,
            type_=score,
            existing_type=old,
            existing_nullable=True,
            comment=comment,
            existing_comment=old_comment,
            postgresql_using=cast.format(name),
        )


def upgrade() -> None:
    _retype(sa.Double(), sa.Integer(), (CSAT, CES, OLD_CSAT, OLD_CES), 'CAST("{}" AS DOUBLE PRECISION)')


def downgrade() -> None:
    _retype(sa.Integer(), sa.Double(), (OLD_CSAT, OLD_CES, CSAT, CES), 'CAST(round("{}") AS INTEGER)')
