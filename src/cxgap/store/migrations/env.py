"""Alembic environment: runs cxgap's migrations on the connection the Store hands over."""

from __future__ import annotations

from alembic import context

from cxgap.store.core import alembic_for_duckdb
from cxgap.store.models import Base

alembic_for_duckdb()

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
