"""Storage: the typed schema, migrations, and transactional bulk loading on DuckDB or PostgreSQL."""

from __future__ import annotations

from cxgap.store.bulk import InsertCounts, delete_replaced, insert_all, insert_new, insert_owned
from cxgap.store.context import refresh_derived
from cxgap.store.core import Store, describe_url
from cxgap.store.models import DATA_TABLES, DERIVED_TABLES, META_TABLES, TABLES, Base

__all__ = [
    "DATA_TABLES",
    "DERIVED_TABLES",
    "META_TABLES",
    "TABLES",
    "Base",
    "InsertCounts",
    "Store",
    "delete_replaced",
    "describe_url",
    "insert_all",
    "insert_new",
    "insert_owned",
    "refresh_derived",
]
