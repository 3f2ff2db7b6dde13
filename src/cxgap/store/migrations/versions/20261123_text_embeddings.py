"""text embeddings cache

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_embeddings",
        sa.Column(
            "text_hash", sa.String(length=64), nullable=False, comment="SHA-256 of the (redacted, NFC) text."
        ),
        sa.Column("model", sa.String(length=64), nullable=False, comment="Embedding model name."),
        sa.Column(
            "vector", sa.Text(), nullable=False, comment="The embedding: float32 little-endian, base64."
        ),
        sa.PrimaryKeyConstraint("text_hash", "model", name=op.f("pk_text_embeddings")),
    )


def downgrade() -> None:
    op.drop_table("text_embeddings")
